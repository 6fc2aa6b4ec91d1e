"""The `podium` command: generate and validate datasets, list models, rehearse.

Exit codes: 0 success; 1 the data or dataset is invalid, or the rehearsed run failed;
2 a usage error (an unknown option value, a missing file, bad JSON in --hyperparameters
or --input, an unsupported model, rehearse without moto installed).
"""

from __future__ import annotations

import enum
import json
import logging
import os
import re
import time
import uuid
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
from podium.config import PriceOverrides, StackSettings, ThroughputSettings, parse_run_settings
from podium.dataset.files import DATA_FILES, REPORT_FILE
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


class SplitName(str, enum.Enum):
    train = "train"
    validation = "validation"
    eval = "eval"


# Set by each command that takes --json: errors then also go to stdout as a JSON object.
_json_output = False

JSON_OPTION = typer.Option("--json", help="Print a machine-readable JSON summary on stdout instead of tables")


def _use_json(enabled: bool) -> None:
    global _json_output
    _json_output = enabled


def _emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


class Recipe(str, enum.Enum):
    """The dataset recipe (podium.dataset.planner): five phrasings a taught fact, packed
    profiles + Q&A rows, or Q&A rows only."""

    deep = "deep"
    mixed = "mixed"
    qa = "qa"


def _fail(message: str, code: int) -> typer.Exit:
    err.print(Text.assemble(("Error: ", "bold red"), message), highlight=False, soft_wrap=True)
    if _json_output:
        status = "usage_error" if code == EXIT_USAGE else "invalid"
        _emit_json({"status": status, "exit_code": code, "problems": [message]})
    return typer.Exit(code)


def _exit_for(error: PodiumError) -> typer.Exit:
    """ConfigError is a usage problem (exit 2); DataError means the data is unusable (exit 1)."""
    code = EXIT_USAGE if isinstance(error, ConfigError) else EXIT_INVALID
    return _fail(f"{error} — nothing was written.", code)


def _check_out_folder(path: Path) -> None:
    """--out must be a folder that exists or can be made here: checked before any work, so a
    wrong path never costs a whole run."""
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == path else f"cannot be made: {existing} is a file"
        raise _fail(f"--out {path} {where}; give a folder", EXIT_USAGE)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _fail(f"--out {path}: {existing} is not writable; give a folder you can write to", EXIT_USAGE)


def _json_problem(text: str, error: ValueError) -> str:
    if text.startswith("\ufeff"):
        return "it starts with a byte-order mark: remove the byte-order mark"
    return str(error)


