"""Row checks, one per data format, and the result they report into (validate.py reads the file
and applies the file-level rules).

Each checker takes a parsed row and its line number, reports what is wrong with it, and returns
the row's texts (for token counts, special tokens and duplicates), or None when the row is unusable.
The formats are model-customization-prepare.html's: prompt/completion, the Converse API format
(bedrock-conversation-2024) and Claude 3 Haiku's {"system", "messages"} with string contents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podium.dataset.formats import CONVERSATION_SCHEMA
from podium.models import BaseModel

MAX_LISTED_PROBLEMS = 50

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


class Problems:
    """Collects a file's problems into its result: every one counted, the first MAX_LISTED_PROBLEMS kept."""

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


def prompt_completion_checker(model: BaseModel, report: Problems) -> RowChecker:
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


def _text_list(value: object, where: str, line: int, report: Problems, texts: list[str]) -> bool:
    """Check a [{"text": "..."}] list, collecting its texts; False when unusable."""
    if isinstance(value, str):
        report.add(
            "chat_format",
            f'{where} is a string; {CONVERSATION_SCHEMA} needs a list of {{"text": ...}} objects '
            "(plain-string contents are Claude 3 Haiku's format and the original system's chat rows — "
            "`podium generate` writes the right format)",
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


def conversation_checker(model: BaseModel, report: Problems) -> RowChecker:
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


_MESSAGES_KEYS = frozenset({"system", "messages"})
_MESSAGE_KEYS = frozenset({"role", "content"})


def _plain_messages_texts(row: dict[str, Any]) -> tuple[str, ...] | None:
    """The texts of a Claude messages row in exactly the shape Podium writes, else None."""
    messages = row.get("messages")
    if type(messages) is not list or not messages or len(messages) % 2:
        return None
    texts = []
    system = row.get("system")
    if system is not None:
        if type(system) is not str or not system or system.isspace():
            return None
        texts.append(system)
    if len(row) != (2 if system is not None else 1):
        return None
    role = "user"
    for message in messages:
        if type(message) is not dict or len(message) != 2 or message.get("role") != role:
            return None
        content = message.get("content")
        if type(content) is not str or not content or content.isspace():
            return None
        texts.append(content)
        role = "assistant" if role == "user" else "user"
    return tuple(texts)


def anthropic_messages_checker(model: BaseModel, report: Problems) -> RowChecker:
    """Claude 3 Haiku's rows: {"system": str, "messages": [{"role": "user"|"assistant", "content": str}]},
    alternating turns from the user's to the assistant's (model-customization-prepare.html)."""
    name = f"{model.display_name} ({model.model_id})"
    wanted = '{"system": "...", "messages": [{"role": ..., "content": "..."}]}'

    def check(row: dict[str, Any], line: int) -> tuple[str, ...] | None:
        plain = _plain_messages_texts(row)
        if plain is not None:
            return plain
        if "prompt" in row and "completion" in row and "messages" not in row:
            report.add("wrong_format", f"is a prompt/completion row; {name} needs {wanted} rows", line)
            return None
        if "schemaVersion" in row:
            report.add(
                "wrong_format",
                f"is a {CONVERSATION_SCHEMA} row; {name} needs {wanted} rows with plain-string contents "
                "— `podium generate` writes that format",
                line,
            )
            return None
        texts: list[str] = []
        usable = True
        if "system" in row:
            system = row["system"]
            if type(system) is not str:
                report.add("messages_schema", f'"system" must be a string for {name}', line)
                usable = False
            elif _is_blank(system):
                report.add("empty_field", '"system" is empty', line)
            else:
                texts.append(system)
        messages = row.get("messages")
        if not isinstance(messages, list) or not messages:
            report.add("messages_schema", '"messages" must be a non-empty list', line)
            return None
        for index, message in enumerate(messages):
            where = f"messages[{index}]"
            if not isinstance(message, dict):
                report.add("messages_schema", f"{where} must be an object", line)
                usable = False
                continue
            expected = "user" if index % 2 == 0 else "assistant"
            if message.get("role") != expected:
                report.add(
                    "messages_schema",
                    f'{where}.role is {message.get("role")!r}; roles must alternate "user", "assistant", '
                    'starting with "user"',
                    line,
                )
            content = message.get("content")
            if isinstance(content, list):
                report.add(
                    "wrong_format",
                    f"{where}.content is a list of blocks; {name} takes each turn's content as a plain string",
                    line,
                )
                usable = False
            elif type(content) is not str:
                report.add("messages_schema", f"{where}.content must be a string", line)
                usable = False
            else:
                if _is_blank(content):
                    report.add("empty_field", f"{where}.content is empty", line)
                texts.append(content)
            for key in sorted(set(message) - _MESSAGE_KEYS):
                report.add("unexpected_field", f'{where} has an unexpected field "{key}"', line)
        if len(messages) % 2:
            report.add("messages_schema", "the last message must be the assistant's", line)
        for key in sorted(set(row) - _MESSAGES_KEYS):
            report.add("unexpected_field", f'has an unexpected field "{key}"', line)
        return tuple(texts) if usable else None

    return check


def eval_checker(report: Problems) -> RowChecker:
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


def any_object_checker(report: Problems) -> RowChecker:
    """For a model Podium does not know: check what every format shares."""

    def check(row: dict[str, Any], line: int) -> tuple[str, ...] | None:
        texts = tuple(v for v in row.values() if isinstance(v, str))
        if not row:
            report.add("empty_field", "is an empty object", line)
        return texts

    return check


__all__ = [
    "MAX_LISTED_PROBLEMS",
    "Problem",
    "Problems",
    "RowChecker",
    "ValidationResult",
    "anthropic_messages_checker",
    "any_object_checker",
    "conversation_checker",
    "eval_checker",
    "prompt_completion_checker",
]
