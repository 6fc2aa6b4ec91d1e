"""A dataset validator that mirrors Bedrock's rules, and checks more than AWS's sample does.

It reports EVERY problem, with its line number, rather than stopping at the first:
JSON and UTF-8 errors, the model's data format (with a specific message for the original
system's chat rows), the conversation schema, empty fields, rows over the model's
per-row token cap (a conservative estimate, see tokens.py), Llama special tokens in the
text, Nova's reserved words (naming the field), duplicate rows, row caps per split (the
account's quotas when given, see podium.adapters.service_quotas), hyperparameters out of
the model's ranges or the epochs quota, and a model or region Bedrock cannot fine-tune.
`check_total_rows` adds Bedrock's sum rule: training and validation rows together. The
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
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from podium.dataset.formats import CONVERSATION_SCHEMA
from podium.dataset.planner import MAX_EVAL_PROMPTS
from podium.dataset.tokens import BYTES_PER_TOKEN_FOR_CAP, row_tokens
from podium.errors import ConfigError, DataError, UnsupportedModelError
from podium.models import MODELS, BaseModel, DataFormat, RowCaps, get_model

SPLITS = ("train", "validation", "eval")
MAX_LISTED_PROBLEMS = 50

_SPECIAL_TOKEN_NAMES = (
    r"begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag"
    r"|finetune_right_pad_id|image|reserved_special_token_\d+"
)
_SPECIAL_TOKEN = re.compile(r"<\|(?:" + _SPECIAL_TOKEN_NAMES + r")\|>")
# Files are read with errors="surrogateescape": a byte that is not UTF-8 becomes one of these.
_UNDECODABLE = re.compile("[\udc80-\udcff]")

_PROMPT_COMPLETION_KEYS = frozenset({"prompt", "completion"})
_CONVERSATION_KEYS = frozenset({"schemaVersion", "system", "messages"})
_EVAL_KEYS = frozenset({"prompt", "referenceResponse", "category"})


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    line: int | None = None  # 1-based; None for file-level problems

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "line": self.line, "message": self.message}


@dataclass
class ValidationResult:
    path: str
    model_id: str
    split: str
    data_format: str | None
    problems: list[Problem] = field(default_factory=list)  # the first MAX_LISTED_PROBLEMS
    counts: Counter[str] = field(default_factory=Counter)  # every problem, by kind
    rows: int = 0
    tokens: int = 0  # conservative estimate over all rows (tokens.row_tokens)
    max_row_tokens: int = 0

    @property
    def ok(self) -> bool:
        return not self.counts

    @property
    def total_problems(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "model_id": self.model_id,
            "split": self.split,
            "format": self.data_format,
            "ok": self.ok,
            "rows": self.rows,
            "tokens_estimate": self.tokens,
            "max_row_tokens_estimate": self.max_row_tokens,
            "problem_counts": dict(self.counts),
            "problems": [p.to_dict() for p in self.problems],
            "problems_listed": len(self.problems),
            "problems_total": self.total_problems,
        }


class _Problems:
    def __init__(self, result: ValidationResult) -> None:
        self.result = result

    def add(self, kind: str, message: str, line: int | None = None) -> None:
        self.result.counts[kind] += 1
        if len(self.result.problems) < MAX_LISTED_PROBLEMS:
            self.result.problems.append(Problem(kind, message, line))


RowChecker = Callable[[dict[str, Any], int], "tuple[str, ...] | None"]


def _is_blank(value: object) -> bool:
    return isinstance(value, str) and (not value or value.isspace())


def _looks_like_chat(row: Mapping[str, Any]) -> bool:
    """The original system's rows: {"messages": [{"role": ..., "content": "a string"}]}."""
    messages = row.get("messages")
    return (
        "schemaVersion" not in row
        and isinstance(messages, list)
        and any(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages)
    )