def _json_object_option(option: str, text: str, example: str) -> dict[str, Any]:
    """The JSON object an option holds; refused (usage error) with `example` otherwise."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise _fail(
            f"{option} is not valid JSON ({_json_problem(text, error)}); give an object such as {example}",
            EXIT_USAGE,
        ) from None
    if not isinstance(value, dict):
        raise _fail(f"{option} must be a JSON object, e.g. {example}", EXIT_USAGE)
    return value


def _parse_hyperparameters(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    return _json_object_option("--hyperparameters", text, '\'{"epochCount": "2", "learningRate": "0.0001"}\'')


def _parse_prices(text: str | None) -> PriceOverrides | None:
    if text is None:
        return None
    value = _json_object_option("--prices", text, "'{\"training_per_1k_tokens\": 0.008}'")
    try:
        return parse_run_settings({"prices": value}).prices
    except ConfigError as error:
        raise _fail(f"--prices: {error}", EXIT_USAGE) from None


def _print_report(report: dict[str, Any], out_dir: Path | None) -> None:
    from podium.dataset.reconcile import report_summary

    counts = report["counts"]
    out.print(
        f"[bold]Dataset for {report['model_id']}[/] ({report['format']}): "
        f"{counts['train_rows']:,} train, {counts['validation_rows']:,} validation, "
        f"{counts['eval_rows']:,} eval rows from {counts['pairs_kept']:,} clean pairs "
        f"({counts['facts_trained']:,} of {counts['facts']:,} facts trained)"
    )
    coverage = Table(title="Facts by relation (priority order) and training rows", title_justify="left")
    coverage.add_column("relation", no_wrap=True, min_width=19)
    for column in ("taught", "held out", "left out", "phrasings", "train", "val", "eval"):
        coverage.add_column(column, justify="right")
    refusals = (report.get("plan") or {}).get("refusals") or {}
    for row in report["coverage"]:
        # A packed-row kind (text_*, profile_*) states facts of the other relations: rows only.
        packed = not row["facts_available"] and not row.get("facts_held_out")
        coverage.add_row(
            row["relation"],
            ("refusal" if row["relation"] in refusals else "packed") if packed else f"{row['facts_trained']:,}",
            "" if packed else f"{row.get('facts_held_out', 0):,}",
            "" if packed else f"{row.get('facts_left_out', 0):,}",
            "" if packed or not row["facts_trained"] else f"≥ {row.get('min_phrasings', 0)}",
            f"{row['train_rows']:,}",
            f"{row['validation_rows']:,}",
            f"{row['eval_rows']:,}",
        )
    out.print(coverage)
    plan = report.get("plan")
    if plan:
        aimed = plan.get("phrasings_aimed", 2)
        out.print(
            f"[bold]Recipe {plan['recipe']}:[/] {plan['facts_trained']:,} of {plan['facts']:,} facts taught "
            f"({plan['percent_facts_trained']:.1f}%), {plan.get('facts_with_phrasings_aimed', 0):,} of them in "
            f"≥ {aimed} phrasings; the others are left out (held out: kept for the evaluation's unseen "
            f"questions); eval set {report['eval']['questions']:,} questions ("
            + ", ".join(f"{kind} {sum(n.values()):,}" for kind, n in report["eval"]["composition"].items())
            + ")"
        )
        if plan.get("refusals"):
            listed = ", ".join(
                f"{relation} {n['trained']:,} of {n['available']:,}" for relation, n in plan["refusals"].items()
            )
            out.print(
                f"[bold]Refusal rows:[/] {plan['refusal_rows']:,} ({plan['percent_refusal_rows']:.1f}% of training): "
                f'questions about values the tables lack, answered "I don\'t have that information" ({listed})'
            )
    sources = report_summary(report)
    if sources:
        out.print(Text.assemble((sources[0], "bold"), sources[1]))
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
        files = "{" + ",".join(name.removesuffix(".jsonl") for name in DATA_FILES) + "}.jsonl"
        out.print(f"[bold]Files:[/] {escape(str(out_dir))}/{files} and {REPORT_FILE}")


def _run_generate(
    data: Path,
    model: str,
    out_dir: Path,
    *,
    region: str | None = None,
    hyperparameters: dict[str, Any] | None = None,
    seed: int = 0,
    prices: PriceOverrides | None = None,
    throughput: ThroughputSettings | None = None,
    evaluate: bool = True,
    recipe: str = "deep",
    teach_priorities: list[str] | None = None,
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
            prices=prices,
            throughput=throughput,
            evaluate=evaluate,
            recipe=recipe,
            teach_priorities=teach_priorities,
            progress=lambda message: progress.update(task, description=message),
        )


@app.command()
def generate(
    data: Annotated[Path, typer.Option("--data", help="Folder with the Kaggle-schema CSVs")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the dataset to")],
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Bedrock fine-tuning model id (default: cdk.json's base_model)", show_default=False
        ),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Check the model is offered here")] = None,
    hyperparameters: Annotated[
        str | None,
        typer.Option(
            "--hyperparameters", help="JSON object of training hyperparameters (default: cdk.json's, for its model)"
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for fact choice and split")] = 0,
    prices: Annotated[
        str | None,
        typer.Option(
            "--prices",
            help="JSON object of price overrides for the estimate, e.g. '{\"training_per_1k_tokens\": 0.008}'",
        ),
    ] = None,
    cdk_json: Annotated[
        Path,
        typer.Option("--cdk-json", help="Deployed defaults for the model and the estimate (built-in ones without it)"),
    ] = Path("cdk.json"),
    recipe: Annotated[
        Recipe | None,
        typer.Option(
            "--recipe",
            help="deep: the teach_priorities facts in five phrasings each, plus refusal rows; mixed: profiles + "
            "Q&A rows (every fact); qa: one fact a row [default: cdk.json's recipe; deep without one]",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Turn tables into train.jsonl, validation.jsonl, eval.jsonl, eval_bedrock.jsonl and report.json,
    estimated with the settings cdk.json deploys (so the estimate is the deployed run's).
    Exit 0 on success, 1 when the data yields no valid dataset, 2 on usage errors."""
    _use_json(as_json)
    _check_out_folder(out_dir)
    parsed = _parse_hyperparameters(hyperparameters)
    price_overrides = _parse_prices(prices)
    _require_csv_folder(data)
    deployed = deployed_settings(cdk_json).defaults
    model = model or deployed.base_model
    if parsed is None and model == deployed.base_model:
        parsed = dict(deployed.hyperparameters)  # they were checked for this model only
    laid_over = price_overrides.model_dump(exclude_none=True) if price_overrides else {}
    price_overrides = deployed.prices.model_copy(update=laid_over)
    try:
        report = _run_generate(
            data,
            model,
            out_dir,
            region=region,
            hyperparameters=parsed,
            seed=seed,
            prices=price_overrides,
            throughput=deployed.throughput,
            evaluate=deployed.evaluate,
            recipe=recipe.value if recipe is not None else deployed.recipe,
            teach_priorities=list(deployed.teach_priorities),
        )
    except PodiumError as error:
        raise _exit_for(error) from None
    if as_json:
        files = [str(out_dir / name) for name in (*DATA_FILES, REPORT_FILE)]
        _emit_json({"status": "ok", "exit_code": 0, "files": files, "problems": [], "report": report})
        return
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

    if region is None:
        return None
    model = MODELS[model_id]  # validate refused an unsupported model before asking
    client = _quota_client(region)
    if client is None:
        return model.documented_caps("no AWS credentials here; Podium's documented caps")
    try:
        return read_caps(client, model)
    except ClientError as error:  # throttled: the CLI does not retry, it falls back
        return model.documented_caps(f"Service Quotas not read ({error}); Podium's documented caps")


