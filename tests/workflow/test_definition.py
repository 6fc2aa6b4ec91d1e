"""The state machine definition itself: placeholders, retries, catches and the payload
contract with the step models. Static checks; test_rehearsal.py executes it."""

from __future__ import annotations

import json

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from podium.config import (
    EVENTS_OUTSIDE_POLLS,
    EVENTS_PER_FAILED_CHECK,
    EVENTS_PER_POLL,
    EXECUTION_TIMEOUT_SECONDS,
    LOOK_AGAIN_LOOPS,
    POLL_LOOPS,
)
from podium.rehearsal.harness import ASL_PATH, render_definition
from podium.workflow.errors import LOOK_AGAIN_ERRORS, TRANSIENT_ERRORS
from podium.workflow.events import STEP_MODELS, FineTuneProgress, GenerationProgress, ThroughputProgress
from podium.workflow.steps import (
    DEFINITION_STEPS,
    STEPS_BY_NAME,
    TOPIC_SUBSTITUTION,
    asl_placeholders,
    substitution_keys,
)

DEFINITION = json.loads(ASL_PATH.read_text())
STATES = DEFINITION["States"]
LAMBDA_TASKS = {
    name: state
    for name, state in STATES.items()
    if state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke"
}


def _fake_substitutions() -> dict[str, str]:
    arn = "arn:aws:lambda:us-west-2:123456789012:function:x-{}"
    values = {step.substitution: arn.format(step.name) for step in DEFINITION_STEPS}
    values[TOPIC_SUBSTITUTION] = "arn:aws:sns:us-west-2:123456789012:topic"
    return values


def test_uses_jsonpath_and_exactly_the_registered_placeholders():
    assert DEFINITION["QueryLanguage"] == "JSONPath"
    assert asl_placeholders() == substitution_keys()


def test_a_stuck_execution_times_out_so_the_timed_out_alarm_can_fire():
    # A definition loaded from a file takes its timeout from the file, not from CDK.
    assert 24 * 3600 <= DEFINITION["TimeoutSeconds"] <= 14 * 24 * 3600


def test_filled_definition_parses_as_asl():
    program, _ = AmazonStateLanguageParser.parse(render_definition(_fake_substitutions()))
    assert program is not None


def test_a_missing_substitution_is_named():
    partial = _fake_substitutions()
    del partial["PromoteFunctionArn"]
    with pytest.raises(KeyError, match=r"\$\{PromoteFunctionArn\}"):
        render_definition(partial)


def test_each_step_is_one_lambda_task_of_the_same_name():
    assert set(LAMBDA_TASKS) == {step.name for step in DEFINITION_STEPS}
    for name, state in LAMBDA_TASKS.items():
        assert state["Parameters"]["FunctionName"] == "${" + STEPS_BY_NAME[name].substitution + "}"


def test_every_task_retries_transient_errors_with_backoff_and_is_caught():
    tasks = {name: s for name, s in STATES.items() if s["Type"] == "Task"}
    for name, state in tasks.items():
        assert state.get("Retry"), f"{name} has no Retry"
        assert state.get("Catch"), f"{name} has no Catch"
        assert any(c["ErrorEquals"] == ["States.ALL"] for c in state["Catch"]), name
        for retrier in state["Retry"]:
            assert retrier["BackoffRate"] > 1, name
    for name, state in LAMBDA_TASKS.items():
        assert state["Retry"][0]["ErrorEquals"] == list(TRANSIENT_ERRORS), name


LOOK_AGAIN = {  # the step → the Pass that counts a failed look, and the Wait it goes back to
    "CheckGeneration": ("GenerationCheckFailed", "WaitForGeneration"),
    "CheckFineTune": ("FineTuneCheckFailed", "WaitForFineTune"),
    "CheckThroughput": ("ThroughputCheckFailed", "WaitForThroughput"),
    "CreateThroughput": ("ThroughputCreateFailed", "WaitToCreateThroughput"),
}


def test_failures_go_through_cleanup_then_the_report_then_notification_then_fail():
    for name, state in STATES.items():
        if name in ("Cleanup", "NotifyFailure", "Report"):
            continue
        catchers = state.get("Catch", [])
        if name in LOOK_AGAIN:
            assert catchers[0]["Next"] == LOOK_AGAIN[name][0], name
            catchers = catchers[1:]
        for catcher in catchers:
            assert catcher["Next"] == "Cleanup", name
            assert catcher["ResultPath"] == "$.error", name
    assert STATES["Cleanup"]["Next"] == STATES["CleanupFailed"]["Next"] == "Report"
    assert STATES["NoticeKind"]["Choices"] == [
        {"Variable": "$.notice.failed", "BooleanEquals": True, "Next": "NotifyFailure"}
    ]
    assert STATES["NotifyFailure"]["Next"] == "Failed"
    assert STATES["Failed"]["Type"] == "Fail"
    for stop in ("DatasetInvalid", "OverBudget"):
        assert STATES[stop]["Next"] == "Cleanup"
        assert STATES[stop]["ResultPath"] == "$.error"


