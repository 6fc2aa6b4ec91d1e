"""Errors a person can act on: each names where the problem is and how to fix it."""

from __future__ import annotations

import json


class PodiumError(Exception):
    """Base class for every error Podium raises on purpose."""


class ConfigError(PodiumError, ValueError):
    """A setting is missing, unknown or out of range. `setting` names it."""

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {message}")


class UnsupportedModelError(ConfigError):
    """The base model is not fine-tunable on Bedrock, or not in the requested region."""


class DataError(PodiumError, ValueError):
    """Input data is unusable. Names the file and, where known, the line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file, self.line, self.field, self.hint = file, line, field, hint
        where = ":".join(str(p) for p in (file, line) if p is not None)
        text = message
        if field:
            text = f"column {field!r}: {text}"
        if where:
            text = f"{where}: {text}"
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


def cut_to_json_bytes(text: str, limit: int) -> str:
    """`text`, shortened (ending in "…") until its JSON encoding — ASCII-escaped, as Lambda's runtime
    writes it — takes at most `limit` bytes."""
    if len(json.dumps(text)) <= limit:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits
        middle = (low + high + 1) // 2
        if len(json.dumps(text[:middle] + "…")) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"
