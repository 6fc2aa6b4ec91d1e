"""The dataset commands: `podium generate` (tables → dataset files + report), `podium validate`
(a JSONL file against Bedrock's rules) and `podium models` (the fine-tunable base models)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from podium.cli.options import (
    CDK_JSON_HELP,
    check_out_folder,
    deployed_settings,
    parse_hyperparameters,
    parse_prices,
    require_csv_folder,
)
from podium.cli.output import (
    EXIT_INVALID,
    EXIT_USAGE,
    INVALID,
    JSON_OPTION,
    OK,
    DataWarnings,
    emit_result,
    err,
    exit_for,
    fail,
    out,
    use_json,
)
from podium.config import PriceOverrides, ThroughputSettings
from podium.dataset.files import DATA_FILES, REPORT_FILE
from podium.errors import PodiumError
from podium.models import MODELS, RowCaps, get_model


class SplitName(str, enum.Enum):
    train = "train"
    validation = "validation"
    eval = "eval"


class Recipe(str, enum.Enum):
    """The dataset recipe (podium.dataset.planner): five phrasings a taught fact, packed
    profiles + Q&A rows, or Q&A rows only."""

    deep = "deep"
    mixed = "mixed"
    qa = "qa"


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
        held_out = sum(row.get("facts_held_out", 0) for row in report["coverage"])
        out.print(
            f"[bold]Recipe {plan['recipe']}:[/] {plan['facts_trained']:,} of {plan['facts']:,} facts taught "
            f"({plan['percent_facts_trained']:.1f}%), {plan.get('facts_with_phrasings_aimed', 0):,} of them in "
            f"≥ {aimed} phrasings; {plan['facts'] - plan['facts_trained']:,} left out (row budget or "
            f"priorities), {held_out:,} more held out for the unseen questions; eval set "
            f"{report['eval']['questions']:,} questions ("
            + ", ".join(f"{kind} {sum(n.values()):,}" for kind, n in report["eval"]["composition"].items())
            + ")"
        )
        if plan.get("refusals"):
            listed = ", ".join(
                f"{relation} {n['trained']:,} rows about {n.get('people', 0):,} of the {n['available']:,} people"
                for relation, n in plan["refusals"].items()
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
    deployment: str = "provisioned",
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
            deployment=deployment,
            recipe=recipe,
            teach_priorities=teach_priorities,
            progress=lambda message: progress.update(task, description=message),
        )


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
    cdk_json: Annotated[Path | None, typer.Option("--cdk-json", help=CDK_JSON_HELP, show_default=False)] = None,
    recipe: Annotated[
        Recipe | None,
        typer.Option(
            "--recipe",
            help="deep: the teach_priorities facts in five phrasings each, plus refusal rows; mixed: profiles + "
            "Q&A rows (every fact); qa: one fact a row (default: cdk.json's recipe; deep without one)",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Turn tables into train.jsonl, validation.jsonl, eval.jsonl, eval_bedrock.jsonl and report.json,
    estimated with the settings cdk.json deploys (so the estimate is the deployed run's).
    Exit 0 on success, 1 when the data yields no valid dataset, 2 on usage errors."""
    use_json(as_json)
    check_out_folder(out_dir)
    parsed = parse_hyperparameters(hyperparameters)
    price_overrides = parse_prices(prices)
    require_csv_folder(data)
    deployed = deployed_settings(cdk_json).defaults
    model = model or deployed.base_model
    if parsed is None and model == deployed.base_model:
        parsed = dict(deployed.hyperparameters)  # they were checked for this model only
    laid_over = price_overrides.model_dump(exclude_none=True) if price_overrides else {}
    price_overrides = deployed.prices.model_copy(update=laid_over)
    try:
        with DataWarnings(data) as data_warnings:
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
                # cdk.json's serving mode is for its own base model (on_demand: Nova only)
                deployment=deployed.deployment if model == deployed.base_model else "provisioned",
                recipe=recipe.value if recipe is not None else deployed.recipe,
                teach_priorities=list(deployed.teach_priorities),
            )
    except PodiumError as error:
        data_warnings.report()
        raise exit_for(error) from None
    data_warnings.report()
    if as_json:
        files = [str(out_dir / name) for name in (*DATA_FILES, REPORT_FILE)]
        emit_result(OK, 0, files=files, report=report)
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


