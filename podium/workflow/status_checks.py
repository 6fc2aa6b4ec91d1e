"""Status checks that survive hiccups: a throttled or briefly unreachable service counts
as "status unknown, look again later", shared by the generation, fine-tune and throughput
checks."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TypeVar

from podium.adapters.errors import BedrockThrottled, DatabricksUnavailable
from podium.workflow.errors import StatusUnknown
from podium.workflow.events import FineTuneProgress, GenerationProgress, RunContext, ThroughputProgress
from podium.workflow.polling import elapsed_seconds, next_poll_seconds, to_iso, utc_now

log = logging.getLogger(__name__)

# What a status check treats as "status unknown, look again later": the service throttled
# or was briefly unreachable. Only a definitive answer (Failed, Stopped, not found, refused)
# ends a run; a paid job is never stopped because one status read failed.
TRANSIENT = (BedrockThrottled, DatabricksUnavailable)

_Progress = TypeVar("_Progress", GenerationProgress, FineTuneProgress, ThroughputProgress)


def status_unknown(
    run: RunContext, progress: _Progress, what: str, error: Exception, now: datetime | None
) -> _Progress:
    """The same progress, one more consecutive failure counted, next look after the usual
    wait; StatusUnknown once poll.max_check_failures failures in a row are exceeded."""
    failures = progress.check_failures + 1
    allowed = run.settings.poll.max_check_failures
    if failures > allowed:
        raise StatusUnknown(
            f"could not read the status of {what} in {failures} checks in a row (poll.max_check_failures "
            f"is {allowed}); last error: {error}. It may still be running: check it in the console."
        )
    elapsed = elapsed_seconds(progress.started_at or to_iso(utc_now()), now or utc_now())
    wait = next_poll_seconds(elapsed, run.settings.poll)
    log.warning(
        "could not read the status of %s (%s); %d of %d checks in a row may fail: looking again in %d s",
        what,
        error,
        failures,
        allowed,
        wait,
    )
    return progress.model_copy(update={"check_failures": failures, "next_poll_seconds": wait})
