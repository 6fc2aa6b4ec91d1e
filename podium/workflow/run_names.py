"""Names derived from the run id: the run id itself, the Bedrock job, custom model,
throughput and deployment names, and the tags every billable resource of the run carries. Deterministic,
so a retried step finds what the first attempt made and Cleanup finds resources whose ARN
was never saved."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from podium.adapters.bedrock import job_name_for
from podium.adapters.ports import TAG_EXECUTION, TAG_RUN_ID, TAG_STACK, TAG_TTL_HOURS, ServingKind, tag_value
from podium.config import RunSettings
from podium.dataset.estimate import evaluation_only_hours
from podium.workflow.events import RunContext
from podium.workflow.polling import as_utc

# Bedrock names cap at 63 characters and are "<prefix>-<kind>-<run_id>" (prefix ≤ 21):
# a run id of at most 36 characters keeps them readable; longer ones still work because
# job_name_for hashes what does not fit.
RUN_ID_MAX = 36
_HASH_CHARS = 8


def run_id_for(execution_name: str, execution_arn: str, start_time: str) -> str:
    """A run id unique per execution: the execution name made safe (lower-case letters,
    digits, single hyphens), shortened, plus a hash of the execution ARN and start time.

    The hash is what makes it unique: names that sanitise alike ("Weekly Retrain" and
    "weekly-retrain") and a name reused after Step Functions' 90-day window (same ARN, new
    start time) get different ids, so they never share a job, throughput or run folder.
    `start_time` is hashed as epoch milliseconds, so $$.Execution.StartTime and the
    startDate of an EventBridge status-change event give the same id.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", execution_name.lower()).strip("-")
    started_ms = int(as_utc(datetime.fromisoformat(start_time)).timestamp() * 1000)
    digest = hashlib.sha256(f"{execution_arn}|{started_ms}".encode()).hexdigest()[:_HASH_CHARS]
    head = slug[: RUN_ID_MAX - _HASH_CHARS - 1].rstrip("-")
    return f"{head}-{digest}" if head else f"run-{digest}"


def job_name(name_prefix: str, run_id: str) -> str:
    return job_name_for(f"{name_prefix}-ft", run_id)


def custom_model_name(name_prefix: str, run_id: str) -> str:
    return job_name_for(f"{name_prefix}-model", run_id)


def throughput_name(name_prefix: str, run_id: str) -> str:
    return job_name_for(f"{name_prefix}-pt", run_id)


def deployment_name(name_prefix: str, run_id: str) -> str:
    return job_name_for(f"{name_prefix}-od", run_id)


def serving_name(kind: ServingKind, name_prefix: str, run_id: str) -> str:
    """The name of the run's throughput or custom model deployment."""
    if kind is ServingKind.CUSTOM_MODEL_DEPLOYMENT:
        return deployment_name(name_prefix, run_id)
    return throughput_name(name_prefix, run_id)


def serving_ttl_hours(settings: RunSettings) -> float:
    """The time-to-live of the run's throughput (or deployment): its own short one when it is made
    for the evaluation only (the budget's evaluation line counts the same hours), else
    throughput.ttl_hours."""
    if settings.throughput.enabled:
        return settings.throughput.ttl_hours
    return evaluation_only_hours(settings.throughput)


def ownership_tags(run: RunContext, name_prefix: str, ttl_hours: float | None = None) -> dict[str, str]:
    """What every billable resource of the run carries (see ports.TAG_*); `ttl_hours` defaults to
    throughput.ttl_hours, how long the job's custom model may live unpromoted."""
    ttl = run.settings.throughput.ttl_hours if ttl_hours is None else ttl_hours
    return {
        key: tag_value(value)
        for key, value in {
            TAG_STACK: name_prefix,
            TAG_EXECUTION: run.execution_arn,
            TAG_RUN_ID: run.run_id,
            TAG_TTL_HOURS: format(ttl, "g"),
        }.items()
    }
