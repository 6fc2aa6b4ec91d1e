"""The CreateThroughput and CheckThroughput steps with in-memory adapters."""

from __future__ import annotations

import pytest

from podium.adapters.ports import JobStatus, Throughput, ThroughputStatus
from podium.workflow.errors import ThroughputFailed
from podium.workflow.events import CheckThroughputEvent, CreateThroughputEvent, ThroughputProgress
from podium.workflow.provisioned_throughput import check_throughput, create_throughput
from tests.workflow.runs import T0, poll_fine_tune, started_run


def test_check_throughput_fails_with_bedrocks_message():
    run, _, tuner, progress = started_run()
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new")
    done = poll_fine_tune(run, progress, tuner)
    throughput = create_throughput(
        CreateThroughputEvent(run=run, finetune=done), fine_tuner=tuner, name_prefix="podium", now=T0
    )
    arn = throughput.arn
    tuner.throughputs[arn] = Throughput(arn, ThroughputStatus.FAILED, "m", "No capacity")
    with pytest.raises(ThroughputFailed, match="Failed: No capacity"):
        check_throughput(CheckThroughputEvent(run=run, throughput=throughput), fine_tuner=tuner)


def test_throughput_progress_default_means_none_created():
    assert ThroughputProgress(created=False).arn is None
