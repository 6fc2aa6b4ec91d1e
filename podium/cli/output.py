"""What every command shares on its way out: the consoles, the exit codes, --json mode, the
warnings, and the one way to fail (a red error on stderr, and a JSON object on stdout under
--json).

Exit codes: 0 success; 1 the data or dataset is invalid, or the run failed;
2 a usage error (an unknown option value, a missing file, bad JSON in an option).

The --json contract (README → Commands): every command prints ONE JSON object with
`status` (STATUSES), `exit_code`, `warnings` and `problems` (lists of sentences), plus its
own fields; a command about a run adds `outcome` and `gate` where there is one.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from podium.errors import ConfigError, PodiumError

out = Console()
err = Console(stderr=True)

EXIT_INVALID = 1
EXIT_USAGE = 2

# The status words of every --json object.
OK = "ok"  # done as asked (exit 0; a rehearsed run that ended discarded or dry is "ok" too)
INVALID = "invalid"  # the data or file given is invalid (exit 1)
FAILED = "failed"  # the run failed, or AWS could not be asked (exit 1)
USAGE_ERROR = "usage_error"  # an option or argument is wrong (exit 2)
STATUSES = (OK, INVALID, FAILED, USAGE_ERROR)

# Set by each command that takes --json: errors then also go to stdout as a JSON object.
_json_output = False
_warnings: list[str] = []

JSON_OPTION = typer.Option("--json", help="Print a machine-readable JSON summary on stdout instead of tables")


def use_json(enabled: bool) -> None:
    global _json_output
    _json_output = enabled
    _warnings.clear()


def warn(message: str) -> None:
    """A warning: on stderr now, and in the --json object's `warnings`."""
    if message not in _warnings:
        _warnings.append(message)
        err.print(Text.assemble(("Warning: ", "bold yellow"), message), highlight=False, soft_wrap=True)


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def emit_result(status: str, exit_code: int, *, problems: list[Any] | None = None, **fields: Any) -> None:
    """The command's one JSON object: status, exit code, its fields, warnings and problems."""
    assert status in STATUSES, status
    emit_json(
        {"status": status, "exit_code": exit_code, **fields, "warnings": list(_warnings), "problems": problems or []}
    )


def fail(message: str, code: int, status: str | None = None) -> typer.Exit:
    err.print(Text.assemble(("Error: ", "bold red"), message), highlight=False, soft_wrap=True)
    if _json_output:
        emit_result(status or (USAGE_ERROR if code == EXIT_USAGE else INVALID), code, problems=[message])
    return typer.Exit(code)


def exit_for(error: PodiumError) -> typer.Exit:
    """ConfigError is a usage problem (exit 2); DataError means the data is unusable (exit 1)."""
    code = EXIT_USAGE if isinstance(error, ConfigError) else EXIT_INVALID
    return fail(f"{error} — nothing was written.", code)


class DataWarnings(logging.Handler):
    """Holds the data checks' warnings (podium.dataset logs them) while a command runs,
    naming the user's --data folder instead of a handler's scratch copy of the bucket, and
    announcing the bundled sample's planted quirks as planted (nothing to fix)."""

    _SCRATCH = re.compile(r"\S*?podium-data-[^/\s]+/")

    def __init__(self, data_dir: Path) -> None:
        super().__init__(logging.WARNING)
        self.data_dir = data_dir
        self.lines: list[str] = []
        self.planted = is_bundled_sample(data_dir)
        self._logger = logging.getLogger("podium.dataset")
        self._propagate = self._logger.propagate

    def emit(self, record: logging.LogRecord) -> None:
        line = self._SCRATCH.sub(f"{self.data_dir}/", record.getMessage())
        if line not in self.lines:
            self.lines.append(line)

    def __enter__(self) -> DataWarnings:
        self._logger.addHandler(self)
        self._logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate

    def report(self) -> None:
        """Each warning once (stderr and --json): as it is, or, for the bundled sample's
        planted quirks, said to be planted (the hint to edit the file is left out)."""
        for line in self.lines:
            if self.planted:
                line = (
                    "planted on purpose in the bundled sample (data/sample/README.md), nothing to fix: "
                    + line.split(" (write it as", 1)[0]
                )
            warn(line)


def is_bundled_sample(data_dir: Path) -> bool:
    """The team-written sample shipped in data/sample (whose quirks are planted on purpose)."""
    readme = Path(data_dir) / "README.md"
    try:
        return readme.is_file() and "quirks are kept on purpose" in " ".join(readme.read_text("utf-8").split())
    except OSError:
        return False
