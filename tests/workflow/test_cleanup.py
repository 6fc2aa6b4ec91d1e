"""The Cleanup step with in-memory adapters."""

from __future__ import annotations

import json
from dataclasses import replace

from podium.adapters.ports import TAG_EXECUTION, ActiveModel, GenerationState, GenerationStatus, JobStatus
from podium.workflow.cleanup import cleanup
from podium.workflow.events import CleanupEvent, StartGenerationEvent
from podium.workflow.generation import start_generation
from tests.workflow.fakes import ListGenerator, MemoryActiveModels, MemoryFineTuner, sample_pairs
from tests.workflow.runs import T0, prepared_run, promotable_run, started_run


def _cleanup(event, tuner, active=None):
    return cleanup(event, fine_tuner=tuner, active_models=MemoryActiveModels(active), name_prefix="podium")


def _lambda_error(error_type, message):
    return {"Error": error_type, "Cause": json.dumps({"errorType": error_type, "errorMessage": message})}


def test_cleanup_stops_the_running_job_and_reports_the_cause():
    run, _, tuner, progress = started_run()
    event = CleanupEvent.model_validate(
        {
            "run": run.to_payload(),
            "finetune": progress.to_payload(),
            "error": _lambda_error("States.Timeout", "Task timed out"),
        }
    )
    summary = _cleanup(event, tuner)
    assert tuner.stopped == [progress.job_arn]
    assert summary.error == "States.Timeout" and summary.message == "Task timed out"
    assert summary.cleanup == [f"stopped fine-tuning job {progress.job_arn}"]
    # Idempotent: the job is no longer running, so a second cleanup stops nothing.
    assert _cleanup(event, tuner).cleanup[0].startswith("nothing")


def test_cleanup_finds_a_job_started_before_its_arn_was_saved():
    run, dataset, tuner, progress = started_run()
    event = CleanupEvent.model_validate(
        {
            "run": run.to_payload(),
            "dataset": dataset.to_payload(),
            "error": _lambda_error("Lambda.Unknown", "lost"),
        }
    )
    summary = _cleanup(event, tuner)
    assert tuner.stopped == [progress.job_arn] and summary.report_uri == dataset.report_uri


def test_cleanup_deletes_an_unpromoted_throughput_but_never_the_active_ones():
    event, tuner = promotable_run()
    state = {
        "run": event.run.to_payload(),
        "finetune": event.finetune.to_payload(),
        "throughput": event.throughput.to_payload(),
        "error": {"Error": "States.TaskFailed", "Cause": "sns down"},
    }
    active = ActiveModel(event.run.run_id, "arn:model/new", "m", "h", event.throughput.arn)
    kept = _cleanup(CleanupEvent.model_validate(state), tuner, active)
    assert tuner.deleted == []
    assert kept.cleanup[0] == f"kept provisioned throughput {event.throughput.arn}: it serves the active model"
    deleted = _cleanup(CleanupEvent.model_validate(state), tuner)
    assert tuner.deleted == [event.throughput.arn] and "deleted provisioned throughput" in deleted.cleanup[0]
    assert deleted.message == "sns down" and deleted.left_billing[0].kind == "custom model"
    # Already gone: nothing to do, no error; the trained model is never deleted by a run.
    again = _cleanup(CleanupEvent.model_validate(state), tuner)
    (only,) = again.cleanup
    assert only.startswith("kept the trained custom model arn:model/new: its training is paid for")


def test_cleanup_finds_a_throughput_created_before_its_arn_was_saved():
    event, tuner = promotable_run({"throughput": {"enabled": True}})
    # CreateThroughput made it, then failed before $.throughput was written.
    state = {"run": event.run.to_payload(), "finetune": event.finetune.to_payload(), "error": _lambda_error("X", "y")}
    summary = _cleanup(CleanupEvent.model_validate(state), tuner)
    assert tuner.deleted == [event.throughput.arn] and summary.cleanup[0].startswith("deleted provisioned throughput")


