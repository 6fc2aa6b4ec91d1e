"""The StartGeneration and CheckGeneration steps with in-memory adapters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from podium.adapters.ports import GenerationState, GenerationStatus
from podium.workflow.errors import GenerationFailed
from podium.workflow.events import CheckGenerationEvent, StartGenerationEvent
from podium.workflow.generation import check_generation, start_generation
from tests.workflow.fakes import ListGenerator
from tests.workflow.runs import T0, prepared_run


def test_check_generation_fails_with_the_generators_message():
    run = prepared_run({})
    failed = GenerationStatus(GenerationState.FAILED, "Cluster terminated: quota exceeded")
    generator = ListGenerator([], failed)
    progress = start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    with pytest.raises(GenerationFailed, match="Cluster terminated: quota exceeded"):
        check_generation(CheckGenerationEvent(run=run, generation=progress), generator=generator)


def test_check_generation_backs_off_while_running():
    run = prepared_run({})
    generator = ListGenerator([], GenerationStatus(GenerationState.RUNNING))
    progress = start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    assert progress.next_poll_seconds == 30
    later = check_generation(
        CheckGenerationEvent(run=run, generation=progress), generator=generator, now=T0 + timedelta(hours=1)
    )
    assert later.state is GenerationState.RUNNING and later.next_poll_seconds == 360
