"""The StartFineTune and CheckFineTune steps with in-memory adapters."""

from __future__ import annotations

import pytest

from podium.adapters.bedrock import client_token_for
from podium.adapters.ports import TAG_EXECUTION, TAG_RUN_ID, TAG_STACK, TAG_TTL_HOURS, JobStatus
from podium.workflow.errors import DatasetInvalid, FineTuneFailed, OverBudget
from podium.workflow.events import StartFineTuneEvent
from podium.workflow.fine_tune import start_fine_tune
from podium.workflow.run_names import job_name
from tests.workflow.fakes import MemoryFineTuner
from tests.workflow.runs import REGION, built_run, poll_fine_tune, started_run


def test_start_fine_tune_sends_a_deterministic_request():
    run, dataset, tuner, progress = started_run({"hyperparameters": {"epochCount": 2}})
    request = tuner.requests[progress.job_arn]
    assert request.job_name == progress.job_name == job_name("podium", run.run_id)
    assert request.client_request_token == client_token_for(run.run_id, "fine-tune")
    assert request.hyperparameters == {"epochCount": "2", "batchSize": "1", "learningRate": "0.0001"}
    assert request.training_uri == dataset.training_uri and request.output_uri == dataset.output_uri
    assert request.tags == {
        TAG_STACK: "podium",
        TAG_EXECUTION: run.execution_arn,
        TAG_RUN_ID: run.run_id,
        TAG_TTL_HOURS: "4",
    }


def test_start_fine_tune_refuses_what_the_choice_state_should_have_stopped():
    run, dataset, _ = built_run({"budget_usd": 0.0, "evaluate": False})
    with pytest.raises(OverBudget):
        start_fine_tune(
            StartFineTuneEvent(run=run, dataset=dataset),
            fine_tuner=MemoryFineTuner(),
            region=REGION,
            name_prefix="podium",
            role_arn="r",
        )
    invalid = dataset.model_copy(update={"valid": False, "over_budget": False})
    with pytest.raises(DatasetInvalid):
        start_fine_tune(
            StartFineTuneEvent(run=run, dataset=invalid),
            fine_tuner=MemoryFineTuner(),
            region=REGION,
            name_prefix="podium",
            role_arn="r",
        )


def test_check_fine_tune_fails_with_bedrocks_message():
    run, _, tuner, progress = started_run()
    tuner.set_job(progress.job_arn, status=JobStatus.FAILED, failure_message="Insufficient training rows")
    with pytest.raises(FineTuneFailed, match="is Failed: Insufficient training rows"):
        poll_fine_tune(run, progress, tuner)


def test_check_fine_tune_completes_with_the_model_and_losses():
    run, _, tuner, progress = started_run()
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new", training_loss=0.5)
    done = poll_fine_tune(run, progress, tuner)
    assert done.status is JobStatus.COMPLETED and done.output_model_arn == "arn:model/new"
    assert done.training_loss == 0.5