def validate(
    file: Annotated[Path, typer.Argument(help="JSONL file to check")],
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Bedrock fine-tuning model id [default: cdk.json's base_model]", show_default=False
        ),
    ] = None,
    split: Annotated[
        SplitName,
        typer.Option(
            "--split",
            help="Which file this is: train (train.jsonl), validation (validation.jsonl) or eval "
            "(eval_bedrock.jsonl, Bedrock's evaluation format; eval.jsonl is Podium's own question file)",
        ),
    ] = SplitName.train,
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
    cdk_json: Annotated[Path | None, typer.Option("--cdk-json", help=CDK_JSON_HELP, show_default=False)] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Check a JSONL file against Bedrock's rules for MODEL; list every problem with its line.
    Exit 0 when valid, 1 when not, 2 on usage errors (no such file, unknown model, bad JSON)."""
    from podium.dataset.validate import MAX_LISTED_PROBLEMS, Problem, check_total_rows, validate_file

    use_json(as_json)
    parsed = parse_hyperparameters(hyperparameters)
    for path in (file, validation):
        if path is not None and not path.is_file():
            raise fail(f"{path}: file not found — give the path of a .jsonl file", EXIT_USAGE)
    if split is SplitName.eval and _is_podium_eval_file(file):
        raise fail(
            f"{file} is Podium's own question file (eval.jsonl: EvalQuestion rows); --split eval checks the same "
            "questions in Bedrock's evaluation format: give eval_bedrock.jsonl (written beside it)",
            EXIT_USAGE,
        )
    if model is None:
        model = deployed_settings(cdk_json).defaults.base_model
        err.print(f"Model: {model} (cdk.json's base_model; --model to check another)", highlight=False)
    if model not in MODELS:
        try:
            get_model(model)
        except PodiumError as error:
            raise fail(str(error), EXIT_USAGE) from None
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
        emit_result(
            OK if result.ok else INVALID,
            0 if result.ok else EXIT_INVALID,
            problems=[
                {"line": problem.line, "kind": problem.kind, "message": problem.message} for problem in result.problems
            ],
            valid=result.ok,
            file=str(file),
            model=model,
            split=split.value,
            rows=result.rows,
            tokens_estimate=result.tokens,
            problem_count=result.total_problems,
            counts=dict(result.counts),
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


def _is_podium_eval_file(path: Path) -> bool:
    """Is this eval.jsonl (EvalQuestion rows: id, kind, answers) rather than eval_bedrock.jsonl?"""
    import json

    try:
        with path.open(encoding="utf-8") as lines:
            first = next((line for line in lines if line.strip()), "")
        row = json.loads(first) if first else None
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(row, dict) and {"kind", "answers", "question"} <= row.keys()


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


def _models_table(caption: str) -> Table:
    table = Table(title="Fine-tunable base models", caption=caption)
    table.add_column("model id", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("region", no_wrap=True)
    table.add_column("format", no_wrap=True)
    for column in ("rows train/val", "tokens/row", "deploy"):
        table.add_column(column, no_wrap=True)
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
    return table


def models(as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """List the Bedrock models Podium can fine-tune."""
    from rich.measure import Measurement

    use_json(as_json)
    if as_json:
        emit_result(OK, 0, models=[_model_record(model) for model in MODELS.values()])
        return
    caption = "* some limits unconfirmed; PT = provisioned throughput"
    table = _models_table(caption)
    # The table only where every cell fits on one line; otherwise one block per model.
    if out.width >= Measurement.get(out, out.options.update_width(10_000), table).maximum:
        out.print(table)
        return
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
