"""The janitor: on a schedule, delete this stack's provisioned throughputs, custom model
deployments and custom models that no run promoted and that outlived their time-to-live.

A run's Cleanup deletes what the run made when the run fails; the janitor catches what
nothing else will (a Lambda killed mid-cleanup, a commitment that ended, a throughput a
run could not delete, custom models of runs that were never promoted, which are billed
storage every month). The budget counts a throughput for its time-to-live because the
janitor deletes it then.

It can never hurt a live run or the serving model: it only ever touches resources tagged
`podium:stack=<this stack>`; it keeps everything whose execution is still RUNNING (the run
enforces its own throughput's time-to-live), the active model and its throughput, anything
tagged `podium:promoted` (set by Promote; a tag lives as long as the resource, unlike the
active-model record or a run's promotion.json, which it also honours), throughputs under
commitment, and custom models a throughput or deployment still serves. When it cannot tell — tags or the
execution unreadable, an execution Step Functions does not know, a ttl tag that is not a
number — it keeps the resource and reports it. With `dry_run` it deletes nothing and
reports what it would delete.

Each kind of billable resource is a `BillableKind` (list and delete); a kind that serves a
custom model (a throughput, an on-demand deployment) goes before the models, so a served
model is never deleted under it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from podium.adapters.errors import BedrockRejected, BedrockThrottled
from podium.adapters.ports import (
    TAG_EXECUTION,
    TAG_PROMOTED,
    TAG_RUN_ID,
    TAG_STACK,
    TAG_TTL_HOURS,
    ActiveModelStore,
    FineTuner,
    ObjectStore,
)
from podium.dataset.files import PROMOTION_FILE, run_prefix
from podium.workflow.polling import as_utc, to_iso, utc_now
from podium.workflow.serving_resources import ttl_from_tags

log = logging.getLogger(__name__)

RUNNING = "RUNNING"


@dataclass(frozen=True)
class Billable:
    """One resource that bills while it exists."""

    arn: str
    name: str
    created_at: str  # ISO-8601 ("" when unknown)
    commitment: str | None = None  # a term that cannot be ended early
    serves: str | None = None  # the custom model it serves (throughputs, deployments)
    model_units: int = 0  # what it bills by the hour (throughputs)
    deployment: bool = False  # a custom model deployment: it bills per token asked of it


@dataclass(frozen=True)
class BillableKind:
    name: str  # "provisioned throughput", "custom model deployment", "custom model"
    list: Callable[[], list[Billable]]
    delete: Callable[[str], None]
    is_model: bool = False  # kept while anything listed before it serves it


def bedrock_kinds(fine_tuner: FineTuner, *, deployments: bool = True) -> list[BillableKind]:
    """What Podium's runs create on Bedrock, serving kinds first; custom model deployments only when
    the stack's runs can make them (`deployments`: else its roles may not even list them)."""
    kinds = [
        BillableKind(
            "provisioned throughput",
            lambda: [
                Billable(t.arn, t.name, t.created_at, t.commitment, t.model_arn, t.model_units)
                for t in fine_tuner.list_throughputs()
            ],
            fine_tuner.delete_throughput,
        ),
        BillableKind(
            "custom model deployment",
            lambda: [
                Billable(d.arn, d.name, d.created_at, serves=d.model_arn, deployment=True)
                for d in fine_tuner.list_deployments()
            ],
            fine_tuner.delete_deployment,
        ),
        BillableKind(
            "custom model",
            lambda: [Billable(m.arn, m.name, m.created_at) for m in fine_tuner.list_custom_models()],
            fine_tuner.delete_custom_model,
            is_model=True,
        ),
    ]
    return [kind for kind in kinds if deployments or kind.name != "custom model deployment"]


