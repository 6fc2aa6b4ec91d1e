"""The janitor: on a schedule, delete this stack's provisioned throughputs and custom
models that no run promoted and that outlived their time-to-live.

A run's Cleanup deletes what the run made when the run fails; the janitor catches what
nothing else will (a Lambda killed mid-cleanup, a commitment that ended, an
evaluation's throughput left behind, custom models of runs that were never promoted,
which are billed storage every month). It only ever touches resources tagged
`podium:stack=<this stack>`, never the active model or its throughput, never a
throughput under commitment, and never anything a run promoted (a promoted model's
throughput is retired by Promote, as `throughput.retire_previous` says). With `dry_run`
it deletes nothing and reports what it would delete.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from podium.adapters.errors import BedrockRejected
from podium.adapters.ports import TAG_RUN_ID, TAG_STACK, TAG_TTL_HOURS, ActiveModelStore, FineTuner, ObjectStore
from podium.dataset.files import PROMOTION_FILE, run_prefix
from podium.workflow.polling import as_utc, to_iso, utc_now

log = logging.getLogger(__name__)


@dataclass
class JanitorReport:
    dry_run: bool
    deleted: list[str] = field(default_factory=list)  # one line each: what and why
    kept: list[str] = field(default_factory=list)  # this stack's, past TTL or not, and why it stays
    failed: list[str] = field(default_factory=list)  # what it could not delete, and what to do
    # Model units of this stack's throughputs still there after the sweep: what bills by the hour
    model_units: int = 0

    def keep(self, line: str, run_id: str | None) -> None:
        self.kept.append(line)
        log.info("kept %s", line, extra={"run_id": run_id})

    def delete(self, line: str, run_id: str | None) -> None:
        self.deleted.append(line)
        log.info(line, extra={"run_id": run_id})

    def fail(self, line: str, run_id: str | None) -> None:
        self.failed.append(line)
        log.warning(line, extra={"run_id": run_id})

    @property
    def worth_telling(self) -> bool:
        """Something was (or, in a dry run, would be) deleted, or could not be."""
        return bool(self.deleted or self.failed)

    def to_payload(self) -> dict[str, object]:
        return {
            "status": "janitor",
            "dry_run": self.dry_run,
            "deleted" if not self.dry_run else "would_delete": self.deleted,
            "kept": self.kept,
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
    now: datetime | None = None,
) -> JanitorReport:
    now = as_utc(now or utc_now())
    report = JanitorReport(dry_run=dry_run)
    active = active_models.get()
    verb = "would delete" if dry_run else "deleted"

    def expired(created_at: str, tags: dict[str, str]) -> tuple[bool, str]:
        try:
            ttl = float(tags.get(TAG_TTL_HOURS) or default_ttl_hours)
        except ValueError:
            ttl = default_ttl_hours
        if not created_at:
            return False, f"ttl {ttl:g} h"
        expires = as_utc(datetime.fromisoformat(created_at)) + timedelta(hours=ttl)
        return now >= expires, f"created {created_at}, ttl {ttl:g} h, expired {to_iso(expires)}"

    @functools.cache  # a run's throughput and its custom model ask about the same run
    def has_promotion_record(run_id: str) -> bool:
        return store.list_keys(run_prefix(run_id) + PROMOTION_FILE) != []

    def promoted(tags: dict[str, str]) -> bool:
        run_id = tags.get(TAG_RUN_ID)
        return bool(run_id) and has_promotion_record(run_id)

    remaining_models: set[str] = set()
    for throughput in fine_tuner.list_throughputs():
        tags = dict(fine_tuner.tags(throughput.arn))
        if tags.get(TAG_STACK) != name_prefix:
            continue  # not this stack's: never touched, not reported
        label = f"provisioned throughput {throughput.name or throughput.arn} ({throughput.arn})"
        run_id = tags.get(TAG_RUN_ID)
        if active is not None and throughput.arn == active.throughput_arn:
            report.keep(f"{label}: serves the active model", run_id)
        elif throughput.commitment:
            report.keep(
                f"{label}: under a {throughput.commitment} commitment, which cannot be deleted before its term ends",
                run_id,
            )
        elif promoted(tags):
            report.keep(f"{label}: its run was promoted; throughput.retire_previous decides when it goes", run_id)
        else:
            due, when = expired(throughput.created_at, tags)
            if due and _delete(
                report,
                label,
                f"{verb} {label}: never promoted, {when}",
                dry_run,
                fine_tuner.delete_throughput,
                throughput.arn,
                run_id,
            ):
                if dry_run:
                    report.model_units += throughput.model_units
                continue
        remaining_models.add(throughput.model_arn)
        report.model_units += throughput.model_units

    for model in fine_tuner.list_custom_models():
        tags = dict(fine_tuner.tags(model.arn))
        if tags.get(TAG_STACK) != name_prefix:
            continue
        label = f"custom model {model.name} ({model.arn})"
        run_id = tags.get(TAG_RUN_ID)
        if active is not None and model.arn == active.model_arn:
            report.keep(f"{label}: the active model", run_id)
        elif promoted(tags):
            report.keep(f"{label}: its run was promoted (kept so it can be promoted again)", run_id)
        elif model.arn in remaining_models:
            report.keep(f"{label}: a provisioned throughput still serves it", run_id)
        else:
            due, when = expired(model.created_at, tags)
            if due:
                _delete(
                    report,
                    label,
                    f"{verb} {label}: never promoted, {when}",
                    dry_run,
                    fine_tuner.delete_custom_model,
                    model.arn,
                    run_id,
                )
    log.info(
        "swept: %d %s, %d kept, %d could not be deleted; %d model unit(s) of provisioned throughput remain",
        len(report.deleted),
        verb,
        len(report.kept),
        len(report.failed),
        report.model_units,
    )
    return report


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
