"""Deleting a run's provisioned throughput, as Cleanup and ScoreEvaluation both do: never
the one serving the active model, and a refusal says how to delete it by hand (it bills
hourly). Its own module, so ScoreEvaluation's cold start does not load the other steps' code."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from podium.adapters.errors import BedrockRejected
from podium.adapters.ports import TAG_TTL_HOURS, ActiveModelStore, FineTuner
from podium.workflow.errors import ThroughputExpired
from podium.workflow.events import ThroughputProgress
from podium.workflow.polling import as_utc, to_iso, utc_now

log = logging.getLogger(__name__)


def check_within_ttl(throughput: ThroughputProgress, doing: str, now: datetime | None = None) -> None:
    """Raise ThroughputExpired once the throughput's time-to-live has run out: the budget counts
    it for that long, and the janitor leaves a running execution's throughput alone, so the run
    itself stops using it then (Cleanup deletes it)."""
    if not throughput.expires_at:
        return
    moment = as_utc(now or utc_now())
    if moment >= as_utc(datetime.fromisoformat(throughput.expires_at)):
        log.warning(
            "provisioned throughput %s is past its ttl (%s): the run stops", throughput.arn, throughput.expires_at
        )
        raise ThroughputExpired(
            f"provisioned throughput {throughput.arn} reached the end of its time-to-live at {throughput.expires_at} "
            f"and {doing}: the budget counts it only until then, so the run stops and Cleanup deletes it. Give it "
            "longer with throughput_ttl_hours (or throughput_evaluation_ttl_hours for an evaluation-only one) in "
            "cdk.json and `cdk deploy`, or look at why Bedrock was slow"
        )


def kept_for_active_model(active_models: ActiveModelStore, arn: str) -> str | None:
    """Why `arn` stays (it serves the active model), or None."""
    active = active_models.get()
    if active is not None and active.throughput_arn == arn:
        return f"kept provisioned throughput {arn}: it serves the active model"
    return None


def delete_throughput(fine_tuner: FineTuner, arn: str, why: str) -> tuple[str | None, str]:
    """(the deleted ARN or None, what happened). A throughput already gone counts as deleted
    (FineTuner.delete_throughput); a refusal says how to delete it by hand, as it bills hourly."""
    try:
        fine_tuner.delete_throughput(arn)
    except BedrockRejected as error:
        return None, (
            f"could NOT delete provisioned throughput {arn} ({error}); it is billed hourly until "
            f"deleted: aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}"
        )
    return arn, f"deleted provisioned throughput {arn} ({why})"


def ttl_from_tags(tags: Mapping[str, str]) -> float | None:
    """The resource's `podium:ttl_hours` tag as hours, or None when it is missing or not a
    positive finite number (a tag is text anyone with TagResource could have written)."""
    try:
        hours = float(tags.get(TAG_TTL_HOURS) or "")
    except ValueError:
        return None
    return hours if math.isfinite(hours) and hours > 0 else None


def janitor_deletes_at(created_at: str, tags: Mapping[str, str]) -> str | None:
    """When the janitor may delete a resource created at `created_at` (ISO-8601) that no run
    promotes: its creation plus its ttl tag (the janitor's first run after that, once its
    execution has ended). None when either is unknown."""
    ttl = ttl_from_tags(tags)
    if not created_at or ttl is None:
        return None
    return to_iso(as_utc(datetime.fromisoformat(created_at)) + timedelta(hours=ttl))