@dataclass
class JanitorReport:
    dry_run: bool
    deleted: list[str] = field(default_factory=list)  # one line each: what and why
    kept: list[str] = field(default_factory=list)  # this stack's, past TTL or not, and why it stays
    failed: list[str] = field(default_factory=list)  # what it could not delete, and what to do
    unsure: list[str] = field(default_factory=list)  # kept because it could not tell: look at these
    # Model units of this stack's throughputs still there after the sweep: what bills by the hour
    model_units: int = 0
    # This stack's custom model deployments still there after the sweep: what bills per token asked
    deployments: int = 0

    def keep(self, line: str, run_id: str | None) -> None:
        self.kept.append(line)
        log.info("kept %s", line, extra={"run_id": run_id})

    def keep_unsure(self, line: str, run_id: str | None) -> None:
        self.unsure.append(line)
        log.warning("kept what it could not judge: %s", line, extra={"run_id": run_id})

    def delete(self, line: str, run_id: str | None) -> None:
        self.deleted.append(line)
        log.info(line, extra={"run_id": run_id})

    def fail(self, line: str, run_id: str | None) -> None:
        self.failed.append(line)
        log.warning(line, extra={"run_id": run_id})

    @property
    def worth_telling(self) -> bool:
        """Something was (or, in a dry run, would be) deleted, could not be, or could not be judged."""
        return bool(self.deleted or self.failed or self.unsure)

    def subject(self) -> str:
        did = "would delete (dry run)" if self.dry_run else "deleted"
        failed = f", could not delete {len(self.failed)}" if self.failed else ""
        unsure = f", could not judge {len(self.unsure)}" if self.unsure else ""
        return f"Podium janitor {did} {len(self.deleted)}{failed}{unsure}"

    def text(self) -> str:
        """The notification a person reads, in the words the janitor's log lines use."""
        if self.dry_run:
            head = (
                f"The janitor would delete {len(self.deleted)} resource(s) this stack's runs left behind (never "
                "promoted, past their time-to-live). It is in dry run (janitor_dry_run): nothing was deleted."
            )
        else:
            head = (
                f"The janitor deleted {len(self.deleted)} resource(s) this stack's runs left behind (never promoted, "
                "past their time-to-live)."
            )
        lines = [head]
        for title, items in (
            ("Would delete:" if self.dry_run else "Deleted:", self.deleted),
            ("Could NOT delete (still billed: delete it in the Bedrock console):", self.failed),
            ("Kept, as it could not tell whether it may go (look at these):", self.unsure),
        ):
            if items:
                lines += ["", title, *(f"  - {item}" for item in items)]
        lines += [
            "",
            f"Kept on purpose: {len(self.kept)} (the active model, promoted models, running executions' and "
            "not yet expired resources; each is in the janitor's log).",
            f"Provisioned throughput of this stack still billed by the hour: {self.model_units} model unit(s).",
        ]
        if self.deployments:
            lines.append(
                f"Custom model deployments of this stack still there (billed per token asked): {self.deployments}."
            )
        return "\n".join(lines) + "\n"

    def to_payload(self) -> dict[str, object]:
        return {
            "status": "janitor",
            "dry_run": self.dry_run,
            "deleted" if not self.dry_run else "would_delete": self.deleted,
            "kept": self.kept,
            "unsure": self.unsure,
            "failed": self.failed,
        }


