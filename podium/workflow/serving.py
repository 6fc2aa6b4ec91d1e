"""The CreateThroughput and CheckThroughput steps: make what serves the fine-tuned model — a
provisioned throughput, or with deployment on_demand a custom model deployment — and poll it
until it answers (InService, Active). Both kinds are tagged, owned, timed and checked alike."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from podium.adapters.ports import FineTuner
from podium.workflow.errors import FineTuneFailed, ThroughputFailed
from podium.workflow.events import CheckThroughputEvent, CreateThroughputEvent, ThroughputProgress
from podium.workflow.polling import elapsed_seconds, next_poll_seconds, to_iso, utc_now
from podium.workflow.run_names import ownership_tags, serving_name, serving_ttl_hours
from podium.workflow.serving_resources import DEPLOYMENT, check_within_ttl, read_serving, serving_kind
from podium.workflow.status_checks import TRANSIENT, status_unknown

log = logging.getLogger(__name__)


def create_serving(
    event: CreateThroughputEvent,
    *,
    fine_tuner: FineTuner,
    name_prefix: str,
    now: datetime | None = None,
) -> ThroughputProgress:
    run, finetune = event.run, event.finetune
    if not finetune.output_model_arn:
        raise FineTuneFailed(f"job {finetune.job_arn} has no output model to deploy")
    kind = serving_kind(run.settings.deployment)
    wanted = run.settings.throughput
    name = serving_name(kind, name_prefix, run.run_id)
    ttl = serving_ttl_hours(run.settings)
    moment = now or utc_now()
    tags = ownership_tags(run, name_prefix, ttl)
    if kind is DEPLOYMENT:
        made = fine_tuner.create_deployment(name, finetune.output_model_arn, tags)
        arn, status, commitment = made.arn, made.status, None
    else:
        throughput = fine_tuner.create_throughput(
            name, finetune.output_model_arn, wanted.model_units, wanted.commitment, tags
        )
        arn, status, commitment = throughput.arn, throughput.status, wanted.commitment
    return ThroughputProgress(
        created=True,
        kind=kind,
        name=name,
        arn=arn,
        status=status,
        started_at=to_iso(moment),
        next_poll_seconds=run.settings.poll.min_seconds,
        # Counted from now, a moment before Bedrock's own creation time: the run stops a little early.
        expires_at=None if commitment else to_iso(moment + timedelta(hours=ttl)),
    )


def check_serving(
    event: CheckThroughputEvent, *, fine_tuner: FineTuner, now: datetime | None = None
) -> ThroughputProgress:
    progress = event.throughput
    if not progress.created or not progress.arn:
        raise ThroughputFailed(f"CheckThroughput ran, but this run created no {progress.kind.value}")
    what = f"{progress.kind.value} {progress.arn}"
    try:
        serving = read_serving(fine_tuner, progress.kind, progress.arn)
    except TRANSIENT as error:
        return status_unknown(event.run, progress, what, error, now)
    if serving.failed:
        raise ThroughputFailed(
            f"Bedrock {progress.kind.value} {progress.name} ({progress.arn}) Failed: "
            f"{serving.failure_message or '(Bedrock gave no failureMessage)'}"
        )
    check_within_ttl(progress, "the run had not evaluated on it yet", now)
    log.info("%s is %s", what, serving.status.value)
    elapsed = elapsed_seconds(progress.started_at or to_iso(utc_now()), now or utc_now())
    return progress.model_copy(
        update={
            "status": serving.status,
            "failure_message": serving.failure_message,
            "next_poll_seconds": next_poll_seconds(elapsed, event.run.settings.poll),
            "check_failures": 0,
        }
    )
