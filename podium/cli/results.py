"""What runs produced, on a deployed stack or in a rehearsal's output folder: `podium ask`
(the active model), `podium runs` (recent runs, their outcome and scores, the state a running
one is in) and `podium report` (a run's report.html).

The stack and its region default to cdk.json's name_prefix and region; `--rehearsal DIR`
reads the folder `podium rehearse --out DIR` wrote instead, with no AWS account. Anything
that keeps AWS from answering is one sentence with the fix (podium.adapters.deployment).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from podium.cli.options import CDK_JSON_HELP, deployed_settings
from podium.cli.output import EXIT_INVALID, FAILED, JSON_OPTION, OK, emit_result, err, fail, out, use_json
from podium.errors import PodiumError

_STACK_HELP = "CloudFormation stack name [default: cdk.json's name_prefix]"
_REGION_HELP = "The stack's region [default: cdk.json's region]"
_REHEARSAL_HELP = "Read a rehearsal's output folder (podium rehearse --out DIR) instead of a deployed stack"

StackOption = Annotated[str | None, typer.Option("--stack", help=_STACK_HELP, show_default=False)]
RegionOption = Annotated[str | None, typer.Option("--region", help=_REGION_HELP, show_default=False)]
RehearsalOption = Annotated[Path | None, typer.Option("--rehearsal", help=_REHEARSAL_HELP, show_default=False)]
CdkJsonOption = Annotated[Path | None, typer.Option("--cdk-json", help=CDK_JSON_HELP, show_default=False)]


def _source(stack: str | None, region: str | None, rehearsal: Path | None, cdk_json: Path | None) -> Any:
    """The deployed stack (cdk.json's unless named) or the rehearsal folder runs are read from."""
    try:
        if rehearsal is not None:
            from podium.rehearsal.folder import RehearsalFolder

            return RehearsalFolder(rehearsal)
        from podium.adapters.deployment import Deployment

        settings = deployed_settings(cdk_json) if stack is None or region is None else None
        return Deployment.find(stack or settings.name_prefix, region or settings.region)  # type: ignore[union-attr]
    except PodiumError as error:
        raise fail(str(error), EXIT_INVALID, FAILED) from None


def ask(
    question: Annotated[str, typer.Argument(help="The question, e.g. 'Who won the women's 800 m freestyle?'")],
    base: Annotated[bool, typer.Option("--base", help="Ask the base model instead of the fine-tuned one")] = False,
    stack: StackOption = None,
    region: RegionOption = None,
    rehearsal: RehearsalOption = None,
    cdk_json: CdkJsonOption = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Ask the active model one question, framed as in training (as the evaluation asks it).
    With --rehearsal DIR: the SIMULATED model that folder's rehearsal promoted."""
    use_json(as_json)
    source = _source(stack, region, rehearsal, cdk_json)
    try:
        answer, model_id, simulated = source.ask(question, base=base)
    except PodiumError as error:
        raise fail(str(error), EXIT_INVALID, FAILED) from None
    if as_json:
        emit_result(OK, 0, source=source.where, model_id=model_id, simulated=simulated, answer=answer)
        return
    label = " (SIMULATED answer: the rehearsal's emulated model)" if simulated else ""
    err.print(Text.assemble(("Asked ", "dim"), (model_id, "dim"), (label, "bold yellow")), highlight=False)
    out.print(answer, highlight=False, markup=False, soft_wrap=True)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _scores(row: dict[str, Any]) -> str:
    if row["paraphrase_accuracy"] is None:
        return "—"
    text = f"{_percent(row['paraphrase_accuracy'])} / {_percent(row['base_paraphrase_accuracy'])}"
    if row.get("champion_accuracy") is not None:
        text += f" (champion {_percent(row['champion_accuracy'])} vs {_percent(row['challenger_accuracy'])})"
    return text + (" SIMULATED" if row["simulated"] else "")


def runs(
    stack: StackOption = None,
    region: RegionOption = None,
    rehearsal: RehearsalOption = None,
    cdk_json: CdkJsonOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many runs, newest first")] = 10,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Recent runs: outcome (or the state a running one is in), rows, evaluation scores (new vs
    base model, and vs the champion it was compared with) and estimated cost, and where the
    dashboard of runs over time is."""
    use_json(as_json)
    source = _source(stack, region, rehearsal, cdk_json)
    try:
        rows = source.runs(limit)
    except PodiumError as error:
        raise fail(str(error), EXIT_INVALID, FAILED) from None
    if as_json:
        dashboard = getattr(source, "dashboard_url", None)
        emit_result(OK, 0, source=source.where, console_url=source.console_url, dashboard_url=dashboard, runs=rows)
        return
    if not rows:
        where = (
            f"start one in the Step Functions console: {source.console_url}"
            if source.console_url
            else ("rehearse one with `podium rehearse --data DIR --out DIR`")
        )
        out.print(f"No runs yet in {source.where}: {where}", highlight=False, soft_wrap=True)
        _print_dashboard(getattr(source, "dashboard_url", None))
        return
    table = Table(title=f"Recent runs ({source.where})", title_justify="left")
    table.add_column("run", overflow="fold", min_width=16)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("outcome", overflow="fold")
    table.add_column("train rows", justify="right")
    table.add_column("paraphrase new / base", justify="right", overflow="fold")
    table.add_column("hallucinated", justify="right")
    table.add_column("est. cost", justify="right")
    table.add_column("asked through", overflow="fold")  # a throughput (per hour) or a deployment (per token)
    simulated = False
    for row in rows:
        simulated = simulated or row["simulated"]
        cost = row["estimated_cost_usd"]
        table.add_row(
            str(row["run_id"] or row["name"]),
            row["started"].strftime("%Y-%m-%d %H:%M"),
            str(row["outcome"]),
            "—" if row["train_rows"] is None else f"{row['train_rows']:,}",
            _scores(row),
            _percent(row["unseen_hallucination"]),
            "—" if cost is None else f"${cost:,.2f}",
            row.get("serving") or "—",
        )
    out.print(table)
    out.print("Costs are ESTIMATES." + (" SIMULATED scores come from the rehearsal's emulator." if simulated else ""))
    running = [row for row in rows if row["status"] == "RUNNING" and row.get("console_url")]
    for row in running:
        out.print(f"{row['name']} is in {row['current_state'] or 'a state'}: {row['console_url']}", highlight=False)
    _print_dashboard(getattr(source, "dashboard_url", None))


def _print_dashboard(url: str | None) -> None:
    if url:  # a stack deployed before the dashboard (or a rehearsal folder) has none
        out.print(f"Dashboard: {url}", soft_wrap=True, highlight=False)


def report(
    run_id: Annotated[
        str | None, typer.Argument(help="The run id (see `podium runs`) [default: the latest run]", show_default=False)
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="File or folder to save it to [default: ./<run id>.html]", show_default=False),
    ] = None,
    stack: StackOption = None,
    region: RegionOption = None,
    rehearsal: RehearsalOption = None,
    cdk_json: CdkJsonOption = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Save a run's report.html (one self-contained page: open it in a browser, offline)."""
    from podium.io import write_text_atomic

    use_json(as_json)
    source = _source(stack, region, rehearsal, cdk_json)
    try:
        run_id, html = source.report(run_id)
    except PodiumError as error:
        raise fail(str(error), EXIT_INVALID, FAILED) from None
    target = out_file or Path(f"{run_id}.html")
    if target.is_dir() or str(target).endswith(("/", "\\")):
        target = target / f"{run_id}.html"
    try:
        write_text_atomic(target, html)
    except OSError as error:
        raise fail(f"--out {out_file}: cannot write {target} ({error.strerror or error})", EXIT_INVALID) from None
    if as_json:
        emit_result(OK, 0, source=source.where, run_id=run_id, file=str(target))
        return
    out.print(f"Saved {escape(str(target))} — open it in a browser (it needs no network).")
