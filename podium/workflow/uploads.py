"""Objects landing under incoming/ start a run — one run for a burst, not one per object.

`aws s3 sync` of a folder puts many objects within seconds or minutes, and each raises its
own "Object Created" event. Every event of the same time window starts the execution of
the same name, `incoming-<window start>`: Step Functions starts a name once (a repeat while
it runs is answered with the same execution; after it ended, with ExecutionAlreadyExists),
so a burst inside a window makes one execution. A burst that straddles two windows makes
a second one, which Prepare skips while the first still runs. An upload in a window whose
execution has already ended starts the window's next one (`incoming-<window>-2`, `-3`, ...):
new data after a finished run is never dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from podium.workflow.polling import as_utc, utc_now

log = logging.getLogger(__name__)

WINDOW_MINUTES = 10
MAX_RUNS_PER_WINDOW = 20  # a run takes far longer than a tenth of a window: more is a loop, not uploads


def execution_name_for(event_time: datetime, window_minutes: int = WINDOW_MINUTES) -> str:
    moment = as_utc(event_time).astimezone(UTC)
    start = moment.replace(minute=moment.minute - moment.minute % window_minutes, second=0, microsecond=0)
    return f"incoming-{start:%Y%m%dT%H%MZ}"


def start_for_upload(
    event: Mapping[str, Any], *, start_execution: Callable[[str], str | None], now: datetime | None = None
) -> dict[str, Any]:
    """Start (or join) the window's execution for one S3 "Object Created" event.

    `start_execution(name)` starts the state machine with input {} under `name` and returns
    the execution ARN — the same one again while that execution runs — or None when an
    execution of that name already ended (the burst's run happened)."""
    when = event.get("time")
    moment = datetime.fromisoformat(when) if isinstance(when, str) else (now or utc_now())
    window = execution_name_for(moment)
    key = ((event.get("detail") or {}).get("object") or {}).get("key")
    for attempt in range(1, MAX_RUNS_PER_WINDOW + 1):
        name = window if attempt == 1 else f"{window}-{attempt}"
        arn = start_execution(name)
        if arn is not None:  # started, or joined while it runs
            log.info("%s landed: the run of its upload window is execution %s", key, arn)
            return {"execution_name": name, "object": key, "execution_arn": arn}
        log.info("%s landed: the run of its upload window, %s, has ended; starting the next", key, name)
    raise RuntimeError(
        f"{MAX_RUNS_PER_WINDOW} runs of window {window} have already run; {key} did not start another. Start one "
        "by hand (aws stepfunctions start-execution) if this upload needs it."
    )
