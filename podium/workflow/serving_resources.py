"""What serves a run's model — a provisioned throughput (billed per model unit and hour) or, with
deployment on_demand, a custom model deployment (billed per token) — read, timed and deleted the
same way by every step that touches one (CheckThroughput, EvaluateChunk, ScoreEvaluation, Promote,
Cleanup): never the one serving the active model, and a refusal says how to delete it by hand.
Its own module, so ScoreEvaluation's cold start does not load the other steps' code."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from podium.adapters.errors import BedrockRejected
from podium.adapters.ports import (
    TAG_TTL_HOURS,
    ActiveModelStore,
    DeploymentStatus,
    FineTuner,
    ServingKind,
    ThroughputStatus,
)
from podium.workflow.errors import ThroughputExpired
from podium.workflow.events import ThroughputProgress
from podium.workflow.polling import as_utc, to_iso, utc_now

log = logging.getLogger(__name__)

PROVISIONED = ServingKind.PROVISIONED_THROUGHPUT
DEPLOYMENT = ServingKind.CUSTOM_MODEL_DEPLOYMENT
_DELETE_BY_HAND = {
    PROVISIONED: "aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}",
    DEPLOYMENT: "aws bedrock delete-custom-model-deployment --custom-model-deployment-identifier {arn}",
}


def bills(kind: ServingKind, until: str = "deleted") -> str:
    """How a throughput or deployment bills while it exists, as every message that leaves one says it."""
    if kind is DEPLOYMENT:
        return f"it bills per token asked of it (nothing while idle) until {until}"
    return f"it is billed hourly until {until}"


def serving_kind(deployment: str) -> ServingKind:
    """The kind a run's `deployment` setting creates ("provisioned" or "on_demand")."""
    return DEPLOYMENT if deployment == "on_demand" else PROVISIONED


@dataclass(frozen=True)
class Serving:
    """A throughput or a deployment, as the workflow reads either."""

    kind: ServingKind
    arn: str
    status: ThroughputStatus | DeploymentStatus
    failure_message: str = ""
    created_at: str = ""

    @property
    def failed(self) -> bool:
        return self.status in (ThroughputStatus.FAILED, DeploymentStatus.FAILED)


def read_serving(fine_tuner: FineTuner, kind: ServingKind, identifier: str) -> Serving:
    """The throughput or deployment named or ARN'd `identifier` (BedrockRejected ResourceNotFoundException
    when there is none)."""
    if kind is DEPLOYMENT:
        deployment = fine_tuner.get_deployment(identifier)
        return Serving(kind, deployment.arn, deployment.status, deployment.failure_message, deployment.created_at)
    throughput = fine_tuner.get_throughput(identifier)
    return Serving(kind, throughput.arn, throughput.status, throughput.failure_message, throughput.created_at)


def check_within_ttl(serving: ThroughputProgress, doing: str, now: datetime | None = None) -> None:
    """Raise ThroughputExpired once the throughput's (or deployment's) time-to-live has run out: the
    budget counts it for that long, and the janitor leaves a running execution's resources alone, so
    the run itself stops using it then (Cleanup deletes it)."""
    if not serving.expires_at:
        return
    moment = as_utc(now or utc_now())
    if moment >= as_utc(datetime.fromisoformat(serving.expires_at)):
        log.warning("%s %s is past its ttl (%s): the run stops", serving.kind.value, serving.arn, serving.expires_at)
        raise ThroughputExpired(
            f"{serving.kind.value} {serving.arn} reached the end of its time-to-live at {serving.expires_at} "
            f"and {doing}: the budget counts it only until then, so the run stops and Cleanup deletes it. Give it "
            "longer with throughput_ttl_hours (or throughput_evaluation_ttl_hours for an evaluation-only one) in "
            "cdk.json and `cdk deploy`, or look at why Bedrock was slow"
        )


def kept_for_active_model(active_models: ActiveModelStore, arn: str) -> str | None:
    """Why `arn` stays (it serves the active model), or None."""
    active = active_models.get()
    if active is not None and arn in (active.throughput_arn, active.deployment_arn):
        return f"kept {ServingKind.of_arn(arn).value} {arn}: it serves the active model"
    return None


def delete_serving(fine_tuner: FineTuner, arn: str, why: str) -> tuple[str | None, str]:
    """(the deleted ARN or None, what happened) for a throughput or a deployment (its ARN says which).
    One already gone counts as deleted; a refusal says how to delete it by hand."""
    kind = ServingKind.of_arn(arn)
    try:
        if kind is DEPLOYMENT:
            fine_tuner.delete_deployment(arn)
        else:
            fine_tuner.delete_throughput(arn)
    except BedrockRejected as error:
        return None, (
            f"could NOT delete {kind.value} {arn} ({error}); {bills(kind)}: {_DELETE_BY_HAND[kind].format(arn=arn)}"
        )
    return arn, f"deleted {kind.value} {arn} ({why})"


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
