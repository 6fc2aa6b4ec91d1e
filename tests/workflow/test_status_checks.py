"""How often a status check looks, and what a failed look does (throttled, unreachable)."""

from __future__ import annotations

import pytest

from podium.adapters.errors import DatabricksUnavailable
from podium.adapters.ports import GenerationState, GenerationStatus, JobStatus, ThroughputStatus
from podium.config import PollSettings
from podium.workflow.errors import StatusUnknown
from podium.workflow.events import CheckGenerationEvent, CheckThroughputEvent, StartGenerationEvent
from podium.workflow.generation import check_generation, start_generation
from podium.workflow.polling import next_poll_seconds
from podium.workflow.serving import check_serving
from tests.workflow.fakes import ListGenerator, sample_pairs
from tests.workflow.runs import T0, poll_fine_tune, prepared_run, promotable_run, started_run


def test_poll_interval_grows_with_elapsed_time_within_bounds():
    poll = PollSettings(min_seconds=30, max_seconds=600)
    waits = [next_poll_seconds(elapsed, poll) for elapsed in (0, 60, 600, 1800, 3600, 36000)]
    assert waits == sorted(waits)
    assert waits[0] == 30 and waits[-1] == 600
    assert 30 < waits[3] < 600
    assert next_poll_seconds(10**6, PollSettings(min_seconds=1, max_seconds=1)) == 1


def test_a_throttled_status_check_looks_again_instead_of_failing_until_the_budget_is_spent():
    run, _, tuner, progress = started_run({"poll": {"max_check_failures": 3}})
    for failures in (1, 2, 3):
        tuner.throttle_reads = 1
        progress = poll_fine_tune(run, progress, tuner)
        assert progress.check_failures == failures and progress.status is JobStatus.IN_PROGRESS
        assert progress.next_poll_seconds >= run.settings.poll.min_seconds
    progress = poll_fine_tune(run, progress, tuner)
    assert progress.check_failures == 0  # one good read resets the count
    assert tuner.stopped == []
    tuner.throttle_reads = 4
    for _ in range(3):
        progress = poll_fine_tune(run, progress, tuner)
    with pytest.raises(StatusUnknown, match=r"4 checks in a row \(poll.max_check_failures is 3\).*Rate exceeded"):
        poll_fine_tune(run, progress, tuner)


def test_a_throttled_throughput_or_generation_check_looks_again():
    event, tuner = promotable_run()
    creating = event.throughput.model_copy(update={"status": ThroughputStatus.CREATING})
    tuner.throttle_reads = 1
    again = check_serving(CheckThroughputEvent(run=event.run, throughput=creating), fine_tuner=tuner)
    assert again.check_failures == 1 and again.status is ThroughputStatus.CREATING

    class Unreachable(ListGenerator):
        def status(self, handle):
            raise DatabricksUnavailable("Databricks (https://x) could not read job run 1: 503")

    run = prepared_run({})
    generator = Unreachable(sample_pairs(), GenerationStatus(GenerationState.RUNNING))
    started = start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    checked = check_generation(CheckGenerationEvent(run=run, generation=started), generator=generator, now=T0)
    assert checked.check_failures == 1 and checked.state is GenerationState.RUNNING