def test_every_transition_target_exists_and_every_state_is_reachable():
    def targets(state):
        found = [state.get("Next"), state.get("Default")]
        found += [choice["Next"] for choice in state.get("Choices", [])]
        found += [catcher["Next"] for catcher in state.get("Catch", [])]
        return {t for t in found if t}

    reachable, frontier = set(), [DEFINITION["StartAt"]]
    while frontier:
        name = frontier.pop()
        if name in reachable:
            continue
        assert name in STATES, f"transition to unknown state {name}"
        reachable.add(name)
        frontier.extend(targets(STATES[name]))
    assert reachable == set(STATES)


def test_each_step_keeps_its_results_under_its_own_path_with_the_result_model_fields():
    paths = {}
    for name, state in LAMBDA_TASKS.items():
        _, result_model = STEP_MODELS[name]
        selector, path = state["ResultSelector"], state["ResultPath"]
        if name == "Prepare":  # its result replaces the state: the raw input is not carried on
            assert path == "$" and list(selector) == ["run"]
            selector, path = selector["run"], "$.run"
        kept = {key.removesuffix(".$") for key in selector}
        assert kept == set(result_model.model_fields), name
        paths.setdefault(path, set()).add(name)
    assert paths == {
        "$.run": {"Prepare"},
        "$.generation": {"StartGeneration", "CheckGeneration"},
        "$.dataset": {"BuildDataset"},
        "$.finetune": {"StartFineTune", "CheckFineTune"},
        "$.throughput": {"CreateThroughput", "CheckThroughput"},
        "$.evaluation": {"EvaluateChunk"},
        "$.gate": {"ScoreEvaluation"},
        "$.outcome": {"Promote"},
        "$.failure": {"Cleanup"},
        "$.notice": {"Report"},
    }


def test_each_step_payload_matches_its_event_model():
    for name, state in LAMBDA_TASKS.items():
        event_model, _ = STEP_MODELS[name]
        payload = state["Parameters"].get("Payload")
        if payload is None:  # Cleanup gets the whole state
            assert state["Parameters"]["Payload.$"] == "$", name
            continue
        sent = {key.removesuffix(".$") for key in payload}
        assert sent == set(event_model.model_fields), name


def test_prepare_gets_the_execution_identity():
    execution = STATES["Prepare"]["Parameters"]["Payload"]["execution"]
    assert execution["name.$"] == "$$.Execution.Name"
    assert execution["id.$"] == "$$.Execution.Id"
    assert execution["state_machine_id.$"] == "$$.StateMachine.Id"


def test_waits_take_their_seconds_from_the_check_steps():
    assert STATES["WaitForGeneration"]["SecondsPath"] == "$.generation.next_poll_seconds"
    assert STATES["WaitForFineTune"]["SecondsPath"] == "$.finetune.next_poll_seconds"
    assert STATES["WaitForThroughput"]["SecondsPath"] == "$.throughput.next_poll_seconds"


def test_notifications_publish_to_the_topic():
    for name in ("Notify", "NotifyFailure"):
        state = STATES[name]
        assert state["Resource"] == "arn:aws:states:::sns:publish"
        assert state["Parameters"]["TopicArn"] == "${NotificationTopicArn}"
    # a text a person reads, written by the Report step (or, should it fail, a plain sentence)
    for name in ("Notify", "NotifyFailure"):
        assert STATES[name]["Parameters"]["Message.$"] == "$.notice.text"
        assert STATES[name]["Parameters"]["Subject.$"] == "$.notice.subject"


def test_every_ending_writes_its_report_and_a_failing_report_still_notifies():
    for name in ("Skipped", "DryRunFinished", "UnchangedFinished", "Discarded", "Promote", "Cleanup", "CleanupFailed"):
        assert STATES[name]["Next"] == "Report", name
    assert STATES["Report"]["Parameters"]["Payload.$"] == "$"  # the whole state: any part may be missing
    (catcher,) = STATES["Report"]["Catch"]
    # $.error, as every other Catch but Cleanup's: the state keeps a bounded set of paths
    # (tests/workflow/test_state_size.py); a failed run's own error is in $.failure by then
    assert catcher["Next"] == "ReportFailed" and catcher["ResultPath"] == "$.error"
    assert STATES["PlainNotice"]["Next"] == "Notify" and STATES["PlainFailureNotice"]["Next"] == "NotifyFailure"
    assert STATES["PlainFailureNotice"]["Parameters"]["failed"] is True


def test_money_is_spent_only_after_the_dataset_decision_and_promotion_is_one_state():
    decision = STATES["DatasetDecision"]
    assert decision["Default"] == "StartFineTune"
    assert [c["Next"] for c in decision["Choices"]] == [
        "DatasetInvalid",
        "DryRunFinished",
        "UnchangedFinished",
        "OverBudget",
    ]
    into_start = [n for n, s in STATES.items() if "StartFineTune" in (s.get("Default"), s.get("Next"))]
    assert into_start == ["DatasetDecision"]
    into_promote = sorted(
        n
        for n, s in STATES.items()
        if "Promote" in (s.get("Next"), s.get("Default")) or any(c["Next"] == "Promote" for c in s.get("Choices", []))
    )
    # Promote is reached only through the gate, or with evaluation switched off
    assert into_promote == ["GateDecision", "SkipEvaluation"]
    assert STATES["GateDecision"]["Default"] == "Promote"
    assert STATES["GateDecision"]["Choices"] == [
        {"Variable": "$.gate.decision", "StringEquals": "discard", "Next": "Discarded"}
    ]
    assert STATES["ThroughputDone"]["Choices"][0]["Next"] == "EvaluateWanted"
    assert STATES["NoThroughput"]["Next"] == "SkipEvaluation"


