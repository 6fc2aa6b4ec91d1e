"""The StartGeneration and CheckGeneration steps: start the generator for the run and
poll it until its Q&A pairs are ready."""

from __future__ import annotations

import logging
from datetime import datetime

from podium.adapters.ports import GenerationState, Generator
from podium.workflow.errors import GenerationFailed
from podium.workflow.events import CheckGenerationEvent, GenerationProgress, StartGenerationEvent
from podium.workflow.polling import elapsed_seconds, next_poll_seconds, to_iso, utc_now
from podium.workflow.status_checks import TRANSIENT, status_unknown

log = logging.getLogger(__name__)


def start_generation(
    event: StartGenerationEvent, *, generator: Generator, now: datetime | None = None
) -> GenerationProgress:
    run = event.run
    handle = generator.start(run.run_id)
    log.info("started the %s generation", generator.name)
    return GenerationProgress(
        generator=generator.name,
        handle=dict(handle),
        state=GenerationState.RUNNING,
        started_at=to_iso(now or utc_now()),
        next_poll_seconds=run.settings.poll.min_seconds,
    )


def check_generation(
    event: CheckGenerationEvent, *, generator: Generator, now: datetime | None = None
) -> GenerationProgress:
    progress = event.generation
    try:
        status = generator.status(progress.handle)
    except TRANSIENT as error:
        return status_unknown(event.run, progress, f"the {progress.generator} generation", error, now)
    if status.state is GenerationState.FAILED:
        raise GenerationFailed(f"the {progress.generator} generator failed: {status.message or '(it gave no reason)'}")
    if status.state is GenerationState.SUCCEEDED:
        log.info("the %s generation finished%s", progress.generator, f": {status.message}" if status.message else "")
    else:
        log.info("the %s generation is still running", progress.generator)
    elapsed = elapsed_seconds(progress.started_at, now or utc_now())
    return progress.model_copy(
        update={
            "state": status.state,
            "message": status.message,
            "next_poll_seconds": next_poll_seconds(elapsed, event.run.settings.poll),
            "check_failures": 0,
        }
    )
