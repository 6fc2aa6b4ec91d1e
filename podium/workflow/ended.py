"""When an execution ends without its own Cleanup having finished: stopped (ABORTED), timed
out (TIMED_OUT: a time-out runs no Catch), or FAILED — by a failure no Catch can see
(States.DataLimitExceeded, States.Runtime), or after Cleanup itself failed.

EventBridge delivers Step Functions' "Step Functions Execution Status Change" event for
this state machine; this reads the execution history to see whether the Cleanup state
finished successfully, and when it did not, rebuilds the run's state from the history (the
output of the last state it left: $.run, $.generation, $.dataset, $.finetune, $.throughput),
runs the same podium.workflow.cleanup.cleanup on it, and says what it did.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from podium.adapters.ports import ActiveModelStore, FineTuner, Generator, ObjectStore
from podium.config import RunSettings
from podium.workflow.cleanup import cleanup
from podium.workflow.events import CaughtError, CleanupEvent, FailureSummary, Notice, ReportEvent
from podium.workflow.notify import cause_message
from podium.workflow.polling import to_iso

log = logging.getLogger(__name__)

# The statuses the stack's rule forwards: every ending but SUCCEEDED.
ENDED_STATUSES = ("ABORTED", "TIMED_OUT", "FAILED")
_ERROR_FOR_STATUS = {"ABORTED": "ExecutionAborted", "TIMED_OUT": "ExecutionTimedOut", "FAILED": "ExecutionFailed"}
CLEANUP_STATE = "Cleanup"
_M = TypeVar("_M", bound=BaseModel)


class ExecutionStatusChange(BaseModel):
    """The `detail` of a "Step Functions Execution Status Change" event (fields Podium reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    executionArn: str  # noqa: N815 - EventBridge's names
    stateMachineArn: str  # noqa: N815
    name: str
    status: str
    startDate: int | None = None  # noqa: N815 - epoch milliseconds
    stopDate: int | None = None  # noqa: N815


def cleanup_finished(history: Sequence[Mapping[str, Any]]) -> bool:
    """The Cleanup state left successfully: its output holds Cleanup's summary under $.failure (a
    caught Cleanup failure also leaves the state, with $.cleanup_error and no $.failure)."""
    for event in history:
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") != CLEANUP_STATE:
            continue
        try:
            output = json.loads(details.get("output") or "{}")
        except ValueError:
            continue
        if isinstance(output, dict) and isinstance(output.get("failure"), dict):
            return True
    return False


def needs_cleanup(change: ExecutionStatusChange, history: Sequence[Mapping[str, Any]]) -> bool:
    """Every ending but SUCCEEDED whose Cleanup state did not finish successfully: stopped or timed
    out (no Catch ran, or it was cut short), failed by an error no Catch sees, or Cleanup failed."""
    return change.status in ENDED_STATUSES and not cleanup_finished(history)


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
    error = _ERROR_FOR_STATUS[change.status]
    cause = (
        f"The execution {change.name} ended {change.status}{when} in state {where}; "
        "Cleanup ran from the execution-status-change rule."
    )
    if change.status == "FAILED":
        failed, why = _execution_failure(history)
        if "CleanupFailed" in entered and isinstance(state.get("error"), Mapping):
            caught = state["error"]
            error = "CleanupFailed"
            cause = (
                f"{caught.get('Error')}: {cause_message(caught.get('Cause'))} — the run's own Cleanup failed, so it "
                "ran again."
            )
        else:
            # An error no Catch sees (the state outgrew 256 KB, a path that does not exist): the
            # workflow's own Cleanup never ran.
            error = failed or error
            cause = (
                f"The execution {change.name} failed{when} in state {where} with {failed or 'an error'}, which no "
                f"Catch can handle, so its own Cleanup never ran; Cleanup ran from the execution-status-change "
                f"rule. {why}".strip()
            )
    log.warning("%s ended %s without its Cleanup finishing (%s): cleaning up", change.name, change.status, error)
    event = _cleanup_event(state, CaughtError(Error=error, Cause=cause))
    return cleanup(
        event,
        fine_tuner=fine_tuner,
        active_models=active_models,
        name_prefix=name_prefix,
        generator_for=generator_for,
    )


def report_ended_execution(
    summary: FailureSummary,
    *,
    history: Sequence[Mapping[str, Any]],
    store: ObjectStore,
    place: Any,
    active_models: ActiveModelStore | None = None,
) -> Notice:
    """The run's report.html and notification, as the Report state writes them for a run
    that ends in the workflow (podium.workflow.conclude). `place`: a conclude.Place."""
    from podium.workflow.conclude import conclude

    state = {key: value for key, value in last_state(history).items() if key not in ("outcome", "notice")}
    event = _validated(ReportEvent, {**state, "failure": summary.to_payload()}, "report")
    return conclude(event, store=store, place=place, history=history, active_models=active_models)


def _cleanup_event(state: Mapping[str, Any], error: CaughtError) -> CleanupEvent:
    return _validated(CleanupEvent, {**state, "error": error.model_dump()}, "cleanup")


def _validated(model: type[_M], values: Mapping[str, Any], what: str) -> _M:
    """The run's state as a step reads it; a part that no longer validates (state written by
    an older definition) is left out rather than losing the whole cleanup or report."""
    try:
        return model.model_validate(values)
    except ValidationError as problem:
        broken = {str(p["loc"][0]) for p in problem.errors() if p["loc"]}
        log.warning("left out of the %s, as they no longer validate: %s", what, ", ".join(sorted(broken)))
        return model.model_validate({k: v for k, v in values.items() if k not in broken})


def _execution_failure(history: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """(error, cause) of the ExecutionFailed event, ("", "") when there is none."""
    for event in reversed(history):
        details = event.get("executionFailedEventDetails")
        if details:
            return str(details.get("error") or ""), str(details.get("cause") or "")
    return "", ""


def _states_entered(history: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def _when(epoch_ms: int | None) -> str:
    if not epoch_ms:
        return ""
    return " at " + to_iso(datetime.fromtimestamp(epoch_ms / 1000, UTC))
