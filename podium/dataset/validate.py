"""A dataset validator that mirrors Bedrock's rules, and checks more than AWS's sample does.

It reports EVERY problem, with its line number, rather than stopping at the first:
JSON and UTF-8 errors, the model's data format (row_checks.py: prompt/completion, the
conversation schema, Claude 3 Haiku's messages, with a specific message for the original
system's chat rows), empty fields, rows over the model's
per-row token cap (a conservative estimate, see tokens.py), Llama special tokens in the
text, Nova's reserved words (naming the field), duplicate rows, row caps per split (the
account's quotas when given, see podium.adapters.service_quotas), hyperparameters out of
the model's ranges or the epochs quota, and a model or region Bedrock cannot fine-tune.
`check_total_rows` adds Bedrock's sum rules: training and validation rows together, at
most the account's quota and at least the model's minimum (Llama 3.x: 100). The
first `MAX_LISTED_PROBLEMS` are listed; `counts` has the total of each kind.

It streams: memory does not grow with the file except for duplicate detection, which
keeps one 64-bit hash (Python's hash of the row's texts, random-seeded per process; a
collision among 20,000 rows has odds around 1e-11) and a line number per distinct row,
for at most as many rows as the split's cap. Rows past the cap are already a problem
(`too_many_rows`), so that bound loses nothing Bedrock would have accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from podium.dataset.planner import MAX_EVAL_PROMPTS
from podium.dataset.row_checks import (
    MAX_LISTED_PROBLEMS,
    Problem,
    Problems,
    RowChecker,
    ValidationResult,
    anthropic_messages_checker,
    any_object_checker,
    conversation_checker,
    eval_checker,
    prompt_completion_checker,
)
from podium.dataset.tokens import BYTES_PER_TOKEN_FOR_CAP, row_tokens
from podium.errors import ConfigError, DataError, UnsupportedModelError
from podium.models import MODELS, BaseModel, DataFormat, RowCaps, get_model

SPLITS = ("train", "validation", "eval")

_SPECIAL_TOKEN_NAMES = (
    r"begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag"
    r"|finetune_right_pad_id|image|reserved_special_token_\d+"
)
_SPECIAL_TOKEN = re.compile(r"<\|(?:" + _SPECIAL_TOKEN_NAMES + r")\|>")
# Files are read with errors="surrogateescape": a byte that is not UTF-8 becomes one of these.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _json_kind(value: object) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# Ids Bedrock cannot fine-tune → the model the error message recommends instead.
_STAND_INS = {
    "meta.llama3-8b-instruct-v1:0": "meta.llama3-1-8b-instruct-v1:0:128k",
    "meta.llama3-70b-instruct-v1:0": "meta.llama3-1-70b-instruct-v1:0:128k",
}


def _stand_in_for(model_id: str) -> BaseModel | None:
    """The fine-tunable model to check rows against when `model_id` is refused, if any."""
    if model_id in _STAND_INS:
        return MODELS.get(_STAND_INS[model_id])
    return next((m for m in MODELS.values() if model_id in (m.invocation_id, m.foundation_invocation_id)), None)


def _row_cap(model: BaseModel | None, split: str, caps: RowCaps | None = None) -> int | None:
    if split == "eval":
        return MAX_EVAL_PROMPTS
    if caps is not None:
        return caps.train if split == "train" else caps.validation
    if model is None:
        return None
    return model.max_train_rows if split == "train" else model.max_validation_rows


def validate_lines(
    lines: Iterable[str],
    model_id: str,
    *,
    split: str = "train",
    hyperparameters: Mapping[str, object] | None = None,
    region: str | None = None,
    source: str = "<memory>",
    caps: RowCaps | None = None,
) -> ValidationResult:
    """Validate JSONL lines as read by `open_jsonl` (text, undecodable bytes surrogate-escaped).
    `caps` (the account's quotas, see podium.adapters.service_quotas) replace the model's
    documented row caps and bound epochCount."""
    if split not in SPLITS:
        raise ConfigError("split", f"{split!r} is not a split; use one of {', '.join(SPLITS)}")
    model: BaseModel | None
    problems_before_rows: list[tuple[str, str]] = []
    try:
        model = get_model(model_id, region)
    except UnsupportedModelError as error:
        # Keep checking, so one run lists every problem: a region mismatch still has the
        # model's rules; a refused id is checked against the model Bedrock offers instead.
        model = MODELS.get(model_id) or _stand_in_for(model_id)
        message = str(error)
        if model is not None and model.model_id != model_id:
            message += f"\n(The rows and hyperparameters are checked as for {model.model_id}.)"
        problems_before_rows.append(("unsupported_model", message))

    data_format = "eval" if split == "eval" else (model.data_format.value if model else None)
    result = ValidationResult(source, model_id, split, data_format)
    report = Problems(result)
    for kind, message in problems_before_rows:
        report.add(kind, message)
    if hyperparameters and model is not None:
        for message in model.hyperparameter_problems(hyperparameters):
            report.add("hyperparameter", message)
        epochs = hyperparameters.get("epochCount")
        if caps is not None and isinstance(epochs, (int, float, str)):
            problem = caps.epochs_problem(_number(epochs), model_id)
            if problem:
                report.add("hyperparameter", problem)

    check: RowChecker
    if split == "eval":
        check = eval_checker(report)
    elif model is None:
        check = any_object_checker(report)
    elif model.data_format is DataFormat.PROMPT_COMPLETION:
        check = prompt_completion_checker(model, report)
    elif model.data_format is DataFormat.ANTHROPIC_MESSAGES:
        check = anthropic_messages_checker(model, report)
    else:
        check = conversation_checker(model, report)

    token_cap = model.max_tokens_per_row if model is not None else None
    reserved = _reserved_pattern(model.reserved_words) if model is not None and split != "eval" else None
    row_cap = _row_cap(model, split, caps)
    dedupe_limit = row_cap if row_cap is not None else 20_000
    first_line_of: dict[int, int] = {}
    # The C scanner behind json.loads, called directly: loads() adds two regex matches
    # and three Python calls a line. Anything unusual falls back to loads() for its error.
    scan = json.JSONDecoder().scan_once
    loads = json.loads
    prompt_completion = split != "eval" and model is not None and model.data_format is DataFormat.PROMPT_COMPLETION
    rows = tokens = max_tokens = 0
    for line, raw in enumerate(lines, 1):
        ascii_line = raw.isascii()  # a fast C scan; only non-ASCII lines can hold undecodable bytes
        if not ascii_line and (bad := _UNDECODABLE.search(raw)):
            rows += 1
            report.add(
                "not_utf8",
                f"has bytes that are not valid UTF-8 (first: 0x{ord(bad.group()) - 0xDC00:02x} at character "
                f"{bad.start() + 1}); save the file as UTF-8",
                line,
            )
            continue
        try:
            row, end = scan(raw, 0)
            if end != len(raw) and not raw[end:].isspace():
                raise StopIteration(end)
        except (StopIteration, ValueError, RecursionError):
            try:
                row = loads(raw)
            except (ValueError, RecursionError) as error:
                if not raw.strip():
                    report.add("blank_line", "is blank; Bedrock reads every line as a record — remove it", line)
                    continue
                rows += 1
                if isinstance(error, RecursionError):
                    detail = "nested too deeply to read"
                elif raw.startswith("\ufeff"):
                    detail = "it starts with a byte-order mark: remove the byte-order mark (save as UTF-8 without BOM)"
                elif isinstance(error, json.JSONDecodeError):
                    detail = f"{error.msg} at column {error.colno}"
                else:
                    detail = str(error)
                report.add("invalid_json", f"is not valid JSON ({detail})", line)
                continue
        rows += 1
        if type(row) is not dict:
            report.add(
                "not_object",
                f"is a JSON {_json_kind(row)}, not an object; each line must be one JSON object",
                line,
            )
            continue
        texts: tuple[str, ...] | None
        if (
            prompt_completion  # inlined fast path of _prompt_completion_checker: the common case
            and len(row) == 2
            and type(prompt := row.get("prompt")) is str
            and type(completion := row.get("completion")) is str
            and prompt
            and completion
            and not prompt.isspace()
            and not completion.isspace()
        ):
            texts = (prompt, completion)
        else:
            texts = check(row, line)
            if texts is None:
                continue
        count = -(-sum(map(len, texts)) // BYTES_PER_TOKEN_FOR_CAP) if ascii_line else row_tokens(*texts)
        tokens += count
        max_tokens = max(max_tokens, count)
        if token_cap is not None and count > token_cap:
            report.add(
                "too_many_tokens",
                f"has about {count:,} tokens (conservative estimate, 1 token per "
                f"{BYTES_PER_TOKEN_FOR_CAP} UTF-8 bytes); {model_id} takes at most {token_cap:,} a row — shorten it",
                line,
            )
        if "<|" in raw and (found := _SPECIAL_TOKEN.search(raw)):
            _special_token(report, found.group(), line)
        elif "\\u" in raw and (found := _SPECIAL_TOKEN.search("\n".join(texts))):
            _special_token(report, found.group(), line)  # hidden behind JSON \u escapes
        if reserved is not None and (reserved.search(raw) or ("\\u" in raw and reserved.search("\n".join(texts)))):
            _reserved_words(report, reserved, row, model, line)  # type: ignore[arg-type]
        key = hash(texts)
        first = first_line_of.get(key)
        if first is not None:
            report.add("duplicate_row", f"duplicates line {first}", line)
        elif len(first_line_of) < dedupe_limit:
            first_line_of[key] = line

    result.rows, result.tokens, result.max_row_tokens = rows, tokens, max_tokens
    if rows == 0:
        report.add("empty_file", "has no rows")
    if row_cap is not None and rows > row_cap:
        who = "Bedrock evaluation" if split == "eval" else model_id
        where = f" ({caps.source} caps)" if caps is not None and split != "eval" else ""
        report.add(
            "too_many_rows",
            f"has {rows:,} rows; {who} accepts at most {row_cap:,} {split} rows{where} "
            f"(`podium generate` plans the dataset to fit)",
        )
    if split == "train" and model is not None and 0 < rows < model.min_train_rows:
        report.add("too_few_rows", f"has {rows} rows; {model_id} needs at least {model.min_train_rows}")
    return result


def _number(value: int | float | str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")  # not a number: hyperparameter_problems has reported it


def check_total_rows(train: ValidationResult, validation: ValidationResult | None, caps: RowCaps) -> None:
    """Bedrock counts training and validation records together against one quota ("Sum of
    training and validation records"), and for Llama 3.x wants at least 100 of them
    (model-customization-prepare.html, "Model requirements"); a job outside either fails
    after the spend has started. Adds the problem to `train`'s result."""
    validation_rows = validation.rows if validation is not None else 0
    total = train.rows + validation_rows
    if total > caps.total:
        Problems(train).add(
            "too_many_records",
            f"{train.rows:,} training + {validation_rows:,} validation rows = {total:,}; {train.model_id} "
            f"takes at most {caps.total:,} together ({caps.source}: {caps.note or 'Service Quotas'}) — "
            "plan fewer rows, or raise the quota in Service Quotas",
        )
    model = MODELS.get(train.model_id)
    if model is not None and total < model.min_total_rows:
        Problems(train).add(
            "too_few_records",
            f"{train.rows:,} training + {validation_rows:,} validation rows = {total:,}; {train.model_id} needs "
            f"at least {model.min_total_rows:,} together (model-customization-prepare.html) — give it more "
            "data (more facts or phrasings), or choose a model with a lower minimum",
        )


def _reserved_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    # Case-insensitive, as AWS's own Nova dataset validator matches them.
    return re.compile("|".join(map(re.escape, words)), re.IGNORECASE) if words else None


def _string_fields(value: object, path: str = "") -> Iterable[tuple[str, str]]:
    """(path, text) of every string in a row, e.g. ("messages[0].content[0].text", "...")."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_fields(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_fields(item, f"{path}[{index}]")


def _reserved_words(
    report: Problems, pattern: re.Pattern[str], row: dict[str, Any], model: BaseModel, line: int
) -> None:
    for path, text in _string_fields(row):
        found = sorted({match.group() for match in pattern.finditer(text)})
        if found:
            report.add(
                "reserved_word",
                f"{path} contains {', '.join(map(repr, found))}: {model.display_name} reserves "
                f"{' '.join(model.reserved_words)} and Bedrock fails the training job on them — reword it",
                line,
            )


def _special_token(report: Problems, token: str, line: int) -> None:
    report.add(
        "special_token",
        f"contains the Llama special token {token}; Bedrock adds the chat template itself — remove it",
        line,
    )


def open_jsonl(path: str | Path) -> IO[str]:
    """Open JSONL so that only "\\n" ends a line and bad UTF-8 is reported per line, not raised."""
    return open(path, encoding="utf-8", errors="surrogateescape", newline="\n")


def validate_file(
    path: str | Path,
    model_id: str,
    *,
    split: str = "train",
    hyperparameters: Mapping[str, object] | None = None,
    region: str | None = None,
    caps: RowCaps | None = None,
) -> ValidationResult:
    """Validate a JSONL file for `model_id`'s `split`; see the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=str(path), hint="give the path of a .jsonl file")
    with open_jsonl(path) as handle:
        return validate_lines(
            handle, model_id, split=split, hyperparameters=hyperparameters, region=region, source=str(path), caps=caps
        )


def validate_text(
    text: str, model_id: str, *, split: str = "train", source: str = "<memory>", **kwargs: Any
) -> ValidationResult:
    """Validate JSONL held in memory (what build.py renders before writing)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline ending the last row does not start another
    return validate_lines(lines, model_id, split=split, source=source, **kwargs)


__all__ = [
    "MAX_LISTED_PROBLEMS",
    "SPLITS",
    "Problem",
    "ValidationResult",
    "check_total_rows",
    "validate_file",
    "validate_lines",
    "validate_text",
]
