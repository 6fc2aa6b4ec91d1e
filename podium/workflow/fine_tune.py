"""The StartFineTune and CheckFineTune steps: start the Bedrock model-customization job
(idempotently, by names and a client token derived from the run id) and poll it to the end."""

from __future__ import annotations

import logging
from datetime import datetime

from podium.adapters.audit import resource_changed
from podium.adapters.bedrock import client_token_for
from podium.adapters.bedrock_metrics import read_loss_metrics
from podium.adapters.ports import FineTuner, FineTuneRequest, JobStatus, ObjectStore
from podium.models import get_model
from podium.workflow.errors import DatasetInvalid, FineTuneFailed, InvalidInput, OverBudget
from podium.workflow.events import CheckFineTuneEvent, FineTuneProgress, StartFineTuneEvent
from podium.workflow.polling import elapsed_seconds, next_poll_seconds, to_iso, utc_now
from podium.workflow.run_names import custom_model_name, job_name, ownership_tags
from podium.workflow.status_checks import TRANSIENT, status_unknown

log = logging.getLogger(__name__)


def start_fine_tune(
    event: StartFineTuneEvent,
    *,
    fine_tuner: FineTuner,
    region: str,
    name_prefix: str,
    role_arn: str,
    kms_key_id: str | None = None,
    now: datetime | None = None,
) -> FineTuneProgress:
    """Start the Bedrock job. Names and the client token come from the run id, so a retried
    call returns the job the first call started instead of starting a second one."""
    run, dataset = event.run, event.dataset
    # The Choice state decides this too; refusing here as well keeps money safe if the
    # definition is ever rewired.
    if not dataset.valid:
        raise DatasetInvalid(dataset.message)
    if dataset.over_budget:
        raise OverBudget(dataset.message)
    if dataset.dry_run:
        raise InvalidInput("dry_run: a dry run never starts a fine-tuning job")
    model = get_model(run.settings.base_model, region)
    name = job_name(name_prefix, run.run_id)
    request = FineTuneRequest(
        job_name=name,
        custom_model_name=custom_model_name(name_prefix, run.run_id),
        client_request_token=client_token_for(run.run_id, "fine-tune"),
        role_arn=role_arn,
        base_model_id=model.model_id,
        training_uri=dataset.training_uri,
        validation_uri=dataset.validation_uri,
        output_uri=dataset.output_uri,
        hyperparameters=model.resolve_hyperparameters(run.settings.hyperparameters),
        tags=ownership_tags(run, name_prefix),
        kms_key_id=kms_key_id,
    )
    job = fine_tuner.start_job(request)
    return FineTuneProgress(
        job_arn=job.job_arn,
        job_name=name,
        custom_model_name=request.custom_model_name,
        status=job.status,
        started_at=to_iso(now or utc_now()),
        next_poll_seconds=run.settings.poll.min_seconds,
    )


def check_fine_tune(
    event: CheckFineTuneEvent,
    *,
    fine_tuner: FineTuner,
    store: ObjectStore,
    now: datetime | None = None,
) -> FineTuneProgress:
    """Poll the job. Failed/Stopped raise FineTuneFailed with Bedrock's failureMessage.

    On completion the final losses come from Bedrock's response, else from the metrics
    files the job wrote under the run's output/ prefix."""
    progress = event.finetune
    try:
        job = fine_tuner.get_job(progress.job_arn)
    except TRANSIENT as error:
        return status_unknown(event.run, progress, f"fine-tuning job {progress.job_arn}", error, now)
    if job.status in (JobStatus.FAILED, JobStatus.STOPPED):
        raise FineTuneFailed(
            f"Bedrock fine-tuning job {progress.job_name} ({progress.job_arn}) is {job.status.value}: "
            f"{job.failure_message or '(Bedrock gave no failureMessage)'}"
        )
    training_loss, validation_loss = job.training_loss, job.validation_loss
    if job.status is JobStatus.COMPLETED:
        if not job.output_model_arn:
            raise FineTuneFailed(f"Bedrock reports job {progress.job_arn} Completed but names no output model")
        if training_loss is None:
            losses = read_loss_metrics(store, event.run.run_prefix + "output/", progress.job_arn)
            training_loss, validation_loss = losses.final_training_loss, losses.final_validation_loss
        # Bedrock made the custom model (billed monthly for storage) when the job completed
        resource_changed(
            log,
            "created",
            "custom model",
            job.output_model_arn,
            f"by fine-tuning job {progress.job_arn}; training loss {training_loss}, validation loss {validation_loss}",
        )
    else:
        log.info("fine-tuning job %s is %s", progress.job_arn, job.status.value)
    elapsed = elapsed_seconds(progress.started_at, now or utc_now())
    return progress.model_copy(
        update={
            "status": job.status,
            "output_model_arn": job.output_model_arn,
            "failure_message": job.failure_message,
            "training_loss": training_loss,
            "validation_loss": validation_loss,
            "next_poll_seconds": next_poll_seconds(elapsed, event.run.settings.poll),
            "check_failures": 0,
        }
    )
