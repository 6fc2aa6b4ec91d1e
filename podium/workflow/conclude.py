"""The Report step: however a run ends (promoted, discarded, dry, unchanged, skipped, not
evaluated, or failed after Cleanup), write its report.html and the notification a person
reads — what happened, the scores against the base model and the champion, what is left
running and what it costs (podium.workflow.left_running), the console links and the
`podium report` command.

The state machine publishes `Notice.text` (Notify / NotifyFailure); ExecutionEnded sends the
same for a run that was stopped or timed out. Writing the report never stops the notification:
a report that cannot be written is said in the text instead.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from podium.adapters.ports import ActiveModel, ActiveModelStore, ObjectStore
from podium.dataset.files import REPORT_FILE
from podium.errors import cut_to_json_bytes
from podium.evaluation.report import REPORT_HTML, ReportInputs, read_jsonl, render_report
from podium.workflow.events import NOTICE_BYTES, Notice, ReportEvent
from podium.workflow.left_running import janitor_note, left_billing, left_running, running_lines, when
from podium.workflow.polling import as_utc, utc_now

SUBJECT_LIMIT = 100  # SNS: at most 100 ASCII characters, no line breaks
# The states that make up each phase of a run, in the order they run (statemachine/finetune.asl.json).
PHASES: tuple[tuple[str, frozenset[str]], ...] = (
    ("Prepare", frozenset({"Prepare"})),
    ("Generation", frozenset({"StartGeneration", "WaitForGeneration", "CheckGeneration", "GenerationDone"})),
    ("Dataset", frozenset({"BuildDataset", "DatasetDecision"})),
    ("Fine-tuning", frozenset({"StartFineTune", "WaitForFineTune", "CheckFineTune", "FineTuneDone"})),
    ("Throughput", frozenset({"CreateThroughput", "WaitForThroughput", "CheckThroughput", "ThroughputDone"})),
    ("Evaluation", frozenset({"StartEvaluation", "EvaluateChunk", "EvaluationDone", "ScoreEvaluation"})),
    ("Promotion", frozenset({"Promote"})),
    ("Cleanup", frozenset({"Cleanup", "CleanupFailed"})),
)
# Where a failure is caught (everything before it is where the run failed).
_CATCHERS = frozenset({"Cleanup", "CleanupFailed", "DatasetInvalid", "OverBudget"})
HEADLINES = {
    "promoted": "Promoted: the new model passed the gate and is now the active model.",
    "discarded": "Discarded: the new model did not pass the gate; the active model is unchanged.",
    "dry_run": "Dry run: the dataset was built, validated and estimated; nothing was trained.",
    "unchanged": "Unchanged: the dataset equals the active model's; nothing was trained.",
    "skipped": "Skipped: another run of this state machine was going; nothing was started.",
    "not_evaluated": "Trained, not evaluated: the evaluate setting was off.",
}


@dataclass(frozen=True)
class Place:
    """Where the run lives: for console links and the `podium report` command."""

    region: str
    bucket: str
    name_prefix: str

    def execution_url(self, execution_arn: str) -> str:
        return (
            f"https://{self.region}.console.aws.amazon.com/states/home?region={self.region}"
            f"#/v2/executions/details/{execution_arn}"
        )

    def object_url(self, key: str) -> str:
        return f"https://s3.console.aws.amazon.com/s3/object/{self.bucket}?region={self.region}&prefix={quote(key)}"

    def report_command(self, run_id: str) -> str:
        return f"podium report {run_id} --stack {self.name_prefix} --region {self.region}"


# ---- what the run left, and what happened -------------------------------------------------


def status_of(event: ReportEvent) -> str:
    if event.failure is not None:
        return "failed"
    return event.outcome.status if event.outcome is not None else "failed"


def states_entered(history: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def failed_state(history: Sequence[Mapping[str, Any]]) -> str | None:
    """The state the run was in when it failed: the one entered before the failure was caught."""
    entered = states_entered(history)
    for index, name in enumerate(entered):
        if name in ("DatasetInvalid", "OverBudget"):
            return "BuildDataset"  # the dataset's own verdict, before anything was spent
        if name in _CATCHERS:
            return entered[index - 1] if index else None
    return entered[-1] if entered else None


def phases(history: Sequence[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Each phase the run went through: when it started and how long it took."""
    spans: dict[str, list[datetime]] = {}
    for event in history:
        moment = event.get("timestamp")
        if not isinstance(moment, datetime):
            continue
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
        if not details:
            continue
        for phase, members in PHASES:
            if details.get("name") in members:
                spans.setdefault(phase, []).append(as_utc(moment))
    rows = []
    for phase, _ in PHASES:
        moments = spans.get(phase)
        if moments:
            start, end = min(moments), max(moments)
            if phase != "Cleanup" and len(moments) % 2:  # still running: entered, not exited
                end = now
            rows.append({"name": phase, "started": when(start), "seconds": (end - start).total_seconds()})
    return rows


