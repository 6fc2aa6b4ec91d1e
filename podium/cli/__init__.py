"""The `podium` command: generate and validate datasets, list models, rehearse, and look at
what runs produced (ask the active model, list runs, fetch a report).

Exit codes: 0 success; 1 the data or dataset is invalid, or the rehearsed run failed;
2 a usage error (an unknown option value, a missing file, bad JSON in --hyperparameters
or --input, an unsupported model, rehearse without moto installed).

One module a concern: output (consoles, exit codes, --json mode, failing), options (shared
option checks and cdk.json's settings), then one module a command group: dataset
(generate, validate, models), rehearsal (rehearse), results (ask, runs, report).
"""

from __future__ import annotations

from typing import Annotated

import typer

from podium import __version__
from podium.cli.dataset import generate, models, validate
from podium.cli.rehearsal import rehearse
from podium.cli.results import ask, report, runs

app = typer.Typer(
    help="Podium: teach a foundation model new facts from tables, on Amazon Bedrock.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        print(f"podium {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Podium: teach a foundation model new facts from tables, on Amazon Bedrock."""


# Registered in the order `podium --help` lists them.
app.command()(generate)
app.command()(validate)
app.command()(models)
app.command()(rehearse)
app.command()(ask)
app.command()(runs)
app.command()(report)
