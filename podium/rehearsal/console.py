"""What `podium rehearse` shows: the injected failure, live progress from the execution
history, and the summary at the end. The command itself (podium.cli) parses options and
calls podium.rehearsal.harness.rehearse; everything here is presentation.

Nothing in this module imports moto: the command checks for the dev requirements first.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from podium.dataset.reconcile import report_summary
from podium.rehearsal import service_model
from podium.rehearsal.bedrock_emulator.corruptions import CORRUPTIONS
from podium.rehearsal.bedrock_emulator.jobs import SIMULATED_NOTE
from podium.rehearsal.bedrock_emulator.script import InjectedError, Script
from podium.rehearsal.harness import RunResult
from podium.rehearsal.lambda_server import UNCATCHABLE, Fault
from podium.workflow.errors import TRANSIENT_ERRORS, WORKFLOW_ERRORS
from podium.workflow.notify import cause_message
from podium.workflow.steps import DEFINITION_STEPS

# ---- --fail-step / --fail-with ---------------------------------------------------------

# Besides the Lambda steps, three failures happen inside Bedrock itself: the job, the throughput
# or the custom model deployment ends Failed and the Check step reports Bedrock's failureMessage.
BEDROCK_JOB = "BedrockJob"
BEDROCK_THROUGHPUT = "BedrockThroughput"
BEDROCK_DEPLOYMENT = "BedrockDeployment"
# The training file is altered after upload: Bedrock's validation phase fails the job.
BEDROCK_DATA = "BedrockData"
# A Bedrock operation answers with an error instead (--fail-with names it).
BEDROCK_OPERATIONS = {
    "BedrockCreate": ("bedrock", "CreateModelCustomizationJob"),
    "BedrockGetJob": ("bedrock", "GetModelCustomizationJob"),
    "BedrockStop": ("bedrock", "StopModelCustomizationJob"),
    "BedrockCreateThroughput": ("bedrock", "CreateProvisionedModelThroughput"),
    "BedrockGetThroughput": ("bedrock", "GetProvisionedModelThroughput"),
    "BedrockDeleteThroughput": ("bedrock", "DeleteProvisionedModelThroughput"),
    "BedrockCreateDeployment": ("bedrock", "CreateCustomModelDeployment"),
    "BedrockGetDeployment": ("bedrock", "GetCustomModelDeployment"),
    "BedrockDeleteDeployment": ("bedrock", "DeleteCustomModelDeployment"),
    "BedrockInvokeModel": ("bedrock-runtime", "InvokeModel"),
    "BedrockConverse": ("bedrock-runtime", "Converse"),
}
# Errors a caller is expected to retry: injected once, so the retries get past them.
_TRANSIENT_BEDROCK = (
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
)
INJECTED_ERROR = "InjectedFault"  # the errorType of a step fault given as plain text
_ALWAYS = 1_000  # a non-transient fault fails every attempt
_ADAPTER_ERRORS = ("BedrockRejected", "BedrockThrottled", "BedrockConflict", "DatabricksRejected")
_ERROR_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_.]*)\s*:\s*(\S.*)$", re.DOTALL)


def fail_targets() -> list[str]:
    return [
        BEDROCK_JOB,
        BEDROCK_THROUGHPUT,
        BEDROCK_DEPLOYMENT,
        *(step.name for step in DEFINITION_STEPS),
        BEDROCK_DATA,
        *BEDROCK_OPERATIONS,
    ]


@dataclass(frozen=True)
class InjectedFailure:
    target: str
    faults: tuple[Fault, ...] = ()
    script: Script = field(default_factory=Script)
    description: str = ""  # one sentence: what will go wrong
    recovers: bool = False  # True: the state machine's Retry gets past it


def _error_and_message(text: str | None, default: str) -> tuple[str, str]:
    """'ThrottlingException: Rate exceeded' → the errorType and the message; text without a
    recognisable error name is the message of an InjectedFault."""
    if text is None or not text.strip():
        return INJECTED_ERROR, default
    match = _ERROR_PREFIX.match(text)
    if match:
        name = match.group(1)
        known = name in TRANSIENT_ERRORS or name in WORKFLOW_ERRORS or name in _ADAPTER_ERRORS
        if known or name.endswith(("Exception", "Error", "Fault")):
            return name, match.group(2).strip()
    return INJECTED_ERROR, text.strip()


def plan_failure(step: str, text: str | None) -> InjectedFailure:
    """The faults/script for --fail-step STEP --fail-with TEXT. Raises ValueError (a usage error)."""
    targets = fail_targets()
    by_operation = {operation.lower(): name for name, (_, operation) in BEDROCK_OPERATIONS.items()}
    target = {name.lower(): name for name in targets}.get(step.strip().lower()) or by_operation.get(
        step.strip().lower()
    )
    if target is None:
        raise ValueError(f"--fail-step {step!r} is not a step; use one of {', '.join(targets)}")
    if target == BEDROCK_JOB:
        message = (text or "").strip() or "Internal error (failure injected by podium rehearse)"
        return InjectedFailure(
            target,
            script=Script(job_failure=message),
            description=f"the Bedrock fine-tuning job will end Failed with the failureMessage {message!r}",
        )
    if target == BEDROCK_THROUGHPUT:
        message = (text or "").strip() or "Insufficient capacity (failure injected by podium rehearse)"
        return InjectedFailure(
            target,
            script=Script(throughput_failure=message),
            description=f"the provisioned throughput will end Failed with the failureMessage {message!r}",
        )
    if target == BEDROCK_DEPLOYMENT:
        message = (text or "").strip() or "Internal error (failure injected by podium rehearse)"
        return InjectedFailure(
            target,
            script=Script(deployment_failure=message),
            description=f"the custom model deployment will end Failed with the failureMessage {message!r}",
        )
    if target == BEDROCK_DATA:
        kind = (text or "").strip() or "truncated"
        if kind not in CORRUPTIONS:
            raise ValueError(f"--fail-with {kind!r}: for BedrockData use one of {', '.join(CORRUPTIONS)}")
        return InjectedFailure(
            target,
            script=Script(corrupt_training=kind),
            description=(
                f"the uploaded training file will be altered ({kind}) before Bedrock reads it: "
                "Bedrock accepts the job, then its validation phase fails it with a failureMessage"
            ),
        )
    if target in BEDROCK_OPERATIONS:
        return _bedrock_operation_failure(target, text)
    if (text or "").strip() in UNCATCHABLE:
        error = (text or "").strip()
        return InjectedFailure(
            target,
            faults=(Fault(target, error, times=1),),
            description=(
                f"{target} will do its work, then Step Functions will fail the execution with {error}, which no "
                "Catch sees: the execution-status-change rule (ExecutionEnded) should clean up and notify"
            ),
        )
    error, message = _error_and_message(text, f"fault injected by podium rehearse --fail-step {target}")
    if error in TRANSIENT_ERRORS:
        return InjectedFailure(
            target,
            faults=(Fault(target, error, message, times=1),),
            description=(
                f"the first call of {target} will fail with {error}: {message} "
                f"({error} is transient: the state's Retry should get past it)"
            ),
            recovers=True,
        )
    return InjectedFailure(
        target,
        faults=(Fault(target, error, message, times=_ALWAYS),),
        description=f"every call of {target} will fail with {error}: {message}",
    )


def _bedrock_operation_failure(target: str, text: str | None) -> InjectedFailure:
    service, operation = BEDROCK_OPERATIONS[target]
    code, _, message = (text or "ThrottlingException").partition(":")
    code, message = code.strip(), message.strip() or f"{code.strip()} injected by podium rehearse"
    documented = service_model.error_codes(service, operation)
    if code not in documented:
        raise ValueError(f"--fail-with {code!r}: {operation} answers one of {', '.join(documented)}")
    if code in _TRANSIENT_BEDROCK:
        return InjectedFailure(
            target,
            script=Script(errors=[InjectedError(operation, code, message, times=1)]),
            description=(
                f"Bedrock will answer the first {operation} call with {code}: {message} "
                "(transient: the caller's retries should get past it)"
            ),
            recovers=True,
        )
    return InjectedFailure(
        target,
        script=Script(errors=[InjectedError(operation, code, message, times=None)]),
        description=f"Bedrock will answer every {operation} call with {code}: {message}",
    )


# ---- progress --------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


class StateProgress:
    """Turns execution-history events into terminal output: a spinner with the elapsed time
    on the state running now, and one line per state once it has finished."""

    def __init__(self, console: Console, starting: str) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._starting = starting
        self._task: Any = None
        self._started: datetime | None = None
        self._entered: datetime | None = None
        self._state = ""
        self._kind = ""
        self._failed = False  # the current Task failed; a TaskScheduled next means a retry
        self.execution_seconds: float | None = None  # from the history, once the execution ended

    def __enter__(self) -> Self:
        self.progress.start()
        self._task = self.progress.add_task(self._starting, total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _offset(self, when: datetime) -> str:
        return f"{(when - self._started).total_seconds():5.1f} s" if self._started else ""

    def _line(self, when: datetime, mark: str, style: str, text: str, detail: str = "") -> None:
        line = Text.assemble((f"{self._offset(when):>9}  ", "dim"), (mark, style), " ", text)
        if detail:
            line.append(f"  {detail}", style="dim")
        self.progress.console.print(line, highlight=False, soft_wrap=True)

    def __call__(self, event: Mapping[str, Any]) -> None:
        kind, when = str(event["type"]), event["timestamp"]
        if kind == "ExecutionStarted":
            self._started = when
        elif kind.endswith("StateEntered"):
            self._state = event["stateEnteredEventDetails"]["name"]
            self._kind, self._entered, self._failed = kind[: -len("StateEntered")], when, False
            self.progress.reset(self._task, description=f"{self._state} [dim]({self._kind})[/]")
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            took = (when - self._entered).total_seconds() if self._entered else 0.0
            mark, style = ("✗", "red") if self._failed else ("✓", "green")
            wait = " (scaled down by the poll settings)" if self._kind == "Wait" else ""
            self._line(
                self._entered or when,
                mark,
                style,
                f"{name:<22} {self._kind:<7}",
                f"{_seconds(took)}{wait}",
            )
        elif kind in ("TaskFailed", "LambdaFunctionFailed"):
            details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            error, message = details.get("error", "?"), cause_message(details.get("cause"))
            self._failed = True
            self._line(when, "!", "yellow", f"{self._state} failed: {error}", message)
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled") and self._failed:
            self._failed = False
            self._line(when, "↻", "yellow", f"{self._state} retried by the state's Retry")
        elif kind.startswith("Execution"):
            status = kind[len("Execution") :]
            if self._started is not None:
                self.execution_seconds = (when - self._started).total_seconds()
            ok = status == "Succeeded"
            self._line(when, "✓" if ok else "✗", "green" if ok else "red", f"execution {status.upper()}")
            self.progress.update(self._task, description="Copying the run's files out of the emulated S3")


@contextmanager
def quiet_executor_logs() -> Iterator[None]:
    """moto's ASL interpreter logs every failure it evaluates (a Fail state too) as an ERROR
    with its parse tree; the execution history, shown above, already says the same."""
    log = logging.getLogger("moto.stepfunctions.parser")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


# ---- summary -------------------------------------------------------------------------

_HINTS = {
    "InvalidInput": "fix the setting named above in --input (the keys of podium.config.RunSettings)",
    "DatasetInvalid": "report.json lists every problem with its line; fix the data and rehearse again",
    "OverBudget": "raise budget_usd in --input, or send less data",
    "NoSourceData": "put the CSVs in --data (the Kaggle schema)",
}


@dataclass
class Summary:
    result: RunResult
    run_dir: Path
    files: list[Path]
    elapsed_seconds: float
    injected: InjectedFailure | None = None
    topic: str = "podium-notifications"


def _report(run_dir: Path) -> dict[str, Any] | None:
    return _json_file(run_dir / "report.json")


def _json_file(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def print_summary(console: Console, summary: Summary, execution_seconds: float | None = None) -> None:
    result = summary.result
    succeeded = result.status == "SUCCEEDED"

    def say(*parts: str | tuple[str, str]) -> None:
        console.print(Text.assemble(*parts), highlight=False, soft_wrap=True)

    console.rule("Rehearsal summary", style="dim")
    run_id = result.run_id or "(none: the run stopped before Prepare gave it an id)"
    say(
        ("Outcome: ", "bold"),
        ("SUCCEEDED" if succeeded else result.status, "bold green" if succeeded else "bold red"),
        f" in {_seconds(summary.elapsed_seconds)}"
        + (f" (the execution itself {_seconds(execution_seconds)})" if execution_seconds else ""),
    )
    say(("Run id: ", "bold"), run_id)

    notification = result.outcome  # $.failure of a failed run: what its notification reports
    if not succeeded:
        error = result.error or notification.get("error") or "unknown error"
        message = notification.get("message") or cause_message(result.cause) or "(no message)"
        failed_at = ""
        if "Cleanup" in result.states:
            index = result.states.index("Cleanup")
            failed_at = f" in state {result.states[index - 1]}" if index > 0 else ""
        say(("Error: ", "bold red"), f"{error}{failed_at}")
        say(("Message: ", "bold"), message)
        for line in notification.get("cleanup") or []:
            say(("Cleanup: ", "bold"), line)
        if notification.get("cleanup_error"):
            say(("Cleanup failed too: ", "bold red"), json.dumps(notification["cleanup_error"]))
        if summary.injected is not None:
            say(
                ("Injected: ", "bold yellow"),
                f"--fail-step {summary.injected.target}: {summary.injected.description}",
            )
        elif error in _HINTS:
            say(("Next: ", "bold"), _HINTS[error])

    _print_files(say, summary)
    report = _report(summary.run_dir)
    _print_dataset(say, report)
    _print_losses(say, result)
    _print_evaluation(say, summary)
    _print_active_model(say, result)
    if result.notifications:
        for message in result.notifications:
            text = str(message.get("text") or message.get("message") or json.dumps(message))
            say(
                ("Notification ", "bold"),
                f"(published to SNS {summary.topic}, status {message.get('status', '?')}, "
                f"subject {message.get('subject')!r}):",
            )
            for line in text.rstrip().splitlines():
                say(f"  {line}" if line else "")
    else:
        say(("Notification: ", "bold"), "none was published")
    _print_throughputs(say, result, report)


def _print_evaluation(say: Any, summary: Summary) -> None:
    """Both models' scores (SIMULATED: the emulator answered) and the gate's decision, from eval.json."""
    scores = _json_file(summary.run_dir / "eval.json")
    if scores is None:
        return
    label = "SIMULATED " if scores.get("simulated") else ""

    def line(model: str) -> str:
        kinds = scores.get("models", {}).get(model, {}).get("by_kind", {})
        parts = []
        for kind in ("paraphrase", "unseen", "trained"):
            tally = kinds.get(kind)
            if tally:
                share = tally["correct"] / tally["questions"] * 100
                parts.append(f"{kind} {tally['correct']}/{tally['questions']} right ({share:.1f}%)")
        unseen = kinds.get("unseen")
        if unseen:
            parts.append(f"hallucinated on unseen {unseen['hallucinated'] / unseen['questions'] * 100:.1f}%")
        return ", ".join(parts) or "no questions"

    say((f"Evaluation ({label.strip() or 'measured'}): ", "bold"), f"new model: {line('custom')}")
    say((f"Evaluation ({label.strip() or 'measured'}): ", "bold"), f"base model: {line('base')}")
    simulation = (scores.get("simulation") or {}).get("custom") or {}
    if simulation:
        say(("How the SIMULATED model answers: ", "bold"), str(simulation.get("rule", "")))
        say(("  What these SIMULATED numbers can tell: ", "bold"), str(simulation.get("can_tell", "")))
        say(("  What they cannot tell: ", "bold"), str(simulation.get("cannot_tell", "")))
    gate = scores.get("gate") or {}
    decision = str(gate.get("decision", "?"))
    say(
        ("Gate: ", "bold"),
        (decision, "bold green" if decision == "promote" else "bold red"),
        f" — {gate.get('message', '')}",
    )
    page = summary.run_dir / "report.html"
    if page.is_file():
        say(("Report: ", "bold"), f"{page} (one file; opens offline in a browser)")


def _print_files(say: Any, summary: Summary) -> None:
    if not summary.files:
        say(("Run files: ", "bold"), "none (nothing was written under runs/ for this run)")
        return
    names = {path.relative_to(summary.run_dir).parts[0] for path in summary.files}
    main = [n for n in ("train.jsonl", "validation.jsonl", "eval.jsonl", "report.json") if n in names]
    others = sorted(names - set(main))
    if "output" in others:
        others[others.index("output")] = "output/ (the job's SIMULATED metrics)"
    say(
        ("Run files: ", "bold"),
        f"{summary.run_dir}/ — {', '.join(main) or 'no dataset files'}"
        + (f"; also {', '.join(others)}" if others else ""),
    )


def _print_dataset(say: Any, report: Mapping[str, Any] | None) -> None:
    if report is None:
        say(("Dataset: ", "bold"), "none built (the run stopped before BuildDataset wrote report.json)")
        return
    counts = report.get("counts") or {}
    say(
        ("Dataset: ", "bold"),
        f"{counts.get('train_rows', 0):,} train, {counts.get('validation_rows', 0):,} validation, "
        f"{counts.get('eval_rows', 0):,} eval rows from {counts.get('pairs_kept', 0):,} clean pairs; "
        f"{counts.get('facts_trained', 0):,} of {counts.get('facts', 0):,} facts trained"
        + ("" if report.get("valid", True) else " — INVALID for Bedrock (see report.json)"),
    )
    # Packed-row kinds (profile_*) state other relations' facts and have none of their own.
    coverage = [row for row in report.get("coverage") or [] if row.get("facts_available", 1)]
    partial = [row for row in coverage if row.get("percent_covered", 100.0) < 100.0]
    if not coverage:
        text = "no relations"
    elif not partial:
        text = f"all {len(coverage)} relations fully trained"
    else:
        listed = ", ".join(f"{row['relation']} {row['percent_covered']:.1f}%" for row in partial)
        text = f"{len(coverage) - len(partial)} of {len(coverage)} relations fully trained; partly: {listed}"
    say(("Coverage: ", "bold"), text)
    sources = report_summary(report)  # the same line `podium generate` prints
    if sources:
        say((sources[0], "bold"), sources[1])
    estimate = report.get("estimate") or {}
    if estimate:
        say(("Cost: ", "bold"), str(estimate.get("label") or "ESTIMATE"))
        for line in estimate.get("lines") or []:
            say(f"  {line}")
        parts = ["training", "one month of model storage"]
        if estimate.get("throughput_usd"):
            parts.append("the provisioned throughput for its longest life")
        parts += [str(line.get("name")) for line in estimate.get("extra") or [] if isinstance(line, dict)]
        say(f"  ESTIMATE for a real run: ≈ ${estimate.get('run_usd', 0):,.2f} ({', '.join(parts)})")


def _print_losses(say: Any, result: RunResult) -> None:
    finetune = (result.output or {}).get("finetune") if isinstance(result.output, dict) else None
    if not finetune or finetune.get("training_loss") is None:
        say(("Losses: ", "bold"), "none (no fine-tuning job completed)")
        return
    validation = finetune.get("validation_loss")
    say(
        ("Losses (SIMULATED): ", "bold yellow"),
        f"training {finetune['training_loss']}"
        + (f", validation {validation}" if validation is not None else "")
        + f" — {SIMULATED_NOTE}; the job's metric files under output/ are marked the same way",
    )


def _print_active_model(say: Any, result: RunResult) -> None:
    active = result.active_model
    if not active:
        say(("Active model: ", "bold"), "none (nothing was promoted; the active-model record is unchanged)")
        return
    say(("Active model ", "bold"), "(the record Promote wrote to SSM):")
    for key in (
        "run_id",
        "model_arn",
        "base_model_id",
        "throughput_arn",
        "deployment_arn",
        "dataset_hash",
        "promoted_at",
    ):
        if active.get(key):
            say(f"  {key}: {active[key]}")


def _print_throughputs(say: Any, result: RunResult, report: Mapping[str, Any] | None) -> None:
    """What the run left serving: provisioned throughputs (billed by the hour) and, for a run whose
    deployment is on_demand, custom model deployments (billed per token: no hourly figure)."""
    estimate = (report or {}).get("estimate") or {}
    on_demand = estimate.get("deployment") == "on_demand" or bool(result.deployments)
    if on_demand or result.deployments:
        _print_deployments(say, result)
    if on_demand and not result.throughputs:
        return
    hourly = estimate.get("throughput_usd_per_hour")
    bills = "on AWS a provisioned throughput bills every hour until it is deleted"
    if hourly:
        bills += f" (ESTIMATE ≈ ${hourly:,.2f} an hour for the configured model units)"
    if not result.throughputs:
        if "CreateThroughput" not in result.states:
            reason = "this run created none"
        elif result.status == "SUCCEEDED":
            reason = "none is left running"
        elif any(line.startswith("deleted provisioned throughput") for line in result.outcome.get("cleanup") or []):
            reason = "Cleanup deleted the one this run created"
        else:
            reason = "the run failed before one was created"
        say(("Provisioned throughput left: ", "bold"), f"none ({reason}); {bills}.")
        return
    active_arn = (result.active_model or {}).get("throughput_arn")
    say(("Provisioned throughput left: ", "bold yellow"), f"{len(result.throughputs)} — {bills}:")
    for throughput in result.throughputs:
        role = (
            "serves the active model" if throughput["provisionedModelArn"] == active_arn else "NOT the active model's"
        )
        commitment = throughput.get("commitmentDuration") or "no commitment"
        say(
            f"  {throughput['provisionedModelName']} ({throughput['status']}, "
            f"{throughput['modelUnits']} model unit(s), {commitment}, {role}): "
            f"{throughput['provisionedModelArn']}"
        )


def _print_deployments(say: Any, result: RunResult) -> None:
    bills = "on AWS a custom model deployment bills per token asked of it, nothing while idle"
    if not result.deployments:
        if "CreateThroughput" not in result.states:
            reason = "this run created none"
        elif (result.final_state.get("gate") or {}).get("deleted_deployment_arn") or any(
            "deleted custom model deployment" in str(line).lower()
            for line in [
                *(result.outcome.get("cleanup") or []),
                result.outcome.get("message") or "",
                *(message.get("text") or "" for message in result.notifications),
            ]
        ):
            reason = "the one this run created was deleted once it was no longer needed"
        else:
            reason = "the run ended before one was created"
        say(("Custom model deployment left: ", "bold"), f"none ({reason}); {bills}.")
        return
    active_arn = (result.active_model or {}).get("deployment_arn")
    say(("Custom model deployment left: ", "bold"), f"{len(result.deployments)} — {bills}:")
    for deployment in result.deployments:
        role = (
            "serves the active model"
            if deployment["customModelDeploymentArn"] == active_arn
            else "NOT the active model's"
        )
        say(
            f"  {deployment['modelDeploymentName']} ({deployment['status']}, {role}): "
            f"{deployment['customModelDeploymentArn']}"
        )