def _cleanup_lines(event: ReportEvent) -> list[str]:
    lines = list(event.gate.cleanup) if event.gate else []
    if event.failure:
        lines += [str(line) for line in event.failure.get("cleanup") or []]
        if event.failure.get("cleanup_error"):
            caught = event.failure["cleanup_error"]
            cause = caught.get("Cause") if isinstance(caught, Mapping) else caught
            lines.append(f"Cleanup itself FAILED ({cause}): check the Bedrock console for jobs and throughputs")
    return lines


def _read_json(store: ObjectStore, key: str) -> dict[str, Any] | None:
    try:
        value = json.loads(store.read_text(key))
    except (FileNotFoundError, ValueError):
        return None
    return value if isinstance(value, dict) else None


# ---- the notification -------------------------------------------------------------------------


def ascii_subject(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = " ".join(plain.split())
    return plain if len(plain) <= SUBJECT_LIMIT else plain[: SUBJECT_LIMIT - 3] + "..."


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def score_lines(scores: Mapping[str, Any] | None) -> list[str]:
    """The evaluation in a few lines: new, base and champion, with counts."""
    if not scores or not scores.get("models"):
        return []
    sim = " (SIMULATED)" if scores.get("simulated") else ""
    lines = [f"Scores{sim} on {scores.get('questions', 0)} held-out questions:"]
    for kind, label in (("paraphrase", "paraphrase accuracy"), ("unseen", "unseen hallucination")):
        parts = []
        for name, key in (("new", "custom"), ("base", "base")):
            tally = ((scores["models"].get(key) or {}).get("by_kind") or {}).get(kind)
            if tally:
                value = tally["hallucination_rate"] if kind == "unseen" else tally["accuracy"]
                count = tally["hallucinated"] if kind == "unseen" else tally["correct"]
                parts.append(f"{name} {_pct(value)} ({count}/{tally['questions']})")
        if parts:
            lines.append(f"  {label}: " + ", ".join(parts))
    champion = scores.get("champion")
    if champion:
        lines.append(
            f"  against the champion (run {champion['champion_run_id']}) on {champion['shared']} shared questions: "
            f"champion {_pct(champion.get('champion_accuracy'))}, new {_pct(champion.get('challenger_accuracy'))}"
        )
    return lines


def notice_text(
    event: ReportEvent,
    *,
    status: str,
    headline: str,
    message: str,
    failure_state: str | None,
    scores: Mapping[str, Any] | None,
    running: Sequence[Mapping[str, Any]],
    place: Place,
    report_key: str | None,
    report_note: str,
) -> str:
    run = event.run
    lines = [headline]
    if message:
        lines.append(message)
    lines += [""] + score_lines(scores) if scores else []
    lines.append("")
    made = event.throughput.kind if event.throughput is not None and event.throughput.created else None
    lines += running_lines(running, made)
    for item in left_billing(event):
        if item.kind == "custom model":
            lines.append(
                f"Kept: custom model {item.arn} ({item.why}; a monthly storage fee): unless a run promotes it, "
                + janitor_note(item.janitor_deletes_at)
            )
    cleanup = _cleanup_lines(event) if status == "failed" else []
    if cleanup:
        lines.append("Cleanup: " + "; ".join(cleanup))
    if event.dataset is not None:
        lines.append(f"Estimated cost of the run: ESTIMATE ${event.dataset.estimated_cost_usd:,.2f}.")
    links = [""]
    if run is not None:
        links.append(f"Execution: {place.execution_url(run.execution_arn)}")
    if report_key:
        links.append(f"Report: {place.object_url(report_key)}")
        links.append(f"  or: {place.report_command(run.run_id if run else '')}")
    if report_note:
        links.append(report_note)
    # Within the bound the state keeps (events.Notice): a very long message or cleanup is cut,
    # never the links (the report has every word).
    tail = "\n".join(links).strip()
    body = cut_to_json_bytes("\n".join(lines).strip(), NOTICE_BYTES - len(json.dumps(tail)) - 8)
    return f"{body}\n\n{tail}\n" if tail else body + "\n"


# ---- the step ---------------------------------------------------------------------------------


def conclude(
    event: ReportEvent,
    *,
    store: ObjectStore,
    place: Place,
    read_history: Callable[[str], Sequence[Mapping[str, Any]]] | None = None,
    active_models: ActiveModelStore | None = None,
    now: datetime | None = None,
    history: Sequence[Mapping[str, Any]] | None = None,
) -> Notice:
    """Write report.html (when the run got a run id) and the notification's text.
    `read_history(execution_arn)`: the execution's history events (phases, the failed state);
    or `history` itself, when the caller has it (ExecutionEnded, also for a run refused at Prepare)."""
    now = now or utc_now()
    status = status_of(event)
    run, outcome, failure = event.run, event.outcome, event.failure
    history = history or ()
    if not history and run is not None and read_history is not None:
        try:
            history = read_history(run.execution_arn)
        except Exception:  # noqa: BLE001 - phases and the failed state are extras: the run is reported without them
            history = ()
    where = failed_state(history) if status == "failed" else None
    if status == "failed":
        error = str((failure or {}).get("error") or "an error")
        ended = {"ExecutionAborted": "STOPPED", "ExecutionTimedOut": "TIMED OUT"}.get(error, "FAILED")
        headline = f"{ended}{f' in {where}' if where else ''}: {error}."
        message = str((failure or {}).get("message") or "")
    else:
        headline = HEADLINES.get(status, status)
        message = outcome.message if outcome else ""
    prefix = run.run_prefix if run else None
    scores = _read_json(store, prefix + "eval.json") if prefix and event.gate and event.gate.scores_uri else None
    failed_checks = [c for c in ((scores or {}).get("gate") or {}).get("checks") or [] if not c.get("passed")]
    if status == "discarded" and failed_checks:
        reasons = "; ".join(str(c.get("description")) for c in failed_checks)
        headline = f"Discarded: {reasons}. The active model is unchanged."
        message = " ".join(line[:1].upper() + line[1:] + "." for line in event.gate.cleanup) if event.gate else ""
    promotion = _read_json(store, prefix + "promotion.json") if prefix and status == "promoted" else None
    previous = (promotion or {}).get("previous")
    running = left_running(event, place.region, previous, status=status, cleanup=_cleanup_lines(event))
    report_key, note = None, ""
    if run is not None:
        try:
            inputs = report_inputs(
                event, store=store, place=place, history=history, active_models=active_models, now=now,
                status=status, headline=headline, message=message, failure_state=where, scores=scores,
                running=running,
            )  # fmt: skip
            report_key = run.run_prefix + REPORT_HTML
            store.write_text(report_key, render_report(inputs), "text/html; charset=utf-8")
        except Exception as problem:  # noqa: BLE001 - the notification goes out whatever the report did
            note = f"The run report could not be written: {type(problem).__name__}: {problem}"
            report_key, note = None, cut_to_json_bytes(note, 600)
    run_id = run.run_id if run else (outcome.run_id if outcome else None)
    subject = f"Podium run {run_id or ''} {status.replace('_', ' ')}" if run_id else f"Podium run {status}"
    text = notice_text(
        event, status=status, headline=headline, message=message, failure_state=where, scores=scores,
        running=running, place=place, report_key=report_key, report_note=note,
    )  # fmt: skip
    return Notice(
        failed=status == "failed",
        status=status,
        run_id=run_id,
        subject=ascii_subject(subject),
        text=text,
        report_html_uri=store.uri(report_key) if report_key else None,
    )


def report_inputs(
    event: ReportEvent,
    *,
    store: ObjectStore,
    place: Place,
    history: Sequence[Mapping[str, Any]],
    active_models: ActiveModelStore | None,
    now: datetime,
    status: str,
    headline: str,
    message: str,
    failure_state: str | None,
    scores: Mapping[str, Any] | None,
    running: Sequence[Mapping[str, Any]],
) -> ReportInputs:
    """What report.html shows, read from the state and the run's files."""
    from podium.adapters.bedrock_metrics import metrics_keys, read_loss_metrics
    from podium.evaluation.runner import answers_key

    run = event.run
    assert run is not None
    prefix = run.run_prefix
    dataset = _read_json(store, prefix + REPORT_FILE) if event.dataset is not None else None
    training, validation, simulated_losses = [], [], False
    if event.finetune is not None:
        try:
            metrics = read_loss_metrics(store, prefix + "output/", event.finetune.job_arn)
            training = [(p.step, p.epoch, p.loss) for p in metrics.training]
            validation = [(p.step, p.epoch, p.loss) for p in metrics.validation]
            if metrics.training:
                simulated_losses = "SIMULATED" in store.read_text(
                    metrics_keys(prefix + "output/", event.finetune.job_arn)[0]
                )
        except (FileNotFoundError, ValueError):
            pass
    try:
        answers = read_jsonl(store.read_text(answers_key(prefix))) if scores else []
    except FileNotFoundError:
        answers = []
    active = active_models.get() if active_models is not None else None
    gate = None
    if event.gate is not None:  # the gate's own words; what was deleted or kept is listed apart
        scored = (scores or {}).get("gate") or {}
        gate = {
            "decision": event.gate.decision,
            "message": scored.get("message") or event.gate.message,
            "checks": scored.get("checks", []),
        }
    simulated = bool((scores or {}).get("simulated")) or simulated_losses
    simulation = ((scores or {}).get("simulation") or {}).get("custom") or {}
    note = " ".join(
        str(part)
        for part in (
            simulation.get("rule"),
            simulation.get("can_tell") and f"What the SIMULATED numbers can tell: {simulation['can_tell']}",
            simulation.get("cannot_tell") and f"What they cannot: {simulation['cannot_tell']}",
        )
        if part
    )
    return ReportInputs(
        run_id=run.run_id,
        status=status,
        headline=headline,
        message=message,
        subtitle=f"Execution {run.execution_name}, started {when(_started(history) or run.started_at)}; "
        f"reported {when(now)}.",
        simulated=simulated,
        simulation_note=note,
        failure=(
            {
                "state": failure_state,
                "error": (event.failure or {}).get("error"),
                "message": (event.failure or {}).get("message"),
            }
            if status == "failed"
            else None
        ),
        cleanup=_cleanup_lines(event),
        left_running=running,
        gate=gate,
        evaluation=scores,
        answers=answers,
        training_loss=training,
        validation_loss=validation,
        dataset=dataset,
        identity=identity(event, store=store, active=active, now=now, running=running, started=_started(history)),
        phases=phases(history, as_utc(now)),
        estimate_lines=_estimate_lines(dataset),
        links={
            "execution": place.execution_url(run.execution_arn),
            "execution_name": run.execution_name,
            "run_files": store.uri(prefix),
            "command": place.report_command(run.run_id),
        },
        not_evaluated_reason=_not_evaluated_reason(event, status),
        no_champion_reason=_no_champion_reason(event),
    )


def _started(history: Sequence[Mapping[str, Any]]) -> datetime | None:
    moment = history[0].get("timestamp") if history else None
    return moment if isinstance(moment, datetime) else None


def _estimate_lines(dataset: Mapping[str, Any] | None) -> list[str]:
    estimate = (dataset or {}).get("estimate") or {}
    lines = [str(line) for line in estimate.get("lines") or []]
    if estimate.get("run_usd") is not None:
        lines.append(
            f"ESTIMATE for the whole run: ≈ ${estimate['run_usd']:,.2f} (what starting it could make billable, "
            "as checked against budget_usd)"
        )
    return lines


def _not_evaluated_reason(event: ReportEvent, status: str) -> str:
    if status in ("dry_run", "unchanged", "skipped"):
        return "Not evaluated: nothing was trained."
    if status == "failed":
        return "Not evaluated: the run failed before its evaluation was scored."
    if event.run is not None and not event.run.settings.evaluate:
        return "Not evaluated: the evaluate setting was off."
    return "This run was not evaluated."


def _no_champion_reason(event: ReportEvent) -> str:
    if event.gate is None or event.gate.champion_run_id:
        return ""
    return "No champion to compare with: no evaluated model was active when this run was evaluated."


def identity(
    event: ReportEvent,
    *,
    store: ObjectStore,
    active: ActiveModel | None,
    now: datetime,
    running: Sequence[Mapping[str, Any]] = (),
    started: datetime | None = None,
) -> list[tuple[str, str, bool]]:
    """(label, value, shown as code) rows that say which run and which model this is.
    `started`: when the execution started (else when Prepare ran)."""
    run = event.run
    assert run is not None
    settings = run.settings
    rows: list[tuple[str, str, bool]] = [
        ("run id", run.run_id, True),
        ("execution", run.execution_arn, True),
    ]
    try:
        begun = as_utc(started or datetime.fromisoformat(run.started_at))
        took = (as_utc(now) - begun).total_seconds()
        rows.append(("started", when(begun), False))
        rows.append(("reported", f"{when(now)} ({took / 60:,.1f} min after the start)", False))
    except ValueError:
        rows.append(("started", run.started_at, False))
    rows += [
        ("base model", settings.base_model, True),
        ("recipe · generator", f"{settings.recipe} · {settings.generator}", False),
    ]
    dataset = event.dataset
    hyperparameters = settings.hyperparameters
    report = _read_json(store, run.run_prefix + REPORT_FILE) if dataset else None
    if report and report.get("hyperparameters"):
        hyperparameters = report["hyperparameters"]
    rows.append(("hyperparameters", json.dumps(hyperparameters, sort_keys=True), True))
    if dataset is not None:
        rows.append(("dataset hash", dataset.dataset_hash, True))
        rows.append(("training file", f"{dataset.training_uri} ({dataset.train_rows:,} rows)", True))
        if dataset.validation_uri:
            rows.append(("validation file", f"{dataset.validation_uri} ({dataset.validation_rows:,} rows)", True))
        if dataset.eval_uri:
            rows.append(("evaluation file", dataset.eval_uri, True))
        rows.append(("dataset report", dataset.report_uri, True))
    if event.finetune is not None:
        job_status = event.finetune.status.value
        if job_status != "Completed":
            job_status = f"{job_status} when last read"
        rows.append(("fine-tuning job", f"{event.finetune.job_arn} ({job_status})", True))
        if event.finetune.output_model_arn:
            rows.append(("custom model", event.finetune.output_model_arn, True))
    if event.throughput is not None and event.throughput.created:
        arn = event.throughput.arn
        kept = any(item["arn"] == arn for item in running)
        state = "still running" if kept else "deleted"
        if event.gate is not None and arn in (event.gate.deleted_throughput_arn, event.gate.deleted_deployment_arn):
            state = "deleted once the evaluation was scored"
        rows.append((event.throughput.kind.value, f"{arn} ({state})", True))
    if active is not None:
        rows.append(("active model now", f"{active.model_arn} (run {active.run_id})", True))
    return rows


__all__ = [
    "HEADLINES",
    "PHASES",
    "Place",
    "ascii_subject",
    "conclude",
    "failed_state",
    "phases",
    "report_inputs",
    "status_of",
]
