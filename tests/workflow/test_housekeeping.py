"""The janitor and the cleanup after an execution that ended without its own Cleanup, with
in-memory adapters (tests/workflow/fakes.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from podium.adapters.ports import (
    TAG_EXECUTION,
    TAG_RUN_ID,
    TAG_STACK,
    TAG_TTL_HOURS,
    ActiveModel,
    CustomModel,
    JobStatus,
    Throughput,
    ThroughputStatus,
)
from podium.workflow.ended import ExecutionStatusChange, clean_up_ended_execution
from podium.workflow.janitor import sweep
from tests.workflow.fakes import MemoryActiveModels, MemoryFineTuner, MemoryStore
from tests.workflow.runs import promotable_run, started_run

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OLD = (NOW - timedelta(hours=5)).isoformat()
YOUNG = (NOW - timedelta(hours=1)).isoformat()


def _tags(run_id: str, stack: str = "podium", ttl: str = "4") -> dict[str, str]:
    return {TAG_STACK: stack, TAG_RUN_ID: run_id, TAG_EXECUTION: f"arn:execution:{run_id}", TAG_TTL_HOURS: ttl}


def _throughput(tuner, name, model_arn, created, tags, commitment=None, model_units=1):
    arn = f"arn:pt/{name}"
    tuner.throughputs[arn] = Throughput(
        arn,
        ThroughputStatus.IN_SERVICE,
        model_arn,
        name=name,
        commitment=commitment,
        created_at=created,
        model_units=model_units,
    )
    tuner.resource_tags[arn] = tags
    return arn


def _model(tuner, name, created, tags):
    arn = f"arn:model/{name}"
    tuner.models[arn] = CustomModel(arn, name, created)
    tuner.resource_tags[arn] = tags
    return arn


def _sweep(tuner, active=None, store=None, dry_run=False):
    return sweep(
        fine_tuner=tuner,
        active_models=MemoryActiveModels(active),
        store=store or MemoryStore(),
        name_prefix="podium",
        default_ttl_hours=4,
        dry_run=dry_run,
        now=NOW,
    )


def test_the_janitor_deletes_only_this_stacks_expired_never_promoted_resources():
    tuner = MemoryFineTuner()
    active_model = _model(tuner, "active", OLD, _tags("r-active"))
    active_pt = _throughput(tuner, "active", active_model, OLD, _tags("r-active"))
    orphan_model = _model(tuner, "orphan", OLD, _tags("r-orphan"))
    orphan_pt = _throughput(tuner, "orphan", orphan_model, OLD, _tags("r-orphan"))
    unpromoted = _model(tuner, "unpromoted", OLD, _tags("r-unpromoted"))
    young = _throughput(tuner, "young", _model(tuner, "young", YOUNG, _tags("r-young")), YOUNG, _tags("r-young"))
    committed = _throughput(tuner, "committed", orphan_model, OLD, _tags("r-c"), commitment="OneMonth")
    foreign = _throughput(tuner, "foreign", "arn:model/x", OLD, _tags("r-x", stack="someone-else"))
    foreign_model = _model(tuner, "foreign", OLD, {})
    promoted = _model(tuner, "promoted", OLD, _tags("r-promoted"))
    store = MemoryStore({"runs/r-promoted/promotion.json": "{}"})
    active = ActiveModel("r-active", active_model, "m", "h", active_pt)

    report = _sweep(tuner, active, store)

    assert tuner.deleted == [orphan_pt] and tuner.deleted_models == [unpromoted]
    assert {young, committed, foreign, active_pt} <= set(tuner.throughputs)
    assert {active_model, orphan_model, foreign_model, promoted} <= set(tuner.models)
    kept = "\n".join(report.kept)
    assert "serves the active model" in kept and "OneMonth commitment" in kept
    assert "a provisioned throughput still serves it" in kept  # orphan_model: the committed one serves it
    assert "its run was promoted" in kept and "foreign" not in kept
    assert report.worth_telling and len(report.deleted) == 2


def test_a_dry_run_janitor_deletes_nothing_and_says_what_it_would():
    tuner = MemoryFineTuner()
    model = _model(tuner, "orphan", OLD, _tags("r"))
    pt = _throughput(tuner, "orphan", model, OLD, _tags("r"))
    report = _sweep(tuner, dry_run=True)
    assert tuner.deleted == [] and tuner.deleted_models == []
    assert [line.split("): ")[0] + ")" for line in report.deleted] == [
        f"would delete provisioned throughput orphan ({pt})",
        f"would delete custom model orphan ({model})",
    ]
    assert json.loads(json.dumps(report.to_payload()))["would_delete"] == report.deleted


def test_the_janitor_reports_what_it_could_not_delete():
    tuner = MemoryFineTuner()
    _throughput(tuner, "stuck", "arn:model/m", OLD, _tags("r"))
    tuner.refuse_delete = "still Creating"
    report = _sweep(tuner)
    assert report.deleted == [] and "could NOT delete provisioned throughput stuck" in report.failed[0]


def test_the_janitor_counts_the_model_units_this_stacks_throughputs_still_bill():
    tuner = MemoryFineTuner()
    served = _throughput(tuner, "served", "arn:model/a", OLD, _tags("a"), model_units=2)
    _throughput(tuner, "expired", "arn:model/b", OLD, _tags("b"), model_units=3)
    _throughput(tuner, "young", "arn:model/c", YOUNG, _tags("c"), model_units=1)
    _throughput(tuner, "theirs", "arn:model/d", OLD, _tags("d", stack="other"), model_units=5)
    active = ActiveModel("a", "arn:model/a", base_model_id="m", dataset_hash="h", throughput_arn=served)
    assert _sweep(tuner, active=active, dry_run=True).model_units == 6  # nothing deleted in a dry run
    report = _sweep(tuner, active=active)
    assert tuner.deleted == ["arn:pt/expired"] and report.model_units == 3  # the active's 2 + the young 1


def _change(run, status="ABORTED"):
    return ExecutionStatusChange(
        executionArn=run.execution_arn,
        stateMachineArn=run.state_machine_arn,
        name=run.execution_name,
        status=status,
        startDate=1,
        stopDate=1_780_000_000_000,
    )


def _history(*states):
    """An execution history: each (name, state) entered then left with that state as output."""
    events = []
    for name, state in states:
        events.append({"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}})
        events.append(
            {"type": "TaskStateExited", "stateExitedEventDetails": {"name": name, "output": json.dumps(state)}}
        )
    return events


def test_a_stopped_execution_is_cleaned_up_from_the_last_state_it_left():
    run, _, tuner, progress = started_run({"throughput": {"enabled": True}})
    state = {"run": run.to_payload(), "finetune": progress.to_payload()}
    history = _history(("StartFineTune", state), ("WaitForFineTune", state))
    history.append({"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "CheckFineTune"}})
    summary = clean_up_ended_execution(
        _change(run), history=history, fine_tuner=tuner, active_models=MemoryActiveModels(), name_prefix="podium"
    )
    assert tuner.stopped == [progress.job_arn]
    assert summary.error == "ExecutionAborted" and "ended ABORTED" in summary.message
    assert "in state CheckFineTune" in summary.message
    assert summary.cleanup == [f"stopped fine-tuning job {progress.job_arn}"]


def test_a_timed_out_execution_deletes_the_throughput_it_was_creating():
    event, tuner = promotable_run({"throughput": {"enabled": True}})
    state = {"run": event.run.to_payload(), "finetune": event.finetune.to_payload()}  # CreateThroughput never returned
    summary = clean_up_ended_execution(
        _change(event.run, "TIMED_OUT"),
        history=_history(("FineTuneDone", state)),
        fine_tuner=tuner,
        active_models=MemoryActiveModels(),
        name_prefix="podium",
    )
    assert tuner.deleted == [event.throughput.arn] and summary.error == "ExecutionTimedOut"


def test_a_failed_execution_is_left_to_its_own_cleanup_unless_that_failed():
    run, _, tuner, progress = started_run()
    state = {"run": run.to_payload(), "finetune": progress.to_payload(), "error": {"Error": "X", "Cause": "y"}}
    ran_cleanup = _history(("CheckFineTune", state), ("Cleanup", state), ("NotifyFailure", state))
    kwargs = {"fine_tuner": tuner, "active_models": MemoryActiveModels(), "name_prefix": "podium"}
    assert clean_up_ended_execution(_change(run, "FAILED"), history=ran_cleanup, **kwargs) is None
    assert tuner.stopped == []
    cleanup_failed = _history(("CheckFineTune", state), ("CleanupFailed", state))
    summary = clean_up_ended_execution(_change(run, "FAILED"), history=cleanup_failed, **kwargs)
    assert tuner.stopped == [progress.job_arn] and summary.error == "CleanupFailed"
    assert summary.message.startswith("X: y")
    assert tuner.jobs[progress.job_arn].status is JobStatus.STOPPING
