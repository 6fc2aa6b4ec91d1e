"""Errors a person can act on: each names where the problem is and how to fix it."""

from __future__ import annotations


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