def _prompt_completion_checker(model: BaseModel, report: _Problems) -> RowChecker:
    name = model.display_name

    def check(row: dict[str, Any], line: int) -> tuple[str, ...] | None:
        prompt, completion = row.get("prompt"), row.get("completion")
        if (
            type(prompt) is str
            and type(completion) is str
            and len(row) == 2
            and prompt
            and completion
            and not prompt.isspace()
            and not completion.isspace()
        ):
            return (prompt, completion)
        # Slow path: say exactly what is wrong.
        if "prompt" not in row and "completion" not in row:
            if _looks_like_chat(row):
                report.add(
                    "chat_format",
                    f'is a chat row {{"messages": [{{"role", "content"}}]}} (the original system\'s format); '
                    f'{name} ({model.model_id}) needs {{"prompt": ..., "completion": ...}} rows — '
                    "`podium generate` writes that format",
                    line,
                )
                return None
            if "messages" in row or "schemaVersion" in row:
                report.add(
                    "wrong_format",
                    f"is a conversation ({CONVERSATION_SCHEMA}-style) row; {name} ({model.model_id}) needs "
                    '{"prompt": ..., "completion": ...} rows — `podium generate` writes that format',
                    line,
                )
                return None
        usable = True
        for key in ("prompt", "completion"):
            value = row.get(key)
            if key not in row:
                report.add("missing_field", f'has no "{key}" field; {name} needs "prompt" and "completion"', line)
                usable = False
            elif type(value) is not str:
                report.add("not_string", f'"{key}" must be a string, got {type(value).__name__}', line)
                usable = False
            elif _is_blank(value):
                report.add("empty_field", f'"{key}" is empty', line)
        for key in sorted(set(row) - _PROMPT_COMPLETION_KEYS):
            report.add("unexpected_field", f'has an unexpected field "{key}" (only "prompt" and "completion")', line)
        return (prompt, completion) if usable else None

    return check


def _text_list(value: object, where: str, line: int, report: _Problems, texts: list[str]) -> bool:
    """Check a [{"text": "..."}] list, collecting its texts; False when unusable."""
    if isinstance(value, str):
        report.add(
            "chat_format",
            f'{where} is a string; {CONVERSATION_SCHEMA} needs a list of {{"text": ...}} objects '
            "(this looks like the original system's chat rows — `podium generate` writes the right format)",
            line,
        )
        return False
    if not isinstance(value, list) or not value:
        report.add("conversation_schema", f'{where} must be a non-empty list of {{"text": ...}} objects', line)
        return False
    ok = True
    for index, item in enumerate(value):
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, str):
            report.add("conversation_schema", f'{where}[{index}] must be an object with a string "text"', line)
            ok = False
        elif _is_blank(text):
            report.add("empty_field", f"{where}[{index}].text is empty", line)
            texts.append(text)
        else:
            texts.append(text)
    return ok


def _plain_conversation_texts(row: dict[str, Any]) -> tuple[str, ...] | None:
    """The texts of a row in exactly the shape Podium writes, else None (take the slow path).

    Accepts only rows the full check below would pass, with no extra keys anywhere.
    """
    if row.get("schemaVersion") != CONVERSATION_SCHEMA:
        return None
    texts = []
    keys = 2
    system = row.get("system")
    if system is not None:
        if type(system) is not list or len(system) != 1:
            return None
        item = system[0]
        if type(item) is not dict or len(item) != 1 or type(text := item.get("text")) is not str:
            return None
        if not text or text.isspace():
            return None
        texts.append(text)
        keys = 3
    messages = row.get("messages")
    if len(row) != keys or type(messages) is not list or not messages or len(messages) % 2:
        return None
    role = "user"
    for message in messages:
        if type(message) is not dict or len(message) != 2 or message.get("role") != role:
            return None
        content = message.get("content")
        if type(content) is not list or not content:
            return None
        for item in content:
            if type(item) is not dict or len(item) != 1 or type(text := item.get("text")) is not str:
                return None
            if not text or text.isspace():
                return None
            texts.append(text)
        role = "assistant" if role == "user" else "user"
    return tuple(texts)