def test_cleanup_leaves_another_executions_job_and_throughput_alone():
    event, tuner = promotable_run()
    tuner.set_job(event.finetune.job_arn, status=JobStatus.IN_PROGRESS)
    for arn in (event.finetune.job_arn, event.throughput.arn):
        tuner.resource_tags[arn][TAG_EXECUTION] = (
            "arn:aws:states:us-west-2:123456789012:execution:podium-finetune:other"
        )
    state = {
        "run": event.run.to_payload(),
        "finetune": event.finetune.to_payload(),
        "throughput": event.throughput.to_payload(),
        "error": _lambda_error("X", "y"),
    }
    summary = _cleanup(CleanupEvent.model_validate(state), tuner)
    assert tuner.stopped == [] and tuner.deleted == []
    assert all("alone: its tags name another execution" in line for line in summary.cleanup[:-1])
    assert summary.cleanup[-1].startswith("kept the trained custom model")


def test_cleanup_cancels_a_generation_that_is_still_running():
    run = prepared_run({})
    generator = ListGenerator(sample_pairs(), GenerationStatus(GenerationState.RUNNING))
    started = start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    event = CleanupEvent.model_validate(
        {"run": run.to_payload(), "generation": started.to_payload(), "error": _lambda_error("X", "y")}
    )
    summary = cleanup(
        event,
        fine_tuner=MemoryFineTuner(),
        active_models=MemoryActiveModels(),
        name_prefix="podium",
        generator_for=lambda settings: generator,
    )
    assert generator.cancelled == [started.handle]
    assert summary.cleanup == [f"cancelled the memory generation run {run.run_id}"]


def test_cleanup_of_a_run_that_never_started_touches_nothing():
    error = _lambda_error("InvalidInput", "input: must be")
    event = CleanupEvent.model_validate({"input": [1], "error": error})
    tuner = MemoryFineTuner()
    summary = _cleanup(event, tuner)
    assert summary.run_id is None and summary.error == "InvalidInput" and summary.message == "input: must be"
    assert tuner.stopped == [] and tuner.deleted == []


def test_cleanup_reports_what_it_could_not_undo():
    event, tuner = promotable_run()
    tuner.refuse_delete = "commitment term has not ended"
    state = {
        "run": event.run.to_payload(),
        "throughput": event.throughput.to_payload(),
        "error": {"Error": "ThroughputFailed", "Cause": "x"},
    }
    (line,) = _cleanup(CleanupEvent.model_validate(state), tuner).cleanup
    assert "could NOT delete" in line and "delete-provisioned-model-throughput" in line


def test_a_throughput_cleanup_cannot_delete_is_named_with_when_the_janitor_deletes_it():
    event, tuner = promotable_run()
    tuner.throughputs[event.throughput.arn] = replace(
        tuner.throughputs[event.throughput.arn], created_at="2026-01-01T00:00:00+00:00"
    )
    tuner.refuse_delete = "AccessDeniedException: not allowed"
    state = {
        "run": event.run.to_payload(),
        "finetune": event.finetune.to_payload(),
        "throughput": event.throughput.to_payload(),
        "error": _lambda_error("ThroughputNotDeleted", "x"),
    }
    summary = _cleanup(CleanupEvent.model_validate(state), tuner)
    arn = event.throughput.arn
    ttl = event.run.settings.throughput.ttl_hours
    when = f"2026-01-01T{int(ttl):02d}:00:00+00:00"
    assert summary.cleanup[0].startswith(f"could NOT delete provisioned throughput {arn}")
    assert summary.cleanup[0].endswith(
        f"the janitor deletes it once its ttl has passed, at {when} or its first run after"
    )
    (left,) = [item for item in summary.left_billing if item.kind == "provisioned throughput"]
    assert left.arn == arn and left.janitor_deletes_at == when
