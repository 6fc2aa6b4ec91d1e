"""The janitor and the cleanup after an execution that ended without its own Cleanup, with
in-memory adapters (tests/workflow/fakes.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from podium.adapters.errors import BedrockRejected
from podium.adapters.ports import (
    TAG_EXECUTION,
    TAG_PROMOTED,
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
from tests.workflow.runs import SM, execution_arn, promotable_run, started_run

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OLD = (NOW - timedelta(hours=5)).isoformat()
YOUNG = (NOW - timedelta(hours=1)).isoformat()


def _tags(run_id: str, stack: str = "podium", ttl: str = "4") -> dict[str, str]:
    return {TAG_STACK: stack, TAG_RUN_ID: run_id, TAG_EXECUTION: execution_arn(run_id), TAG_TTL_HOURS: ttl}


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


def _sweep(tuner, active=None, store=None, dry_run=False, statuses=None):
    """One sweep; every execution has ended (SUCCEEDED) unless `statuses` (run id → status) says otherwise."""
    statuses = statuses or {}

    def status(arn):
        value = statuses.get(arn.rsplit(":", 1)[-1], "SUCCEEDED")
        if isinstance(value, Exception):
            raise value
        return value

    return sweep(
        fine_tuner=tuner,
        active_models=MemoryActiveModels(active),
        store=store or MemoryStore(),
        name_prefix="podium",
        default_ttl_hours=4,
        dry_run=dry_run,
        state_machine_arn=SM,
        execution_status=status,
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
    # the notification is a text a person reads, and says nothing was deleted
    assert report.subject() == "Podium janitor would delete (dry run) 2"
    text = report.text()
    assert text.startswith("The janitor would delete 2 resource(s)") and "nothing was deleted" in text
    assert f"Would delete:\n  - would delete provisioned throughput orphan ({pt})" in text
    assert "model unit(s)" in text and not text.lstrip().startswith("{")


def test_the_janitor_reports_what_it_could_not_delete():
    tuner = MemoryFineTuner()
    _throughput(tuner, "stuck", "arn:model/m", OLD, _tags("r"))
    tuner.refuse_delete = "still Creating"
    report = _sweep(tuner)
    assert report.deleted == [] and "could NOT delete provisioned throughput stuck" in report.failed[0]
    assert report.subject() == "Podium janitor deleted 0, could not delete 1"
    text = report.text()
    assert "Could NOT delete (still billed: delete it in the Bedrock console):\n  - could NOT delete" in text
    assert "still Creating" in text


def _orphan(tuner, run_id="r", **tags):
    """An expired, never-promoted model and the throughput serving it, tagged as this stack's."""
    model = _model(tuner, run_id, OLD, {**_tags(run_id), **tags})
    return model, _throughput(tuner, run_id, model, OLD, {**_tags(run_id), **tags})


def test_the_janitor_leaves_everything_of_a_running_execution_alone():
    tuner = MemoryFineTuner()
    model, pt = _orphan(tuner, "live")
    report = _sweep(tuner, statuses={"live": "RUNNING"})
    assert tuner.deleted == [] and tuner.deleted_models == []
    assert any(f"({pt}): its execution {execution_arn('live')} is still running" in line for line in report.kept)
    assert not report.worth_telling
    _sweep(tuner)  # once it has ended, they go
    assert tuner.deleted == [pt] and tuner.deleted_models == [model]


def test_the_janitor_never_deletes_what_promote_tagged_even_without_any_other_record():
    tuner = MemoryFineTuner()
    model, pt = _orphan(tuner, "promoted", **{TAG_PROMOTED: "promoted"})
    # no active-model record, no runs/<run_id>/promotion.json (run files expire after a year)
    report = _sweep(tuner)
    assert tuner.deleted == [] and tuner.deleted_models == []
    assert sum(f"promoted ({TAG_PROMOTED} tag)" in line for line in report.kept) == 2


def test_the_janitor_keeps_what_a_promoted_run_made_by_its_promotion_record():
    tuner = MemoryFineTuner()
    model, pt = _orphan(tuner, "older")  # promoted before Promote tagged: only promotion.json says so
    report = _sweep(tuner, store=MemoryStore({"runs/older/promotion.json": "{}"}))
    assert tuner.deleted == [] and tuner.deleted_models == []
    assert sum("its run was promoted" in line for line in report.kept) == 2