def _require_csv_folder(data: Path) -> None:
    """A --data that is not a folder of CSVs is a usage error (2); bad CSVs are invalid data (1)."""
    if not data.is_dir():
        raise _fail(f"--data {data}: no such folder — give the folder holding the CSVs", EXIT_USAGE)
    if not any(data.glob("*.csv")):
        raise _fail(f"--data {data}: no .csv files in this folder — give the folder holding the CSVs", EXIT_USAGE)


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
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Check a JSONL file against Bedrock's rules for MODEL; list every problem with its line.
    Exit 0 when valid, 1 when not, 2 on usage errors (no such file, unknown model, bad JSON)."""
    from podium.dataset.validate import MAX_LISTED_PROBLEMS, Problem, check_total_rows, validate_file

    _use_json(as_json)
    parsed = _parse_hyperparameters(hyperparameters)
    for path in (file, validation):
        if path is not None and not path.is_file():
            raise _fail(f"{path}: file not found — give the path of a .jsonl file", EXIT_USAGE)
    if model not in MODELS:
        try:
            get_model(model)
        except PodiumError as error:
            raise _fail(str(error), EXIT_USAGE) from None
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
            check_total_rows(result, paired, caps or MODELS[model].documented_caps("Podium's documented caps"))
    if as_json:
        _emit_json(
            {
                "status": "valid" if result.ok else "invalid",
                "exit_code": 0 if result.ok else EXIT_INVALID,
                "file": str(file),
                "model": model,
                "split": split.value,
                "rows": result.rows,
                "tokens_estimate": result.tokens,
                "problem_count": result.total_problems,
                "counts": dict(result.counts),
                "problems": [
                    {"line": problem.line, "kind": problem.kind, "message": problem.message}
                    for problem in result.problems
                ],
            }
        )
        if not result.ok:
            raise typer.Exit(EXIT_INVALID)
        return
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


def _model_record(model: Any) -> dict[str, Any]:
    return {
        "model_id": model.model_id,
        "name": model.display_name,
        "provider": model.provider,
        "regions": list(model.regions),
        "format": model.data_format.value,
        "max_train_rows": model.max_train_rows,
        "max_validation_rows": model.max_validation_rows,
        "max_tokens_per_row": model.max_tokens_per_row,
        "needs_provisioned_throughput": model.needs_provisioned_throughput,
        "limits_confirmed": model.confirmed,
    }


# Below this width the seven columns cannot all be read: one block per model instead.
WIDE_TABLE_COLUMNS = 120


@app.command()
def models(as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """List the Bedrock models Podium can fine-tune."""
    if as_json:
        _emit_json([_model_record(model) for model in MODELS.values()])
        return
    caption = "* some limits unconfirmed; PT = provisioned throughput"
    if out.width < WIDE_TABLE_COLUMNS:
        out.print("[bold]Fine-tunable base models[/]")
        for model in MODELS.values():
            deploy = "PT only" if model.needs_provisioned_throughput else "on-demand or PT"
            out.print(
                Text.assemble((model.model_id, "bold"), "  ", model.display_name + ("" if model.confirmed else " *")),
                soft_wrap=True,
            )
            out.print(f"    {', '.join(model.regions)} · {model.data_format.value} · {deploy}", highlight=False)
            out.print(
                f"    rows {model.max_train_rows:,} train / {model.max_validation_rows:,} validation · "
                f"{model.max_tokens_per_row:,} tokens/row",
                highlight=False,
            )
        out.print(caption, style="dim")
        return
    table = Table(title="Fine-tunable base models", caption=caption)
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


_NOT_A_CHECKOUT = (
    "rehearsal runs the repository's Lambda handlers (lambdas/) and state machine, which a wheel "
    "does not carry: run it from a clone of Podium (make rehearse, or pip install -e '.[rehearsal]')"
)
_NO_MOTO = "rehearsal needs moto: make rehearse (or pip install -e '.[rehearsal]')"


def _rehearsal_input(text: str, throughput: bool | None, model: str | None) -> dict[str, Any]:
    """The execution input: --input, with --throughput and --model (when given) laid over it."""
    settings = _json_object_option("--input", text, "'{\"dry_run\": true}' or '{\"budget_usd\": 20}'")
    section = settings.get("throughput")
    if throughput is not None and (section is None or isinstance(section, dict)):
        settings["throughput"] = {**(section or {}), "enabled": throughput}
    if model is not None:
        settings["base_model"] = model
    return settings


def _rehearsed_defaults(stack: StackSettings) -> dict[str, Any]:
    """The deployed run defaults, less the poll bounds: rehearsal waits 1 s (the harness's
    own poll settings). Poll bounds set how long waits last, never what is planned or spent."""
    defaults = stack.defaults.model_dump(mode="json")
    del defaults["poll"]
    return defaults


def deployed_settings(cdk_json: Path) -> StackSettings:
    """What `cdk deploy` would deploy from this cdk.json (built-in defaults without one)."""
    from podium.config_context import cdk_json_context, settings_from_context

    if not cdk_json.is_file():
        return StackSettings()
    try:
        return settings_from_context(cdk_json_context(cdk_json))
    except ConfigError as error:
        raise _fail(f"{cdk_json}: {error}", EXIT_USAGE) from None
    except ValueError as error:
        raise _fail(f"{cdk_json} is not valid JSON ({error})", EXIT_USAGE) from None


@app.command()
def rehearse(
    data: Annotated[Path, typer.Option("--data", help="Folder with the Kaggle-schema CSVs")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to copy the run's files to (into <out>/<run id>/)")],
    input_json: Annotated[str, typer.Option("--input", help="Execution input, a JSON object of run settings")] = "{}",
    throughput: Annotated[
        bool | None,
        typer.Option(
            "--throughput/--no-throughput",
            help="Create, check and promote provisioned throughput (default: cdk.json's throughput_enabled)",
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
            help="Bedrock base model id (default: the one in --input, else cdk.json's base_model)",
            show_default=False,
        ),
    ] = None,
    cdk_json: Annotated[
        Path,
        typer.Option("--cdk-json", help="The deployed defaults: this file's context, as `cdk deploy` reads it"),
    ] = Path("cdk.json"),
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Rehearse a whole run on this machine: the real state machine, Lambda handlers and
    emulated AWS + Bedrock, with no AWS account. The run's defaults are the ones cdk.json
    deploys; --input is laid over them as an execution input would be. Exit 0 when the
    run succeeds, 1 when it fails, 2 on usage errors."""
    _use_json(as_json)
    settings = _rehearsal_input(input_json, throughput, model)
    if fail_with is not None and fail_step is None:
        raise _fail("--fail-with needs --fail-step (which step should fail?)", EXIT_USAGE)
    stack = deployed_settings(cdk_json)
    region = stack.region
    if model is not None:
        try:
            get_model(model)
        except PodiumError as error:
            raise _fail(str(error), EXIT_USAGE) from None
    base_model = settings.get("base_model", stack.defaults.base_model)
    if isinstance(base_model, str) and base_model in MODELS and region not in MODELS[base_model].regions:
        region = MODELS[base_model].regions[0]  # rehearse where the model is offered
    try:
        run_settings = stack.defaults.merged(settings)
    except ConfigError:
        run_settings = stack.defaults  # Prepare reports the bad input, as it would on AWS
    _require_csv_folder(data)
    _check_out_folder(out_dir)
    try:
        import moto  # noqa: F401 - only checks that the rehearsal extra is installed
    except ImportError:
        raise _fail(_NO_MOTO, EXIT_USAGE) from None
    if not (Path(__file__).resolve().parents[1] / "lambdas" / "__init__.py").is_file():
        raise _fail(_NOT_A_CHECKOUT, EXIT_USAGE)

    from podium.rehearsal import console as show
    from podium.rehearsal.harness import ASL_PATH, RehearsalOptions
    from podium.rehearsal.harness import rehearse as run_rehearsal

    injected = None
    if fail_step is not None:
        try:
            injected = show.plan_failure(fail_step, fail_with)
        except ValueError as error:
            raise _fail(str(error), EXIT_USAGE) from None
        if injected.target == show.BEDROCK_THROUGHPUT and not run_settings.throughput.enabled:
            raise _fail("--fail-step BedrockThroughput needs provisioned throughput on (--throughput)", EXIT_USAGE)

    options = RehearsalOptions(
        data_dir=data,
        defaults=_rehearsed_defaults(stack),
        region=region,
        name_prefix=stack.name_prefix,
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
            "emulator. No AWS account is used and nothing is billed. Waits last 1 s here (a deployed run "
            f"waits {run_settings.poll.min_seconds} s to {run_settings.poll.max_seconds} s between checks).",
        ),
        highlight=False,
        soft_wrap=True,
    )
    source = f"{cdk_json} context, as deployed" if cdk_json.is_file() else f"built-in (no {cdk_json})"
    err.print(
        Text.assemble(("Settings: ", "bold"), f"{source}; region {region}; input {json.dumps(settings)}"),
        highlight=False,
        soft_wrap=True,
    )
    if injected is not None:
        err.print(
            Text.assemble(("Injected: ", "bold yellow"), injected.description),
            highlight=False,
            soft_wrap=True,
        )

    started = time.perf_counter()
    progress = show.StateProgress(err, "Starting the local cloud: moto, the Lambda endpoint and the Bedrock emulator")
    with _DataWarnings(data) as data_warnings:
        try:
            with progress, show.quiet_executor_logs():
                result, files = run_rehearsal(
                    options, settings, out_dir=out_dir, name=name, events=progress, folder_per_run=True
                )
        except TimeoutError as error:
            raise _fail(f"the rehearsed execution did not finish: {error}", EXIT_INVALID) from None
    run_dir = out_dir / (result.run_id or name)
    for line in data_warnings.lines:  # after the state list, never inside it
        err.print(Text.assemble(("Warning: ", "bold yellow"), line), highlight=False, soft_wrap=True)
    succeeded = result.status == "SUCCEEDED"
    if as_json:
        _emit_json(_rehearsal_json(result, run_dir, files, data_warnings.lines))
    else:
        show.print_summary(
            out,
            show.Summary(
                result=result,
                run_dir=run_dir,
                files=files,
                elapsed_seconds=time.perf_counter() - started,
                injected=injected,
                topic=f"{options.name_prefix}-notifications",
            ),
            execution_seconds=progress.execution_seconds,
        )
        if succeeded:
            out.print(Text.assemble(("Next: ", "bold"), _NEXT_AFTER_REHEARSAL), highlight=False, soft_wrap=True)
    if not succeeded:
        raise typer.Exit(EXIT_INVALID)