# ---- numbers podium.config's execution-history check takes from this definition --------------


def test_retries_include_the_lambda_invoke_timeout():
    assert "Lambda.ClientExecutionTimeoutException" in TRANSIENT_ERRORS


def test_history_check_uses_this_definitions_timeout_and_poll_loops():
    assert DEFINITION["TimeoutSeconds"] == EXECUTION_TIMEOUT_SECONDS
    retry_waits = {wait for _, wait in LOOK_AGAIN.values()} - {
        "WaitForGeneration",
        "WaitForFineTune",
        "WaitForThroughput",
    }
    waits = [name for name, state in STATES.items() if state["Type"] == "Wait" and name not in retry_waits]
    assert len(waits) == POLL_LOOPS
    assert len(LOOK_AGAIN) == LOOK_AGAIN_LOOPS
    # History events: Wait entered/exited; Lambda task entered/scheduled/started/succeeded/exited;
    # Choice entered/exited.
    events = {"Wait": 2, "Task": 5, "Choice": 2}
    for wait in waits:
        check = STATES[STATES[wait]["Next"]]
        choice = STATES[check["Next"]]
        assert check["Resource"] == "arn:aws:states:::lambda:invoke" and choice["Type"] == "Choice", wait
        assert choice["Default"] == wait, wait
        assert events["Wait"] + events[check["Type"]] + events[choice["Type"]] == EVENTS_PER_POLL


def test_history_check_leaves_room_for_every_other_state_with_all_its_retries():
    # Each retry adds TaskFailed, TaskScheduled and TaskStarted; the execution adds started and ended.
    outside = 2
    for state in STATES.values():
        if state["Type"] == "Task":
            outside += 5 + 3 * sum(retrier.get("MaxAttempts", 3) for retrier in state.get("Retry", []))
        else:
            outside += 2
    assert outside <= EVENTS_OUTSIDE_POLLS


def test_a_failed_look_is_counted_in_its_progress_and_only_too_many_in_a_row_end_the_run():
    progress = {
        "CheckGeneration": ("generation", GenerationProgress),
        "CheckFineTune": ("finetune", FineTuneProgress),
        "CheckThroughput": ("throughput", ThroughputProgress),
        "CreateThroughput": ("finetune", FineTuneProgress),
    }
    for step, (counted, wait) in LOOK_AGAIN.items():
        path, model = progress[step]
        catcher = STATES[step]["Catch"][0]
        assert catcher["ErrorEquals"] == list(LOOK_AGAIN_ERRORS) and catcher["ResultPath"] == "$.error", step
        assert {"Sandbox.Timedout", "Lambda.Unknown", "Lambda.TooManyRequestsException"} <= set(LOOK_AGAIN_ERRORS)
        count = STATES[counted]
        # the progress is rebuilt field by field, the counter one higher: nothing else changes
        assert count["ResultPath"] == f"$.{path}", step
        assert {key.removesuffix(".$") for key in count["Parameters"]} == set(model.model_fields), step
        assert count["Parameters"]["check_failures.$"] == f"States.MathAdd($.{path}.check_failures, 1)", step
        budget = STATES[count["Next"]]
        (choice,) = budget["Choices"]
        assert choice["Variable"] == f"$.{path}.check_failures", step
        assert choice["NumericGreaterThanPath"] == "$.run.settings.poll.max_check_failures", step
        assert budget["Default"] == wait, step
        unknown = STATES[choice["Next"]]
        assert unknown["Parameters"]["Error"] == "StatusUnknown" and unknown["Next"] == "Cleanup", step
    assert STATES["WaitToCreateThroughput"]["Next"] == "CreateThroughput"


def test_a_failed_look_costs_the_history_events_the_config_counts():
    # Wait 2 + Task entered/scheduled/started/failed/exited 5 + each retry 3 + Pass 2 + Choice 2
    (retrier,) = STATES["CheckFineTune"]["Retry"]
    assert 2 + 5 + 3 * retrier["MaxAttempts"] + 2 + 2 == EVENTS_PER_FAILED_CHECK


def test_every_intrinsic_format_string_is_one_quoted_template():
    # A quote inside the template ends it early: the executor then fails the state at run time.
    for name, state in STATES.items():
        for key, value in (state.get("Parameters") or {}).items():
            if isinstance(value, str) and value.startswith("States.Format("):
                template = value[len("States.Format(") :].split("', ")[0]
                assert template.count("'") == 1, (name, key)
