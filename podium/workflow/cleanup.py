"""Cleanup: whatever ended the run, stop what this run started and still costs money.

It runs from every Catch with whatever state existed at that moment, and from the
execution-status-change handler (podium.workflow.ended) when an execution was stopped or
timed out, so it also looks resources up by the names derived from the run id (a step
may have created one and then failed before saving its ARN). It touches a job, a
throughput or a custom model deployment only when its tags name this execution, and never
what serves the active model. Idempotent: "already gone" is success. It raises only transient errors (so
the state machine retries it); anything else it could not undo is reported in the
summary, with what to do by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from podium.adapters.errors import BedrockRejected, BedrockThrottled, DatabricksRejected
from podium.adapters.ports import (
    TAG_EXECUTION,
    ActiveModelStore,
    FineTuner,
    GenerationState,
    Generator,
    JobStatus,
    ServingKind,
    tag_value,
)
from podium.config import RunSettings, creates_serving
from podium.workflow.events import CleanupEvent, FailureSummary, LeftBilling, RunContext
from podium.workflow.notify import error_message
from podium.workflow.run_names import job_name, serving_name
from podium.workflow.serving_resources import (
    delete_serving,
    janitor_deletes_at,
    kept_for_active_model,
    read_serving,
    serving_kind,
)

log = logging.getLogger(__name__)

_NOT_FOUND = "ResourceNotFoundException"
NOTHING_TO_CLEAN = "nothing to clean up: this run had no running job, throughput or deployment"
# How a cleanup line starts when something is left for a person to do
_BY_HAND = ("could NOT", "could not")


def cleanup(
    event: CleanupEvent,
    *,
    fine_tuner: FineTuner,
    active_models: ActiveModelStore,
    name_prefix: str,
    generator_for: Callable[[RunSettings], Generator] | None = None,
) -> FailureSummary:
    actions: list[str] = []
    left: list[LeftBilling] = []
    run = event.run
    if run is not None:
        generation = event.generation
        if generation is not None and generation.state is GenerationState.RUNNING and generator_for is not None:
            actions.extend(_cancel_generation(generator_for(run.settings), generation.handle))
        if event.finetune is not None:
            actions.extend(_stop_job(fine_tuner, run, event.finetune.job_arn))
        elif event.dataset is not None:
            # StartFineTune may have started the job and failed before saving its ARN.
            actions.extend(_stop_job(fine_tuner, run, job_name(name_prefix, run.run_id)))
        serving = event.throughput
        if serving is not None and serving.created and serving.arn:
            actions.extend(_delete_serving(fine_tuner, active_models, run, serving.kind, serving.arn, left))
        elif creates_serving(run.settings) and event.finetune is not None:
            # Likewise CreateThroughput, whose throughput (or deployment) bills from creation.
            kind = serving_kind(run.settings.deployment)
            name = serving_name(kind, name_prefix, run.run_id)
            actions.extend(_delete_serving(fine_tuner, active_models, run, kind, name, left))
        promoted = event.outcome is not None and event.outcome.status == "promoted"
        if event.finetune is not None and event.finetune.output_model_arn and not promoted:
            actions.extend(_keep_trained_model(fine_tuner, event.finetune.output_model_arn, left))
    summary = FailureSummary(
        run_id=run.run_id if run else None,
        error=event.error.Error,
        message=error_message(event.error),
        report_uri=event.dataset.report_uri if event.dataset else None,
        cleanup=actions or [NOTHING_TO_CLEAN],
        left_billing=left,
    )
    # What the failure notification will say, word for word
    log.error("the run failed: %s: %s", summary.error, summary.message)
    for line in summary.cleanup:
        log.log(logging.WARNING if line.startswith(_BY_HAND) else logging.INFO, "cleanup: %s", line)
    return summary


def _keep_trained_model(fine_tuner: FineTuner, model_arn: str, left: list[LeftBilling]) -> list[str]:
    """Training is paid for: the run never deletes the model it made; say so, and until when."""
    try:
        created_at = fine_tuner.get_custom_model(model_arn).created_at
        when = janitor_deletes_at(created_at, fine_tuner.tags(model_arn))
    except (BedrockRejected, BedrockThrottled) as error:
        log.warning("could not read the trained model %s: %s", model_arn, error)
        when = None
    left.append(
        LeftBilling(kind="custom model", arn=model_arn, why="kept: training is paid for", janitor_deletes_at=when)
    )
    until = f"at {when} or its first run after" if when else "once its ttl has passed (podium:ttl_hours on the model)"
    return [
        f"kept the trained custom model {model_arn}: its training is paid for and it bills only a monthly storage "
        f"fee. To use it, create a provisioned throughput (or, for Nova, a custom model deployment) for it by hand; "
        f"unless a run promotes it, the janitor "
        f"deletes it {until}"
    ]


def _cancel_generation(generator: Generator, handle: dict) -> list[str]:
    try:
        cancelled = generator.cancel(handle)
    except DatabricksRejected as error:
        return [f"could NOT cancel the {generator.name} generation ({error}); cancel it by hand"]
    return [f"cancelled the {generator.name} generation run {_handle_label(handle)}"] if cancelled else []


def _handle_label(handle: dict) -> str:
    return str(handle.get("databricks_run_id") or handle.get("run_id") or "")


def _owned(fine_tuner: FineTuner, run: RunContext, arn: str) -> bool:
    return fine_tuner.tags(arn).get(TAG_EXECUTION) == tag_value(run.execution_arn)


def _stop_job(fine_tuner: FineTuner, run: RunContext, job: str) -> list[str]:
    try:
        found = fine_tuner.get_job(job)
    except BedrockRejected as error:
        if error.code == _NOT_FOUND:
            return []
        return [f"could not read fine-tuning job {job} ({error}); check it in the Bedrock console"]
    if found.status is not JobStatus.IN_PROGRESS:
        return []
    job = found.job_arn
    if not _owned(fine_tuner, run, job):
        return [f"left fine-tuning job {job} alone: its tags name another execution"]
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


def _delete_serving(
    fine_tuner: FineTuner,
    active_models: ActiveModelStore,
    run: RunContext,
    kind: ServingKind,
    identifier: str,
    left: list[LeftBilling],
) -> list[str]:
    try:
        found = read_serving(fine_tuner, kind, identifier)
        arn = found.arn
    except BedrockRejected as error:
        if error.code == _NOT_FOUND:
            return []
        return [f"could not read {kind.value} {identifier} ({error}); check the Bedrock console"]
    kept = kept_for_active_model(active_models, arn)
    if kept:
        return [kept]
    tags = fine_tuner.tags(arn)
    if tags.get(TAG_EXECUTION) != tag_value(run.execution_arn):
        return [f"left {kind.value} {arn} alone: its tags name another execution"]
    deleted, line = delete_serving(fine_tuner, arn, "created by this run, never promoted")
    if deleted is None:
        when = janitor_deletes_at(found.created_at, tags)
        line += f"; the janitor deletes it once its ttl has passed, at {when} or its first run after" if when else ""
        left.append(LeftBilling(kind=kind.value, arn=arn, why=line, janitor_deletes_at=when))
        log.error("%s %s is left; the janitor deletes it at %s", kind.value, arn, when)
    return [line]
