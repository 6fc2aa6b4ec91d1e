"""`podium rehearse`: the whole run on this machine (podium.rehearsal's harness), its options
checked first, its progress and summary printed, or its outcome as JSON."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from podium.cli.options import (
    CDK_JSON,
    CDK_JSON_HELP,
    check_out_folder,
    deployed_settings,
    json_object_option,
    require_csv_folder,
)
from podium.cli.output import (
    EXIT_INVALID,
    EXIT_USAGE,
    FAILED,
    JSON_OPTION,
    OK,
    DataWarnings,
    emit_result,
    err,
    fail,
    out,
    use_json,
)
from podium.config import StackSettings
from podium.errors import ConfigError, PodiumError
from podium.models import MODELS, get_model

_NOT_A_CHECKOUT = (
    "rehearsal runs the repository's Lambda handlers (lambdas/) and state machine, which a wheel "
    "does not carry: run it from a clone of Podium (make rehearse, or pip install -e '.[rehearsal]')"
)
_NO_MOTO = "rehearsal needs moto: make rehearse (or pip install -e '.[rehearsal]')"


def _rehearsal_input(text: str, throughput: bool | None, model: str | None) -> dict[str, Any]:
    """The execution input: --input, with --throughput and --model (when given) laid over it."""
    settings = json_object_option("--input", text, "'{\"dry_run\": true}' or '{\"budget_usd\": 20}'")
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


def rehearse(
    data: Annotated[Path, typer.Option("--data", help="Folder with the Kaggle-schema CSVs")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to copy the run's files to (into <out>/<run id>/)")],
    input_json: Annotated[str, typer.Option("--input", help="Execution input, a JSON object of run settings")] = "{}",
    throughput: Annotated[
        bool | None,
        typer.Option(
            "--throughput/--no-throughput",
            help="Keep the new model served after the evaluation — a provisioned throughput, or with deployment "
            "on_demand a custom model deployment (default: cdk.json's throughput_enabled)",
            show_default=False,
        ),
    ] = None,
    fail_step: Annotated[
        str | None,
        typer.Option(
            "--fail-step",
            help="Inject a failure: BedrockJob, BedrockThroughput or BedrockDeployment (Bedrock ends it Failed "
            "with --fail-with as its message); BedrockData (the training file is altered after upload: "
            "--fail-with truncated|empty-answer|wrong-format|too-long); a Bedrock operation such as "
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
    cdk_json: Annotated[Path | None, typer.Option("--cdk-json", help=CDK_JSON_HELP, show_default=False)] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Rehearse a whole run on this machine: the real state machine, Lambda handlers and
    emulated AWS + Bedrock, with no AWS account. The run's defaults are the ones cdk.json
    deploys; --input is laid over them as an execution input would be. Exit 0 when the
    run succeeds, 1 when it fails, 2 on usage errors."""
    use_json(as_json)
    settings = _rehearsal_input(input_json, throughput, model)
    if fail_with is not None and fail_step is None:
        raise fail("--fail-with needs --fail-step (which step should fail?)", EXIT_USAGE)
    stack = deployed_settings(cdk_json)
    region = stack.region
    if model is not None:
        try:
            get_model(model)
        except PodiumError as error:
            raise fail(str(error), EXIT_USAGE) from None
    base_model = settings.get("base_model", stack.defaults.base_model)
    if isinstance(base_model, str) and base_model in MODELS and region not in MODELS[base_model].regions:
        region = MODELS[base_model].regions[0]  # rehearse where the model is offered
    try:
        run_settings = stack.defaults.merged(settings)
    except ConfigError:
        run_settings = stack.defaults  # Prepare reports the bad input, as it would on AWS
    require_csv_folder(data)
    check_out_folder(out_dir)
    try:
        import moto  # noqa: F401 - only checks that the rehearsal extra is installed
    except ImportError:
        raise fail(_NO_MOTO, EXIT_USAGE) from None
    # podium/cli/rehearsal.py: two levels up is the clone (a wheel has no lambdas/ there)
    if not (Path(__file__).resolve().parents[2] / "lambdas" / "__init__.py").is_file():
        raise fail(_NOT_A_CHECKOUT, EXIT_USAGE)

    from podium.rehearsal import console as show
    from podium.rehearsal.harness import ASL_PATH, RehearsalOptions
    from podium.rehearsal.harness import rehearse as run_rehearsal

    injected = None
    if fail_step is not None:
        try:
            injected = show.plan_failure(fail_step, fail_with)
        except ValueError as error:
            raise fail(str(error), EXIT_USAGE) from None
        if injected.target == show.BEDROCK_THROUGHPUT and not run_settings.throughput.enabled:
            raise fail("--fail-step BedrockThroughput needs provisioned throughput on (--throughput)", EXIT_USAGE)
        if injected.target == show.BEDROCK_DEPLOYMENT and run_settings.deployment != "on_demand":
            raise fail(
                '--fail-step BedrockDeployment needs deployment on_demand (--input \'{"deployment": "on_demand"}\' '
                "with a Nova model, or in cdk.json)",
                EXIT_USAGE,
            )

    options = RehearsalOptions(
        data_dir=data,
        defaults=_rehearsed_defaults(stack),
        region=region,
        name_prefix=stack.name_prefix,
        faults=injected.faults if injected else (),
        publish_metrics=False,
        # as deployed: Prepare refuses a throughput when the janitor would not delete it
        janitor_schedule=stack.janitor_schedule,
        janitor_dry_run=stack.janitor_dry_run,
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
    used = cdk_json or CDK_JSON
    source = f"{used} context, as deployed" if used.is_file() else f"built-in (no {used})"
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
    with DataWarnings(data) as data_warnings:
        try:
            with progress, show.quiet_executor_logs():
                result, files = run_rehearsal(
                    options, settings, out_dir=out_dir, name=name, events=progress, folder_per_run=True
                )
        except TimeoutError as error:
            raise fail(f"the rehearsed execution did not finish: {error}", EXIT_INVALID) from None
    run_dir = out_dir / (result.run_id or name)
    data_warnings.report()  # after the state list, never inside it
    succeeded = result.status == "SUCCEEDED"
    if as_json:
        _emit_rehearsal_json(result, run_dir, files)
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
        out.print(
            Text.assemble(
                ("Look again: ", "bold"),
                f"podium runs --rehearsal {out_dir}, podium report --rehearsal {out_dir}, podium ask "
                f'--rehearsal {out_dir} "QUESTION" (the SIMULATED model). The next rehearsal into {out_dir} '
                "is compared with the model this folder's runs left active.",
            ),
            highlight=False,
            soft_wrap=True,
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


def _emit_rehearsal_json(result: Any, run_dir: Path, files: list[Path]) -> None:
    """What a script needs from a rehearsal: the outcome and the gate's decision, where it went,
    what it wrote, what went wrong (the --json contract: podium.cli.output)."""
    report_path = run_dir / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
    scores_path = run_dir / "eval.json"
    scores = json.loads(scores_path.read_text(encoding="utf-8")) if scores_path.is_file() else {}
    outcome = result.outcome
    problems = []
    succeeded = result.status == "SUCCEEDED"
    if not succeeded:
        problems.append(
            {"error": result.error or outcome.get("error"), "message": outcome.get("message") or result.cause}
        )
    gate = scores.get("gate")
    emit_result(
        OK if succeeded else FAILED,
        0 if succeeded else EXIT_INVALID,
        problems=problems,
        outcome=outcome.get("status") or ("failed" if not succeeded else None),
        message=outcome.get("message"),
        gate=None if gate is None else {**gate, "champion": scores.get("champion")},
        execution_status=result.status,
        run_id=result.run_id,
        execution_arn=result.execution_arn,
        states=result.states,
        run_dir=str(run_dir),
        report_html=str(run_dir / "report.html") if (run_dir / "report.html").is_file() else None,
        files=[str(path) for path in files],
        counts=report["counts"] if report else None,
        estimate_usd=report["estimate"].get("run_usd") if report else None,
        active_model=result.active_model,
        throughputs_left=result.throughputs,
        deployments_left=result.deployments,
        # the Report step's text; for a run stopped or failed where no Catch sees it, ExecutionEnded's
        notification=result.notice.get("text")
        or next((m["text"] for m in reversed(result.notifications) if isinstance(m.get("text"), str)), None),
    )
