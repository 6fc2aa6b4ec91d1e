"""The `podium` command: generate and validate datasets, list models, rehearse.

Exit codes: 0 success; 1 the data or dataset is invalid, or the rehearsed run failed;
2 a usage error (an unknown option value, a missing file, bad JSON in --hyperparameters
or --input, an unsupported model, rehearse without moto installed).
"""

from __future__ import annotations

import enum
import json
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from podium import __version__
from podium.errors import ConfigError, PodiumError
from podium.models import DEFAULT_MODEL_ID, MODELS, RowCaps, get_model

app = typer.Typer(
    help="Podium: teach a foundation model new facts from tables, on Amazon Bedrock.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)


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


EXIT_INVALID = 1
EXIT_USAGE = 2
REHEARSAL_REGION = "us-west-2"  # unless the base model is offered elsewhere only


class SplitName(str, enum.Enum):
    train = "train"
    validation = "validation"
    eval = "eval"


def _fail(message: str, code: int) -> typer.Exit:
    err.print(Text.assemble(("Error: ", "bold red"), message), highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _exit_for(error: PodiumError) -> typer.Exit:
    """ConfigError is a usage problem (exit 2); DataError means the data is unusable (exit 1)."""
    code = EXIT_USAGE if isinstance(error, ConfigError) else EXIT_INVALID
    return _fail(f"{error} — nothing was written.", code)


def _parse_hyperparameters(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as error:
        raise _fail(
            f"--hyperparameters is not valid JSON ({error}); give an object such as "
            '\'{"epochCount": "2", "learningRate": "0.0001"}\'',
            EXIT_USAGE,
        ) from None
    if not isinstance(value, dict):
        raise _fail('--hyperparameters must be a JSON object, e.g. \'{"epochCount": "2"}\'', EXIT_USAGE)
    return value


def _print_report(report: dict[str, Any], out_dir: Path | None) -> None:
    counts = report["counts"]
    out.print(
        f"[bold]Dataset for {report['model_id']}[/] ({report['format']}): "
        f"{counts['train_rows']:,} train, {counts['validation_rows']:,} validation, "
        f"{counts['eval_rows']:,} eval rows from {counts['pairs_kept']:,} clean pairs "
        f"({counts['facts_trained']:,} of {counts['facts']:,} facts trained)"
    )
    coverage = Table(title="Coverage by relation (priority order)", title_justify="left")
    coverage.add_column("relation", no_wrap=True, min_width=19)
    for column in ("facts", "trained", "% trained", "train rows", "val rows", "eval rows"):
        coverage.add_column(column, justify="right")
    for row in report["coverage"]:
        coverage.add_row(
            row["relation"],
            f"{row['facts_available']:,}",
            f"{row['facts_trained']:,}",
            f"{row['percent_covered']:.1f}",
            f"{row['train_rows']:,}",
            f"{row['validation_rows']:,}",
            f"{row['eval_rows']:,}",
        )
    out.print(coverage)
    if report["rejections"]:
        reasons = "; ".join(f"{reason}: {n:,}" for reason, n in report["rejections"].items())
        out.print(Text.assemble(("Rejected pairs: ", "bold"), reasons))
    else:
        out.print("[bold]Rejected pairs:[/] none")
    tokens = report["tokens"]
    out.print(
        f"[bold]Tokens:[/] ~{tokens['train_estimate_for_cost']:,} train, "
        f"~{tokens['validation_estimate_for_cost']:,} validation (estimates); "
        f"largest row ~{tokens['max_row_estimate']:,} of {tokens['row_cap']:,} allowed"
    )
    for line in report["estimate"]["lines"]:
        out.print(line, highlight=False, markup=False)
    if out_dir is not None:
        out.print(f"[bold]Files:[/] {escape(str(out_dir))}/{{train,validation,eval}}.jsonl and report.json")


def _run_generate(
    data: Path,
    model: str,
    out_dir: Path,
    *,
    region: str | None = None,
    hyperparameters: dict[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    from podium.dataset.build import generate as generate_dataset

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("Starting", total=None)
        return generate_dataset(
            data,
            model,
            out_dir,
            region=region,
            hyperparameters=hyperparameters,
            seed=seed,
            progress=lambda message: progress.update(task, description=message),
        )


@app.command()
def generate(
    data: Annotated[Path, typer.Option("--data", help="Folder with the Kaggle-schema CSVs")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the dataset to")],
    model: Annotated[str, typer.Option("--model", help="Bedrock fine-tuning model id")] = DEFAULT_MODEL_ID,
    region: Annotated[str | None, typer.Option("--region", help="Check the model is offered here")] = None,
    hyperparameters: Annotated[
        str | None, typer.Option("--hyperparameters", help="JSON object of training hyperparameters")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for fact choice and split")] = 0,
) -> None:
    """Turn tables into train.jsonl, validation.jsonl, eval.jsonl and report.json."""
    parsed = _parse_hyperparameters(hyperparameters)
    try:
        report = _run_generate(data, model, out_dir, region=region, hyperparameters=parsed, seed=seed)
    except PodiumError as error:
        raise _exit_for(error) from None
    _print_report(report, out_dir)


def _quota_client(region: str) -> object | None:
    """A Service Quotas client when AWS credentials are configured here, else None."""
    import boto3

    session = boto3.Session(region_name=region)
    return session.client("service-quotas") if session.get_credentials() is not None else None


def _account_caps(model_id: str, region: str | None) -> RowCaps | None:
    """With --region: the account's quotas for the model, or the documented caps saying why."""
    from botocore.exceptions import ClientError

    from podium.adapters.service_quotas import read_caps

    model = MODELS.get(model_id)
    if region is None or model is None:
        return None
    client = _quota_client(region)
    if client is None:
        return model.documented_caps("no AWS credentials here; Podium's documented caps")
    try:
        return read_caps(client, model)
    except ClientError as error:  # throttled: the CLI does not retry, it falls back
        return model.documented_caps(f"Service Quotas not read ({error}); Podium's documented caps")


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="JSONL file to check")],
    model: Annotated[str, typer.Option("--model", help="Bedrock fine-tuning model id")] = DEFAULT_MODEL_ID,
    split: Annotated[SplitName, typer.Option("--split", help="Which file this is")] = SplitName.train,
    hyperparameters: Annotated[
        str | None, typer.Option("--hyperparameters", help="JSON object of training hyperparameters to check")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region the job would run in; with AWS credentials, its quotas are read"),
    ] = None,
    validation: Annotated[
        Path | None,
        typer.Option("--validation", help="The validation file too: train + validation are checked against the sum"),
    ] = None,
) -> None:
    """Check a JSONL file against Bedrock's rules for MODEL; list every problem with its line."""
    from podium.dataset.validate import MAX_LISTED_PROBLEMS, Problem, check_total_rows, validate_file

    parsed = _parse_hyperparameters(hyperparameters)
    for path in (file, validation):
        if path is not None and not path.is_file():
            raise _fail(f"{path}: file not found — give the path of a .jsonl file", EXIT_USAGE)
    caps = _account_caps(model, region)
    if caps is not None:
        err.print(
            f"Caps: {caps.train:,} train, {caps.validation:,} validation, {caps.total:,} together, "
            f"{caps.epochs} epochs — {caps.source} ({caps.note})",
            highlight=False,
        )
    with Progress(SpinnerColumn(), TextColumn("Validating {task.description}"), console=err, transient=True) as bar:
        bar.add_task(str(file), total=None)
        result = validate_file(file, model, split=split.value, hyperparameters=parsed, region=region, caps=caps)
        if validation is not None:
            paired = validate_file(validation, model, split="validation", region=region, caps=caps)
            for problem in paired.problems[: MAX_LISTED_PROBLEMS - len(result.problems)]:
                result.problems.append(Problem(problem.kind, f"{validation}: {problem.message}", problem.line))
            result.counts.update(paired.counts)
            sum_caps = caps or (MODELS[model].documented_caps("Podium's documented caps") if model in MODELS else None)
            if sum_caps is not None:  # an unsupported model is reported by the validator already
                check_total_rows(result, paired, sum_caps)
    summary = (
        f"{escape(str(file))}: {result.rows:,} rows, ~{result.tokens:,} tokens (estimate) for {model} ({split.value})"
    )
    if result.ok:
        out.print(f"[bold green]Valid[/] — {summary}", highlight=False)
        return
    table = Table(title=f"{result.total_problems:,} problem(s) in {file}", title_justify="left")
    table.add_column("line", justify="right")
    table.add_column("kind")
    table.add_column("problem", overflow="fold")
    for problem in result.problems:
        table.add_row("" if problem.line is None else str(problem.line), problem.kind, Text(problem.message))
    out.print(table)
    if result.total_problems > len(result.problems):
        out.print(f"(first {len(result.problems)} listed)")
    out.print("By kind: " + ", ".join(f"{kind} {n:,}" for kind, n in result.counts.most_common()), highlight=False)
    out.print(f"[bold red]Invalid[/] — {summary}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


@app.command()
def models() -> None:
    """List the Bedrock models Podium can fine-tune."""
    table = Table(title="Fine-tunable base models", caption="* some limits unconfirmed; PT = provisioned throughput")
    table.add_column("model id", no_wrap=True)
    table.add_column("name")
    table.add_column("region", no_wrap=True)
    table.add_column("format", no_wrap=True)
    for column in ("rows train/val", "tokens/row", "deploy"):
        table.add_column(column)
    for model in MODELS.values():
        table.add_row(
            model.model_id,
            model.display_name + ("" if model.confirmed else " *"),
            ", ".join(model.regions),
            model.data_format.value,
            f"{model.max_train_rows:,} / {model.max_validation_rows:,}",
            f"{model.max_tokens_per_row:,}",
            "PT" if model.needs_provisioned_throughput else "on-demand or PT",
        )
    out.print(table)


_NO_MOTO = "rehearsal needs moto: make rehearse (or pip install -e '.[rehearsal]')"


def _rehearsal_input(text: str, throughput: bool | None, model: str | None) -> dict[str, Any]:
    """The execution input: --input, with --throughput and --model laid over it."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise _fail(
            f"--input is not valid JSON ({error}); give an object such as "
            "'{\"dry_run\": true}' or '{\"budget_usd\": 20}'",
            EXIT_USAGE,
        ) from None
    if not isinstance(value, dict):
        raise _fail("--input must be a JSON object, e.g. '{\"force\": true}'", EXIT_USAGE)
    settings = dict(value)
    section = settings.get("throughput")
    if section is None or isinstance(section, dict):
        section = dict(section or {})
        if throughput is not None or "enabled" not in section:
            section["enabled"] = True if throughput is None else throughput
        settings["throughput"] = section
    if model is not None:
        settings["base_model"] = model
    return settings


@app.command()
def rehearse(
    data: Annotated[Path, typer.Option("--data", help="Folder with the Kaggle-schema CSVs")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to copy the run's files to (into <out>/<run id>/)")],
    input_json: Annotated[str, typer.Option("--input", help="Execution input, a JSON object of run settings")] = "{}",
    throughput: Annotated[
        bool | None,
        typer.Option(
            "--throughput/--no-throughput",
            help=(
                "Create, check and promote provisioned throughput (default: on, unless --input sets throughput.enabled)"
            ),
            show_default=False,
        ),
    ] = None,
    fail_step: Annotated[
        str | None,
        typer.Option(
            "--fail-step",
            help="Inject a failure: BedrockJob or BedrockThroughput (Bedrock ends it Failed with "
            "--fail-with as its message); BedrockData (the training file is altered after upload: "
            "--fail-with truncated|empty-answer|chat-row|too-long); a Bedrock operation such as "
            "BedrockCreate (it answers --fail-with's error, e.g. ServiceQuotaExceededException); "
            "or a step name such as StartFineTune (its Lambda raises)",
        ),
    ] = None,
    fail_with: Annotated[
        str | None,
        typer.Option(
            "--fail-with",
            help="The injected message. For a step, 'ErrorName: message' sets the error; a "
            "transient one (e.g. 'ThrottlingException: Rate exceeded') fails once and is retried",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help=f"Bedrock base model id (default: the one in --input, else {DEFAULT_MODEL_ID})",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rehearse a whole run on this machine: the real state machine, Lambda handlers and
    emulated AWS + Bedrock, with no AWS account. Exit 0 when the run succeeds, 1 when it fails."""
    settings = _rehearsal_input(input_json, throughput, model)
    if fail_with is not None and fail_step is None:
        raise _fail("--fail-with needs --fail-step (which step should fail?)", EXIT_USAGE)
    region = REHEARSAL_REGION
    if model is not None:
        try:
            get_model(model)
        except PodiumError as error:
            raise _fail(str(error), EXIT_USAGE) from None
    if isinstance(settings.get("base_model"), str) and settings["base_model"] in MODELS:
        regions = MODELS[settings["base_model"]].regions  # rehearse where the model is offered
        region = REHEARSAL_REGION if REHEARSAL_REGION in regions else regions[0]
    if not data.is_dir() or not any(data.glob("*.csv")):
        raise _fail(f"{data}: no .csv files to rehearse with — give the folder of the CSVs", EXIT_USAGE)
    if out_dir.exists() and not out_dir.is_dir():
        raise _fail(f"--out {out_dir} is a file; give a folder", EXIT_USAGE)
    try:
        import moto  # noqa: F401 - only checks that the rehearsal extra is installed
    except ImportError:
        raise _fail(_NO_MOTO, EXIT_USAGE) from None

    from podium.rehearsal import console as show
    from podium.rehearsal.harness import ASL_PATH, RehearsalOptions
    from podium.rehearsal.harness import rehearse as run_rehearsal

    injected = None
    if fail_step is not None:
        try:
            injected = show.plan_failure(fail_step, fail_with)
        except ValueError as error:
            raise _fail(str(error), EXIT_USAGE) from None
        if injected.target == show.BEDROCK_THROUGHPUT and not settings["throughput"].get("enabled"):
            raise _fail("--fail-step BedrockThroughput needs provisioned throughput on (--throughput)", EXIT_USAGE)

    options = RehearsalOptions(
        data_dir=data,
        region=region,
        faults=injected.faults if injected else (),
        publish_metrics=False,
        **({"script": injected.script} if injected else {}),
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"rehearsal-{stamp}-{uuid.uuid4().hex[:4]}"
    err.print(
        Text.assemble(
            ("Rehearsing ", "bold"),
            f"{ASL_PATH.relative_to(ASL_PATH.parents[1])} on this machine: moto's Step Functions executor, "
            "S3, SSM and SNS; the real Lambda handlers behind a local Invoke endpoint; the Bedrock "
            "emulator. No AWS account is used and nothing is billed. Waits last 1 s here through the "
            "poll settings (a deployed run waits 30 s to 10 min between checks).",
        ),
        highlight=False,
        soft_wrap=True,
    )
    err.print(Text.assemble(("Input: ", "bold"), json.dumps(settings)), highlight=False, soft_wrap=True)
    if injected is not None:
        err.print(
            Text.assemble(("Injected: ", "bold yellow"), injected.description),
            highlight=False,
            soft_wrap=True,
        )

    started = time.perf_counter()
    progress = show.StateProgress(err, "Starting the local cloud: moto, the Lambda endpoint and the Bedrock emulator")
    with warnings.catch_warnings():
        # Powertools warns when a handler published no metric; rehearsal disables metrics anyway
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        try:
            with progress, show.quiet_executor_logs():
                result, files = run_rehearsal(
                    options, settings, out_dir=out_dir, name=name, events=progress, folder_per_run=True
                )
        except TimeoutError as error:
            raise _fail(f"the rehearsed execution did not finish: {error}", EXIT_INVALID) from None
    show.print_summary(
        out,
        show.Summary(
            result=result,
            run_dir=out_dir / (result.run_id or name),
            files=files,
            elapsed_seconds=time.perf_counter() - started,
            injected=injected,
            topic=f"{options.name_prefix}-notifications",
        ),
        execution_seconds=progress.execution_seconds,
    )
    if result.status != "SUCCEEDED":
        raise typer.Exit(EXIT_INVALID)


if __name__ == "__main__":  # pragma: no cover
    app()
