"""What runs produced, on a deployed stack: `podium ask` (the active model), `podium runs`
(recent runs and their scores) and `podium report` (a run's report.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from podium.cli.output import EXIT_INVALID, err, fail, out
from podium.errors import PodiumError

_STACK_HELP = "CloudFormation stack name (the name_prefix setting)"


def _deployment(stack: str, region: str | None) -> Any:
    from podium.adapters.deployment import Deployment

    try:
        return Deployment.find(stack, region)
    except PodiumError as error:
        raise fail(str(error), EXIT_INVALID) from None


def ask(
    question: Annotated[str, typer.Argument(help="The question, e.g. 'Who won the women's 800 m freestyle?'")],
    base: Annotated[bool, typer.Option("--base", help="Ask the base model instead of the fine-tuned one")] = False,
    stack: Annotated[str, typer.Option("--stack", help=_STACK_HELP)] = "podium",
    region: Annotated[str | None, typer.Option("--region", help="The stack's region")] = None,
) -> None:
    """Ask the active model (from the stack's SSM record) one question, framed as in training."""
    from podium.adapters.errors import BedrockRejected
    from podium.evaluation.runner import Throttled

    deployment = _deployment(stack, region)
    try:
        answer, model_id, simulated = deployment.ask(question, base=base)
    except (PodiumError, BedrockRejected) as error:
        raise fail(str(error), EXIT_INVALID) from None
    except Throttled as error:
        raise fail(f"Bedrock throttled the question ({error}); try again in a moment", EXIT_INVALID) from None
    label = " (SIMULATED answer: the rehearsal's emulated model)" if simulated else ""
    err.print(Text.assemble(("Asked ", "dim"), (model_id, "dim"), (label, "bold yellow")), highlight=False)
    out.print(answer, highlight=False, markup=False, soft_wrap=True)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def runs(
    stack: Annotated[str, typer.Option("--stack", help=_STACK_HELP)] = "podium",
    region: Annotated[str | None, typer.Option("--region", help="The stack's region")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many runs, newest first")] = 10,
) -> None:
    """Recent runs: outcome, rows, evaluation scores (new vs base model) and estimated cost,
    and where the dashboard of runs over time is."""
    deployment = _deployment(stack, region)
    rows = deployment.runs(limit)
    if not rows:
        out.print(f"No runs yet: start one in the Step Functions console ({deployment.state_machine_arn}).")
        _print_dashboard(deployment.dashboard_url)
        return
    table = Table(title=f"Recent runs of {deployment.state_machine_arn.rsplit(':', 1)[-1]}", title_justify="left")
    for column, justify in (
        ("run", "left"),
        ("started (UTC)", "left"),
        ("outcome", "left"),
        ("train rows", "right"),
        ("paraphrase new/base", "right"),
        ("hallucinated", "right"),
        ("est. cost", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    simulated = False
    for row in rows:
        simulated = simulated or row["simulated"]
        scores = (
            f"{_percent(row['paraphrase_accuracy'])} / {_percent(row['base_paraphrase_accuracy'])}"
            + (" SIMULATED" if row["simulated"] else "")
            if row["paraphrase_accuracy"] is not None
            else "—"
        )
        cost = row["estimated_cost_usd"]
        table.add_row(
            str(row["run_id"] or row["name"]),
            row["started"].strftime("%Y-%m-%d %H:%M"),
            str(row["outcome"]),
            "—" if row["train_rows"] is None else f"{row['train_rows']:,}",
            scores,
            _percent(row["unseen_hallucination"]),
            "—" if cost is None else f"${cost:,.2f}",
        )
    out.print(table)
    out.print("Costs are ESTIMATES." + (" SIMULATED scores come from the rehearsal's emulator." if simulated else ""))
    _print_dashboard(deployment.dashboard_url)


def _print_dashboard(url: str | None) -> None:
    if url:  # a stack deployed before the dashboard has no such output
        out.print(f"Dashboard: {url}", soft_wrap=True, highlight=False)


def report(
    run_id: Annotated[str, typer.Argument(help="The run id (see `podium runs`)")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to save it (default ./<run id>.html)")] = None,
    stack: Annotated[str, typer.Option("--stack", help=_STACK_HELP)] = "podium",
    region: Annotated[str | None, typer.Option("--region", help="The stack's region")] = None,
) -> None:
    """Fetch a run's report.html (one self-contained page: open it in a browser, offline)."""
    from podium.io import write_text_atomic

    deployment = _deployment(stack, region)
    try:
        html = deployment.report(run_id)
    except PodiumError as error:
        raise fail(str(error), EXIT_INVALID) from None
    target = out_file or Path(f"{run_id}.html")
    write_text_atomic(target, html)
    out.print(f"Saved {escape(str(target))} — open it in a browser (it needs no network).")
