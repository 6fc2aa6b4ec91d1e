"""What every command shares on its way out: the consoles, the exit codes, --json mode and
the one way to fail (a red error on stderr, and a JSON object on stdout under --json).

Exit codes: 0 success; 1 the data or dataset is invalid, or the run failed;
2 a usage error (an unknown option value, a missing file, bad JSON in an option).
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from podium.errors import ConfigError, PodiumError

out = Console()
err = Console(stderr=True)

EXIT_INVALID = 1
EXIT_USAGE = 2

# Set by each command that takes --json: errors then also go to stdout as a JSON object.
_json_output = False

JSON_OPTION = typer.Option("--json", help="Print a machine-readable JSON summary on stdout instead of tables")


def use_json(enabled: bool) -> None:
    global _json_output
    _json_output = enabled


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def fail(message: str, code: int) -> typer.Exit:
    err.print(Text.assemble(("Error: ", "bold red"), message), highlight=False, soft_wrap=True)
    if _json_output:
        status = "usage_error" if code == EXIT_USAGE else "invalid"
        emit_json({"status": status, "exit_code": code, "problems": [message]})
    return typer.Exit(code)


def exit_for(error: PodiumError) -> typer.Exit:
    """ConfigError is a usage problem (exit 2); DataError means the data is unusable (exit 1)."""
    code = EXIT_USAGE if isinstance(error, ConfigError) else EXIT_INVALID
    return fail(f"{error} — nothing was written.", code)