_NEXT_AFTER_REHEARSAL = (
    "deploy it with `npx aws-cdk@2 deploy` (README.md → Deploy: AWS credentials, Bedrock model access, "
    "`make venv && source .venv/bin/activate` first), then upload the CSVs and start a run with "
    "`aws stepfunctions start-execution --state-machine-arn <StateMachineArn> --input '{\"dry_run\": true}'`."
)


class _DataWarnings(logging.Handler):
    """Holds the data checks' warnings (podium.dataset logs them) while the rehearsal runs,
    naming the user's --data folder instead of the handler's scratch copy of the bucket."""

    _SCRATCH = re.compile(r"\S*?podium-data-[^/\s]+/")

    def __init__(self, data_dir: Path) -> None:
        super().__init__(logging.WARNING)
        self.data_dir = data_dir
        self.lines: list[str] = []
        self._logger = logging.getLogger("podium.dataset")
        self._propagate = self._logger.propagate

    def emit(self, record: logging.LogRecord) -> None:
        line = self._SCRATCH.sub(f"{self.data_dir}/", record.getMessage())
        if line not in self.lines:
            self.lines.append(line)

    def __enter__(self) -> _DataWarnings:
        self._logger.addHandler(self)
        self._logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate


def _rehearsal_json(result: Any, run_dir: Path, files: list[Path], data_warnings: list[str]) -> dict[str, Any]:
    """What a script needs from a rehearsal: outcome, where it went, what it wrote, what went wrong."""
    report_path = run_dir / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
    notification = result.notifications[-1] if result.notifications else {}
    problems = []
    if result.status != "SUCCEEDED":
        problems.append(
            {
                "error": result.error or notification.get("error"),
                "message": notification.get("message") or result.cause,
            }
        )
    return {
        "status": result.status,
        "exit_code": 0 if result.status == "SUCCEEDED" else EXIT_INVALID,
        "run_id": result.run_id,
        "execution_arn": result.execution_arn,
        "states": result.states,
        "run_dir": str(run_dir),
        "files": [str(path) for path in files],
        "counts": report["counts"] if report else None,
        "estimate_usd": report["estimate"].get("run_usd") if report else None,
        "active_model": result.active_model,
        "throughputs_left": result.throughputs,
        "warnings": data_warnings,
        "problems": problems,
    }


