"""The CreateThroughput and CheckThroughput steps with in-memory adapters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from podium.adapters.ports import JobStatus, Throughput, ThroughputStatus
from podium.workflow.errors import ThroughputFailed
from podium.workflow.events import CheckThroughputEvent, CreateThroughputEvent, ThroughputProgress
from podium.workflow.serving import check_serving, create_serving
from tests.workflow.runs import T0, poll_fine_tune, started_run


def test_check_throughput_fails_with_bedrocks_message():
    run, _, tuner, progress = started_run()
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new")
    done = poll_fine_tune(run, progress, tuner)
    throughput = create_serving(
        CreateThroughputEvent(run=run, finetune=done), fine_tuner=tuner, name_prefix="podium", now=T0
    )
    arn = throughput.arn
    tuner.throughputs[arn] = Throughput(arn, ThroughputStatus.FAILED, "m", "No capacity")
    with pytest.raises(ThroughputFailed, match="Failed: No capacity"):
        check_serving(CheckThroughputEvent(run=run, throughput=throughput), fine_tuner=tuner)


def test_throughput_progress_default_means_none_created():
    assert ThroughputProgress(created=False).arn is None


def _created(execution_input):
    run, _, tuner, progress = started_run(execution_input)
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new")
    done = poll_fine_tune(run, progress, tuner)
    created = create_serving(
        CreateThroughputEvent(run=run, finetune=done), fine_tuner=tuner, name_prefix="podium", now=T0
    )
    return run, tuner, created


def test_an_evaluation_only_throughput_lives_as_long_as_its_budget_line_says():
    from podium.adapters.ports import TAG_TTL_HOURS

    run, tuner, created = _created({})  # evaluate on, serving throughput off
    hours = run.settings.throughput.evaluation_ttl_hours
    assert hours != run.settings.throughput.ttl_hours  # its own, short ttl
    assert tuner.resource_tags[created.arn][TAG_TTL_HOURS] == format(hours, "g")
    assert created.expires_at == (T0 + timedelta(hours=hours)).isoformat(timespec="seconds")
    # a serving throughput lives for throughput.ttl_hours, and so says its tag
    run, tuner, serving = _created({"throughput": {"enabled": True}})
    assert tuner.resource_tags[serving.arn][TAG_TTL_HOURS] == format(run.settings.throughput.ttl_hours, "g")


def test_a_throughput_whose_ttl_ran_out_before_the_evaluation_stops_the_run():
    from podium.workflow.errors import ThroughputExpired

    run, tuner, created = _created({})
    event = CheckThroughputEvent(run=run, throughput=created)
    late = T0 + timedelta(hours=run.settings.throughput.evaluation_ttl_hours, seconds=1)
    with pytest.raises(ThroughputExpired, match=r"reached the end of its time-to-live .* Cleanup deletes it"):
        check_serving(event, fine_tuner=tuner, now=late)
    assert check_serving(event, fine_tuner=tuner, now=T0 + timedelta(minutes=5)).status is not None