def _conversation_checker(model: BaseModel, report: _Problems) -> RowChecker:
    def check(row: dict[str, Any], line: int) -> tuple[str, ...] | None:
        plain = _plain_conversation_texts(row)
        if plain is not None:
            return plain
        texts: list[str] = []
        usable = True
        if "prompt" in row and "completion" in row and "messages" not in row:
            report.add(
                "wrong_format",
                f"is a prompt/completion row; {model.display_name} ({model.model_id}) needs "
                f"{CONVERSATION_SCHEMA} rows — `podium generate` writes that format",
                line,
            )
            return None
        version = row.get("schemaVersion")
        if version != CONVERSATION_SCHEMA:
            what = "is missing" if version is None else f"is {version!r}"
            report.add("conversation_schema", f'"schemaVersion" {what}; it must be "{CONVERSATION_SCHEMA}"', line)
        if "system" in row:
            system = row["system"]
            if isinstance(system, list) and len(system) > 1:
                report.add("conversation_schema", f'"system" has {len(system)} elements; at most 1 is allowed', line)
            usable &= _text_list(system, '"system"', line, report, texts)
        messages = row.get("messages")
        if not isinstance(messages, list) or not messages:
            report.add("conversation_schema", '"messages" must be a non-empty list', line)
            usable = False
        else:
            for index, message in enumerate(messages):
                where = f"messages[{index}]"
                if not isinstance(message, dict):
                    report.add("conversation_schema", f"{where} must be an object", line)
                    usable = False
                    continue
                expected = "user" if index % 2 == 0 else "assistant"
                if message.get("role") != expected:
                    report.add(
                        "conversation_schema",
                        f'{where}.role is {message.get("role")!r}; roles must alternate "user", '
                        f'"assistant", starting with "user"',
                        line,
                    )
                usable &= _text_list(message.get("content"), f"{where}.content", line, report, texts)
            if len(messages) % 2:
                report.add("conversation_schema", "the last message must be the assistant's", line)
        for key in sorted(set(row) - _CONVERSATION_KEYS):
            report.add("unexpected_field", f'has an unexpected field "{key}"', line)
        return tuple(texts) if usable else None

    return check


def _eval_checker(report: _Problems) -> RowChecker:
    def check(row: dict[str, Any], line: int) -> tuple[str, ...] | None:
        prompt, reference = row.get("prompt"), row.get("referenceResponse")
        usable = True
        for key, value in (("prompt", prompt), ("referenceResponse", reference)):
            if type(value) is not str:
                kind = "missing_field" if key not in row else "not_string"
                report.add(
                    kind,
                    f'"{key}" must be a string (evaluation rows are {{prompt, referenceResponse, category}})',
                    line,
                )
                usable = False
            elif _is_blank(value):
                report.add("empty_field", f'"{key}" is empty', line)
        if "category" in row and type(row["category"]) is not str:
            report.add("not_string", '"category" must be a string', line)
        for key in sorted(set(row) - _EVAL_KEYS):
            report.add("unexpected_field", f'has an unexpected field "{key}"', line)
        return (prompt, reference) if usable else None

    return check


def _any_object_checker(report: _Problems) -> RowChecker:
    """For a model Podium does not know: check what every format shares."""

    def check(row: dict[str, Any], line: int) -> tuple[str, ...] | None:
        texts = tuple(v for v in row.values() if isinstance(v, str))
        if not row:
            report.add("empty_field", "is an empty object", line)
        return texts

    return check


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
    report = _Problems(result)
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

    if split == "eval":
        check = _eval_checker(report)
    elif model is None:
        check = _any_object_checker(report)
    elif model.data_format is DataFormat.PROMPT_COMPLETION:
        check = _prompt_completion_checker(model, report)
    else:
        check = _conversation_checker(model, report)

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
    training and validation records"); a job over it fails after the spend has started.
    Adds the problem to `train`'s result."""
    validation_rows = validation.rows if validation is not None else 0
    total = train.rows + validation_rows
    if total > caps.total:
        _Problems(train).add(
            "too_many_records",
            f"{train.rows:,} training + {validation_rows:,} validation rows = {total:,}; {train.model_id} "
            f"takes at most {caps.total:,} together ({caps.source}: {caps.note or 'Service Quotas'}) — "
            "plan fewer rows, or raise the quota in Service Quotas",
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
    report: _Problems, pattern: re.Pattern[str], row: dict[str, Any], model: BaseModel, line: int
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


def _special_token(report: _Problems, token: str, line: int) -> None:
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