# ---- a deployed stack: ask the active model, list runs, fetch a report ----------------------

_STACK_HELP = "CloudFormation stack name (the name_prefix setting)"


def _deployment(stack: str, region: str | None) -> Any:
    from podium.adapters.deployment import Deployment

    try:
        return Deployment.find(stack, region)
    except PodiumError as error:
        raise _fail(str(error), EXIT_INVALID) from None


@app.command()
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
        raise _fail(str(error), EXIT_INVALID) from None
    except Throttled as error:
        raise _fail(f"Bedrock throttled the question ({error}); try again in a moment", EXIT_INVALID) from None
    label = " (SIMULATED answer: the rehearsal's emulated model)" if simulated else ""
    err.print(Text.assemble(("Asked ", "dim"), (model_id, "dim"), (label, "bold yellow")), highlight=False)
    out.print(answer, highlight=False, markup=False, soft_wrap=True)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@app.command()
def runs(
    stack: Annotated[str, typer.Option("--stack", help=_STACK_HELP)] = "podium",
    region: Annotated[str | None, typer.Option("--region", help="The stack's region")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many runs, newest first")] = 10,
) -> None:
    """Recent runs: outcome, rows, evaluation scores (new vs base model) and estimated cost."""
    deployment = _deployment(stack, region)
    rows = deployment.runs(limit)
    if not rows:
        out.print(f"No runs yet: start one in the Step Functions console ({deployment.state_machine_arn}).")
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


@app.command()
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
        raise _fail(str(error), EXIT_INVALID) from None
    target = out_file or Path(f"{run_id}.html")
    write_text_atomic(target, html)
    out.print(f"Saved {escape(str(target))} — open it in a browser (it needs no network).")


if __name__ == "__main__":  # pragma: no cover
    app()