@pytest.mark.parametrize(
    ("tags", "statuses", "why"),
    [
        ({TAG_EXECUTION: "arn:aws:states:us-west-2:123456789012:execution:other-machine:x"}, {}, "names no execution"),
        ({}, {"r": None}, "Step Functions does not know its execution"),
        ({}, {"r": RuntimeError("ThrottlingException")}, "could not be read (ThrottlingException)"),
        ({TAG_TTL_HOURS: "inf"}, {}, "tag 'inf' is not a number of hours"),
        ({TAG_TTL_HOURS: "soon"}, {}, "tag 'soon' is not a number of hours"),
    ],
)
def test_when_the_janitor_cannot_tell_it_keeps_and_reports(tags, statuses, why):
    tuner = MemoryFineTuner()
    _orphan(tuner, **tags)
    report = _sweep(tuner, statuses=statuses)
    assert tuner.deleted == [] and tuner.deleted_models == []
    assert report.unsure and all(why in line for line in report.unsure) and report.worth_telling


def test_the_janitor_keeps_and_reports_what_it_cannot_read_the_tags_of():
    tuner = MemoryFineTuner()
    _orphan(tuner)

    def unreadable(arn):
        raise BedrockRejected(f"read the tags of {arn}", "AccessDeniedException", "no")

    tuner.tags = unreadable
    report = _sweep(tuner)
    assert tuner.deleted == [] and tuner.deleted_models == [] and len(report.unsure) == 2


def test_a_model_served_by_any_throughput_is_kept_even_one_of_another_stack():
    tuner = MemoryFineTuner()
    model = _model(tuner, "m", OLD, _tags("r"))
    _throughput(tuner, "by-hand", model, OLD, {})  # made by hand for the kept model: untagged
    report = _sweep(tuner)
    assert tuner.deleted_models == [] and any("a provisioned throughput still serves it" in x for x in report.kept)


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
    cleaned = {**state, "failure": {"status": "failed", "error": "X", "message": "y", "cleanup": []}}
    ran_cleanup = _history(("CheckFineTune", state), ("Cleanup", cleaned), ("NotifyFailure", cleaned))
    kwargs = {"fine_tuner": tuner, "active_models": MemoryActiveModels(), "name_prefix": "podium"}
    for status in ("FAILED", "ABORTED", "TIMED_OUT"):  # Cleanup finished: the run was undone already
        assert clean_up_ended_execution(_change(run, status), history=ran_cleanup, **kwargs) is None
    assert tuner.stopped == []
    # A caught Cleanup failure leaves the Cleanup state too, but with $.cleanup_error and no summary.
    caught = {**state, "cleanup_error": {"Error": "Lambda.Unknown", "Cause": "?"}}
    cleanup_failed = _history(("CheckFineTune", state), ("Cleanup", caught), ("CleanupFailed", state))
    summary = clean_up_ended_execution(_change(run, "FAILED"), history=cleanup_failed, **kwargs)
    assert tuner.stopped == [progress.job_arn] and summary.error == "CleanupFailed"
    assert summary.message.startswith("X: y")
    assert tuner.jobs[progress.job_arn].status is JobStatus.STOPPING


def test_a_failure_no_catch_sees_runs_the_cleanup_and_names_the_error():
    # States.DataLimitExceeded right after CreateThroughput: the workflow's Cleanup never ran.
    event, tuner = promotable_run({"throughput": {"enabled": True}})
    state = {"run": event.run.to_payload(), "finetune": event.finetune.to_payload()}
    history = _history(("ThroughputWanted", state))
    history.append({"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "CreateThroughput"}})
    history.append(
        {
            "type": "ExecutionFailed",
            "executionFailedEventDetails": {"error": "States.DataLimitExceeded", "cause": "result too large"},
        }
    )
    summary = clean_up_ended_execution(
        _change(event.run, "FAILED"),
        history=history,
        fine_tuner=tuner,
        active_models=MemoryActiveModels(),
        name_prefix="podium",
    )
    assert tuner.deleted == [event.throughput.arn]
    assert summary.error == "States.DataLimitExceeded"
    assert "in state CreateThroughput with States.DataLimitExceeded, which no Catch can handle" in summary.message
    assert summary.message.endswith("result too large")
