"""When an execution ends without running its own Cleanup: stopped (ABORTED), timed out
(TIMED_OUT: a time-out runs no Catch), or FAILED after Cleanup itself failed.

EventBridge delivers Step Functions' "Step Functions Execution Status Change" event for
this state machine; this rebuilds the run's state from the execution history (the output
of the last state it left: $.run, $.generation, $.dataset, $.finetune, $.throughput),
runs the same podium.workflow.cleanup.cleanup on it, and says what it did.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from podium.adapters.ports import ActiveModelStore, FineTuner, Generator
from podium.config import RunSettings
from podium.workflow.cleanup import cleanup
from podium.workflow.events import CaughtError, CleanupEvent, FailureSummary
from podium.workflow.polling import to_iso

log = logging.getLogger(__name__)

# The statuses the stack's rule forwards; FAILED only matters when Cleanup failed too.
ENDED_STATUSES = ("ABORTED", "TIMED_OUT", "FAILED")
_ERROR_FOR_STATUS = {"ABORTED": "ExecutionAborted", "TIMED_OUT": "ExecutionTimedOut", "FAILED": "CleanupFailed"}


class ExecutionStatusChange(BaseModel):
    """The `detail` of a "Step Functions Execution Status Change" event (fields Podium reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    executionArn: str  # noqa: N815 - EventBridge's names
    stateMachineArn: str  # noqa: N815
    name: str
    status: str
    startDate: int | None = None  # noqa: N815 - epoch milliseconds
    stopDate: int | None = None  # noqa: N815


def needs_cleanup(change: ExecutionStatusChange, history: Sequence[Mapping[str, Any]]) -> bool:
    """ABORTED and TIMED_OUT always (no Catch ran, or it was cut short); FAILED only when the
    workflow's own Cleanup failed (it entered CleanupFailed)."""
    if change.status in ("ABORTED", "TIMED_OUT"):
        return True
    return change.status == "FAILED" and "CleanupFailed" in _states_entered(history)


def last_state(history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The execution state as the last state it left wrote it (the input when none did)."""
    for event in reversed(history):
        details = event.get("stateExitedEventDetails")
        if details and details.get("output"):
            state = json.loads(details["output"])
            if isinstance(state, dict):
                return state
    return {}


def run_id_of(history: Sequence[Mapping[str, Any]]) -> str | None:
    """The run's id, once Prepare made one."""
    run = last_state(history).get("run")
    return str(run["run_id"]) if isinstance(run, Mapping) and run.get("run_id") else None


def clean_up_ended_execution(
    change: ExecutionStatusChange,
    *,
    history: Sequence[Mapping[str, Any]],
    fine_tuner: FineTuner,
    active_models: ActiveModelStore,
    name_prefix: str,
    generator_for: Callable[[RunSettings], Generator] | None = None,
) -> FailureSummary | None:
    """Run Cleanup for an execution that ended without it; None when its own Cleanup ran."""
    if not needs_cleanup(change, history):
        log.info("execution %s ended %s after its own Cleanup: nothing to do", change.executionArn, change.status)
        return None
    state = last_state(history)
    entered = _states_entered(history)
    where = entered[-1] if entered else "before its first state"
    when = _when(change.stopDate)
    cause = (
        f"The execution {change.name} ended {change.status}{when} in state {where}; "
        "Cleanup ran from the execution-status-change rule."
    )
    if change.status == "FAILED" and isinstance(state.get("error"), Mapping):
        caught = state["error"]
        cause = f"{caught.get('Error')}: {caught.get('Cause') or ''} — the run's own Cleanup failed, so it ran again."
    log.info("cleaning up: %s", cause)
    event = CleanupEvent.model_validate(
        {**state, "error": CaughtError(Error=_ERROR_FOR_STATUS[change.status], Cause=cause).model_dump()}
    )
    return cleanup(
        event,
        fine_tuner=fine_tuner,
        active_models=active_models,
        name_prefix=name_prefix,
        generator_for=generator_for,
    )


def _states_entered(history: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def _when(epoch_ms: int | None) -> str:
    if not epoch_ms:
        return ""
    return " at " + to_iso(datetime.fromtimestamp(epoch_ms / 1000, UTC))
