"""The CreateThroughput and CheckThroughput steps: buy provisioned throughput for the
fine-tuned model and poll it until it is in service."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from podium.adapters.ports import FineTuner, ThroughputStatus
from podium.workflow.errors import FineTuneFailed, ThroughputFailed
from podium.workflow.events import CheckThroughputEvent, CreateThroughputEvent, ThroughputProgress
from podium.workflow.polling import elapsed_seconds, next_poll_seconds, to_iso, utc_now
from podium.workflow.run_names import ownership_tags, throughput_name, throughput_ttl_hours
from podium.workflow.status_checks import TRANSIENT, status_unknown
from podium.workflow.throughputs import check_within_ttl

log = logging.getLogger(__name__)


def create_throughput(
    event: CreateThroughputEvent,
    *,
    fine_tuner: FineTuner,
    name_prefix: str,
    now: datetime | None = None,
) -> ThroughputProgress:
    run, finetune = event.run, event.finetune
    if not finetune.output_model_arn:
        raise FineTuneFailed(f"job {finetune.job_arn} has no output model to deploy")
    wanted = run.settings.throughput
    name = throughput_name(name_prefix, run.run_id)
    ttl = throughput_ttl_hours(run.settings)
    moment = now or utc_now()
    throughput = fine_tuner.create_throughput(
        name, finetune.output_model_arn, wanted.model_units, wanted.commitment, ownership_tags(run, name_prefix, ttl)
    )
    return ThroughputProgress(
        created=True,
        name=name,
        arn=throughput.arn,
        status=throughput.status,
        started_at=to_iso(moment),
        next_poll_seconds=run.settings.poll.min_seconds,
        # Counted from now, a moment before Bedrock's own creation time: the run stops a little early.
        expires_at=None if wanted.commitment else to_iso(moment + timedelta(hours=ttl)),
    )


def check_throughput(
    event: CheckThroughputEvent, *, fine_tuner: FineTuner, now: datetime | None = None
) -> ThroughputProgress:
    progress = event.throughput
    if not progress.created or not progress.arn:
        raise ThroughputFailed("CheckThroughput ran, but this run created no provisioned throughput")
    try:
        throughput = fine_tuner.get_throughput(progress.arn)
    except TRANSIENT as error:
        return status_unknown(event.run, progress, f"provisioned throughput {progress.arn}", error, now)
    if throughput.status is ThroughputStatus.FAILED:
        raise ThroughputFailed(
            f"Bedrock provisioned throughput {progress.name} ({progress.arn}) Failed: "
            f"{throughput.failure_message or '(Bedrock gave no failureMessage)'}"
        )
    check_within_ttl(progress, "the run had not evaluated on it yet", now)
    log.info("provisioned throughput %s is %s", progress.arn, throughput.status.value)
    elapsed = elapsed_seconds(progress.started_at or to_iso(utc_now()), now or utc_now())
    return progress.model_copy(
        update={
            "status": throughput.status,
            "failure_message": throughput.failure_message,
            "next_poll_seconds": next_poll_seconds(elapsed, event.run.settings.poll),
            "check_failures": 0,
        }
    )
