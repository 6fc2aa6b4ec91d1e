"""Cleanup: after any failure, stop what this run started and still costs money.

It runs from every Catch with whatever state existed at that moment, so it also looks
resources up by the names derived from the run id (a step may have created one and
then failed before saving its ARN). Idempotent: "already gone" is success. It raises
only transient errors (so the state machine retries it); anything else it could not
undo is reported in the summary, with what to do by hand.
"""

from __future__ import annotations

from podium.adapters.errors import BedrockRejected
from podium.adapters.ports import ActiveModelStore, FineTuner, JobStatus
from podium.workflow.events import CleanupEvent, FailureSummary
from podium.workflow.logic import job_name, throughput_name
from podium.workflow.notify import error_message

_NOT_FOUND = "ResourceNotFoundException"


def cleanup(
    event: CleanupEvent, *, fine_tuner: FineTuner, active_models: ActiveModelStore, name_prefix: str
) -> FailureSummary:
    actions: list[str] = []
    run = event.run
    if run is not None:
        if event.finetune is not None:
            actions.extend(_stop_job(fine_tuner, event.finetune.job_arn))
        elif event.dataset is not None:
            # StartFineTune may have started the job and failed before saving its ARN.
            actions.extend(_stop_job(fine_tuner, job_name(name_prefix, run.run_id)))
        if event.throughput is not None and event.throughput.created and event.throughput.arn:
            actions.extend(_delete_throughput(fine_tuner, active_models, event.throughput.arn))
        elif run.settings.throughput.enabled and event.finetune is not None:
            # Likewise CreateThroughput, whose throughput is billed hourly from creation.
            actions.extend(_delete_throughput(fine_tuner, active_models, throughput_name(name_prefix, run.run_id)))
    return FailureSummary(
        run_id=run.run_id if run else None,
        error=event.error.Error,
        message=error_message(event.error),
        report_uri=event.dataset.report_uri if event.dataset else None,
        cleanup=actions or ["nothing to clean up: this run had no running job or throughput"],
    )


def _stop_job(fine_tuner: FineTuner, job: str) -> list[str]:
    try:
        found = fine_tuner.get_job(job)
    except BedrockRejected as error:
        if error.code == _NOT_FOUND:
            return []
        return [f"could not read fine-tuning job {job} ({error}); check it in the Bedrock console"]
    if found.status is not JobStatus.IN_PROGRESS:
        return []
    job = found.job_arn
    try:
        fine_tuner.stop_job(job)
    except BedrockRejected as error:
        return [
            (
                f"could NOT stop fine-tuning job {job} ({error}); stop it by hand: "
                f"aws bedrock stop-model-customization-job --job-identifier {job}"
            )
        ]
    return [f"stopped fine-tuning job {job}"]


def _delete_throughput(fine_tuner: FineTuner, active_models: ActiveModelStore, throughput: str) -> list[str]:
    try:
        arn = fine_tuner.get_throughput(throughput).arn
    except BedrockRejected as error:
        if error.code == _NOT_FOUND:
            return []
        return [f"could not read provisioned throughput {throughput} ({error}); check the Bedrock console"]
    active = active_models.get()
    if active is not None and active.throughput_arn == arn:
        return [f"kept provisioned throughput {arn}: it serves the active model"]
    try:
        fine_tuner.delete_throughput(arn)
    except BedrockRejected as error:
        return [
            (
                f"could NOT delete provisioned throughput {arn} ({error}); it is billed hourly until "
                f"deleted: aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}"
            )
        ]
    return [f"deleted provisioned throughput {arn} (created by this run, never promoted)"]