def sweep(
    *,
    fine_tuner: FineTuner,
    active_models: ActiveModelStore,
    store: ObjectStore,
    name_prefix: str,
    default_ttl_hours: float,
    dry_run: bool,
    state_machine_arn: str,
    execution_status: Callable[[str], str | None],
    now: datetime | None = None,
    kinds: Sequence[BillableKind] | None = None,
    deployments: bool = True,
) -> JanitorReport:
    """`execution_status(arn)`: the execution's status (RUNNING, SUCCEEDED, ...), None when Step
    Functions does not know it; it may raise when it cannot tell. `deployments`: whether the stack's
    runs can make custom model deployments (else none is looked for)."""
    now = as_utc(now or utc_now())
    report = JanitorReport(dry_run=dry_run)
    active = active_models.get()
    serving = (active.model_arn, active.throughput_arn, active.deployment_arn) if active else ()
    protected = {arn for arn in serving if arn}
    verb = "would delete" if dry_run else "deleted"
    executions = state_machine_arn.replace(":stateMachine:", ":execution:") + ":"

    @functools.cache  # a run's throughput and its custom model ask about the same run
    def has_promotion_record(run_id: str) -> bool:
        return store.list_keys(run_prefix(run_id) + PROMOTION_FILE) != []

    @functools.cache
    def status_of(execution: str) -> str | None:
        return execution_status(execution)

    served: dict[str, str] = {}  # custom model → the kind of a remaining resource (of any stack) serving it

    def judge(kind: BillableKind, item: Billable) -> bool:
        """Delete `item` when nothing keeps it; True when it is gone (or would be, in a dry run)."""
        label = f"{kind.name} {item.name or item.arn} ({item.arn})"
        try:
            tags = dict(fine_tuner.tags(item.arn))
        except (BedrockRejected, BedrockThrottled) as error:
            report.keep_unsure(f"{label}: kept, its tags could not be read ({error})", None)
            return False
        if tags.get(TAG_STACK) != name_prefix:
            return False  # not this stack's: never touched, not reported
        run_id = tags.get(TAG_RUN_ID)
        gone = _judge_ours(kind, item, tags, label, run_id)
        if not gone or dry_run:
            report.model_units += item.model_units
            report.deployments += item.deployment
        return gone

    def _judge_ours(kind: BillableKind, item: Billable, tags: dict[str, str], label: str, run_id: str | None) -> bool:
        why_kept = _kept_for(kind, item, tags, protected, served, has_promotion_record)
        if why_kept:
            report.keep(f"{label}: {why_kept}", run_id)
            return False
        due, when = _due(item, tags, default_ttl_hours, now)
        if due is None:
            unusable = tags.get(TAG_TTL_HOURS)
            report.keep_unsure(f"{label}: kept, its {TAG_TTL_HOURS} tag {unusable!r} is not a number of hours", run_id)
            return False
        if not due:
            return False
        execution = tags.get(TAG_EXECUTION) or ""
        if not execution.startswith(executions):
            why = f"its {TAG_EXECUTION} tag {execution!r} names no execution of this state machine"
            report.keep_unsure(f"{label}: kept, {why}", run_id)
            return False
        try:
            status = status_of(execution)
        except Exception as error:  # noqa: BLE001 - whatever went wrong, it cannot tell: keep
            why = f"the status of its execution {execution} could not be read ({error})"
            report.keep_unsure(f"{label}: kept, {why}", run_id)
            return False
        if status is None:
            why = f"Step Functions does not know its execution {execution} (more than 90 days old?)"
            report.keep_unsure(f"{label}: kept, {why}", run_id)
            return False
        if status == RUNNING:
            report.keep(f"{label}: its execution {execution} is still running ({when})", run_id)
            return False
        line = f"{verb} {label}: never promoted, {when}"
        return _delete(report, label, line, dry_run, kind.delete, item.arn, run_id)

    for kind in kinds if kinds is not None else bedrock_kinds(fine_tuner, deployments=deployments):
        for item in kind.list():
            if not judge(kind, item) and item.serves:
                served.setdefault(item.serves, kind.name)
    log.info(
        "swept: %d %s, %d kept, %d unsure, %d could not be deleted; %d model unit(s) of provisioned throughput and "
        "%d custom model deployment(s) remain",
        len(report.deleted),
        verb,
        len(report.kept),
        len(report.unsure),
        len(report.failed),
        report.model_units,
        report.deployments,
    )
    return report


def _kept_for(
    kind: BillableKind,
    item: Billable,
    tags: dict[str, str],
    protected: set[str],
    served: Mapping[str, str],
    has_promotion_record: Callable[[str], bool],
) -> str:
    """Why this stack's resource stays whatever its age ("" when nothing protects it)."""
    if item.arn in protected:
        return "the active model" if kind.is_model else "serves the active model"
    if tags.get(TAG_PROMOTED):
        return f"promoted ({TAG_PROMOTED} tag): kept so it can be promoted again"
    run_id = tags.get(TAG_RUN_ID)
    if run_id and has_promotion_record(run_id):
        return "its run was promoted (runs/<run_id>/promotion.json)"
    if item.commitment:
        return f"under a {item.commitment} commitment, which cannot be deleted before its term ends"
    if kind.is_model and item.arn in served:
        return f"a {served[item.arn]} still serves it"
    return ""


def _due(item: Billable, tags: dict[str, str], default_ttl_hours: float, now: datetime) -> tuple[bool | None, str]:
    """(past its ttl?, how long it lives); None when its ttl tag is unusable."""
    ttl = ttl_from_tags(tags) if TAG_TTL_HOURS in tags else default_ttl_hours
    if ttl is None:
        return None, ""
    if not item.created_at:
        return False, f"ttl {ttl:g} h"
    expires = as_utc(datetime.fromisoformat(item.created_at)) + timedelta(hours=ttl)
    return now >= expires, f"created {item.created_at}, ttl {ttl:g} h, expired {to_iso(expires)}"


def _delete(
    report: JanitorReport,
    label: str,
    line: str,
    dry_run: bool,
    delete: Callable[[str], None],
    arn: str,
    run_id: str | None,
) -> bool:
    """Delete (unless dry_run) and record it; False when it could not be deleted."""
    if not dry_run:
        try:
            delete(arn)
        except BedrockRejected as error:
            report.fail(f"could NOT delete {label} ({error}); delete it in the Bedrock console", run_id)
            return False
    report.delete(line, run_id)
    return True
