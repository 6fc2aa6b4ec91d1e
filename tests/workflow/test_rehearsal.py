"""The REAL statemachine/finetune.asl.json executed by moto's Step Functions executor,
with the real handlers (local Lambda endpoint), moto S3/SSM/SNS/Secrets Manager and the
Bedrock emulator — see podium.rehearsal.harness. Waits are one second (poll settings).

One harness serves the module; `rehearsal` resets it before each test.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from podium.rehearsal.bedrock_emulator.jobs import SIMULATED_NOTE
from podium.rehearsal.bedrock_emulator.script import InjectedError, Script
from podium.rehearsal.harness import Rehearsal, RehearsalOptions
from podium.rehearsal.lambda_server import Fault
from podium.workflow.steps import DEFINITION_STEPS
from tests.conftest import OPEN_GATE

DATABRICKS_HOST = "https://dbc-rehearsal.cloud.databricks.com"
DATABRICKS_TOKEN = "dapi2b8e4f0a6c1d7e3f9b5a0c4e8d2f6a1b"  # random, as real tokens are: no piece of it in the host
DATABRICKS_SECRET = "podium/databricks"
DATABRICKS_INPUT = {
    "generator": "databricks",
    "databricks": {"secret_name": DATABRICKS_SECRET, "job_id": 42, "warehouse_id": "wh-1"},
}
THROUGHPUT = {"throughput": {"enabled": True}}


@pytest.fixture(scope="module")
def harness(sample_dir: Path) -> Iterator[Rehearsal]:
    options = RehearsalOptions(
        data_dir=sample_dir,
        secrets={DATABRICKS_SECRET: json.dumps({"host": DATABRICKS_HOST, "token": DATABRICKS_TOKEN})},
        timeout_seconds=120,
        # deployed with the Databricks secret named, so the roles may read it (as the stack grants it)
        defaults={"gate": OPEN_GATE, "databricks": {"secret_name": DATABRICKS_SECRET}},
    )
    with Rehearsal(options) as rehearsal:
        yield rehearsal


@pytest.fixture
def rehearsal(harness: Rehearsal) -> Rehearsal:
    harness.reset()
    # Jobs and throughputs end at their first status check; the success test asks for more.
    harness.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
    return harness


def _failure(result):
    assert result.status == "FAILED", (result.status, result.output)
    assert "Cleanup" in result.states and "NotifyFailure" in result.states
    message = result.notification
    assert message["status"] == "failed"
    assert result.error == message["error"]  # the Fail state carries the same error
    return message


def test_success_trains_deploys_promotes_and_notifies(rehearsal: Rehearsal):
    rehearsal.bedrock.script = Script(job_ticks=3, throughput_ticks=2)
    result = rehearsal.run(THROUGHPUT)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    notification = result.notification
    assert notification["status"] == "promoted"
    active = rehearsal.active_model()
    assert active is not None
    assert active["run_id"] == notification["run_id"]
    assert active["model_arn"] == notification["model_arn"]
    assert active["throughput_arn"] == notification["throughput_arn"]
    (job,) = rehearsal.bedrock.jobs.values()
    assert job.status == "Completed" and job.output_model_arn == active["model_arn"]
    (throughput,) = rehearsal.bedrock.throughputs.values()
    assert throughput.arn == active["throughput_arn"] and throughput.status == "InService"

    run_id = notification["run_id"]
    report = json.loads(rehearsal.read_run_file(run_id, "report.json"))
    assert report["dataset_hash"] == active["dataset_hash"] == notification["dataset_hash"]
    assert notification["report_uri"].endswith(f"runs/{run_id}/report.json")
    job_id = job.arn.rsplit("/", 1)[-1]
    metrics = rehearsal.read_run_file(
        run_id, f"output/model-customization-job-{job_id}/training_artifacts/step_wise_training_metrics.csv"
    )
    assert all(SIMULATED_NOTE in line for line in metrics.splitlines()[1:])
    assert result.output["finetune"]["training_loss"] == rehearsal.bedrock.script.training_loss
    assert result.states.count("CheckFineTune") == 3 and result.states.count("CheckThroughput") == 2
    assert result.states[-5:] == ["Promote", "Report", "NoticeKind", "Notify", "Succeeded"]
    # the notification is a text a person reads: the outcome, the scores, what is left running
    # and what it costs an hour, the console links, and the command that fetches the report
    text = notification["text"]
    assert text.startswith("Promoted: the new model passed the gate") and notification["subject"].endswith("promoted")
    assert "paraphrase accuracy: new" in text and f"- {throughput.arn}: serves the promoted model" in text
    assert "ESTIMATE $24.00 an hour" in text
    assert f"#/v2/executions/details/{result.execution_arn}" in text
    assert f"prefix=runs/{run_id}/report.html" in text and f"podium report {run_id} --stack podium" in text
    assert notification["report_html_uri"].endswith(f"runs/{run_id}/report.html")
    assert "meta.llama3-1-8b-instruct-v1:0:128k" in rehearsal.read_run_file(run_id, "report.html")


def test_by_default_a_throughput_is_made_for_the_evaluation_only_and_deleted_once_scored(rehearsal: Rehearsal):
    result = rehearsal.run({})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.states.count("EvaluateChunk") == result.output["evaluation"]["chunks"] >= 1
    assert result.states.index("CheckThroughput") < result.states.index("EvaluateChunk")
    assert result.states.index("ScoreEvaluation") < result.states.index("Promote")
    notification = result.notification
    assert notification["status"] == "promoted" and "SIMULATED evaluation passed the gate" in notification["message"]
    assert "paraphrase accuracy" in notification["message"]
    assert notification["report_html_uri"].endswith(f"runs/{notification['run_id']}/report.html")
    assert notification["throughput_arn"] is None and result.throughputs == []  # deleted: nothing bills
    assert "created for the evaluation only" in notification["message"]
    active = rehearsal.active_model()
    assert active["decision"] == "promote" and active["scores"]["simulated"] is True
    assert active["scores"]["paraphrase_accuracy"] == result.output["gate"]["paraphrase_accuracy"] is not None
    scores = json.loads(rehearsal.read_run_file(notification["run_id"], "eval.json"))
    assert scores["simulated"] and scores["gate"]["decision"] == "promote"


def test_every_step_logs_with_the_run_and_every_bedrock_resource_created_or_deleted_has_its_line(
    rehearsal: Rehearsal,
):
    result = rehearsal.run({})  # trains, evaluates through a throughput made for that, deletes it
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    records = rehearsal.logs.records()
    assert records and all(record.get("level") for record in records)  # every line one JSON object
    for record in records:  # every line of every step
        assert (record.get("run_id"), record.get("execution_arn")) == (result.run_id, result.execution_arn), record
    assert {record["step"] for record in records} == {s.name for s in DEFINITION_STEPS} & set(result.states)
    (job,) = rehearsal.bedrock.jobs.values()
    (throughput,) = rehearsal.bedrock.deleted_throughputs
    changed = {
        (r["resource_action"], r["resource_type"], r["resource_arn"], r["step"], r["run_id"])
        for r in records
        if "resource_action" in r
    }
    assert changed == {
        ("created", "fine-tuning job", job.arn, "StartFineTune", result.run_id),
        ("created", "custom model", job.output_model_arn, "CheckFineTune", result.run_id),
        ("created", "provisioned throughput", throughput, "CreateThroughput", result.run_id),
        ("deleted", "provisioned throughput", throughput, "ScoreEvaluation", result.run_id),
    }


def test_evaluate_asks_a_prompt_completion_model_as_taught_invoke_model_with_the_training_prompt(
    rehearsal: Rehearsal,
):
    result = rehearsal.run({})  # Llama 3.1 8B: prompt/completion rows
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    run_id = result.notification["run_id"]
    train_prompts = {json.loads(line)["prompt"] for line in rehearsal.read_run_file(run_id, "train.jsonl").splitlines()}
    questions = [json.loads(line) for line in rehearsal.read_run_file(run_id, "eval.jsonl").splitlines()]
    calls = rehearsal.bedrock.answers
    assert calls and {call["api"] for call in calls} == {"InvokeModel"}  # no chat template from Converse
    asked = {(call["model"], call["question"]) for call in calls}
    trained = [q["question"] for q in questions if q["kind"] == "trained"]
    assert trained and all(prompt in train_prompts for prompt in trained)
    for prompt in trained:  # the raw prompt text sent is the training row's prompt, for both models
        assert ("custom", prompt) in asked and ("base", prompt) in asked
    assert {question for _, question in asked} == {q["question"] for q in questions}
    simulation = json.loads(rehearsal.read_run_file(run_id, "eval.json"))["simulation"]
    assert "SIMULATED" in simulation["custom"]["rule"] and simulation["custom"]["cannot_tell"]
    assert simulation["base"]["rule"] == simulation["custom"]["rule"]


def test_an_unmeetable_gate_discards_the_model_deletes_its_throughput_and_says_why(rehearsal: Rehearsal):
    result = rehearsal.run({**THROUGHPUT, "gate": {"min_paraphrase_accuracy": 1.0, "min_gain_over_base": 1.0}})
    assert result.status == "SUCCEEDED", (result.error, result.cause)  # a decision, not a crash
    assert "Discarded" in result.states and "Promote" not in result.states
    notification = result.notification
    assert notification["status"] == "discarded"
    assert "gate.min_paraphrase_accuracy: paraphrase accuracy" in notification["message"]
    assert "(minimum 100.0%)" in notification["message"]
    assert "its model was discarded" in notification["message"]
    assert result.throughputs == [] and rehearsal.active_model() is None
    assert notification["report_html_uri"].endswith("report.html")


def test_with_evaluate_off_the_run_ends_trained_not_evaluated_and_never_replaces_an_evaluated_model(
    rehearsal: Rehearsal,
):
    evaluated = rehearsal.run({})
    assert evaluated.notification["status"] == "promoted", evaluated.notification
    skipped = rehearsal.run({"evaluate": False, "force": True})
    assert skipped.status == "SUCCEEDED", (skipped.error, skipped.cause)
    assert "EvaluateChunk" not in skipped.states and "CreateThroughput" not in skipped.states
    assert skipped.notification["status"] == "not_evaluated"
    assert "NOT promoted over the evaluated model" in skipped.notification["message"]
    assert rehearsal.active_model()["run_id"] == evaluated.notification["run_id"]


def test_an_unchanged_dataset_is_not_trained_again_and_force_retires_the_old_throughput(rehearsal: Rehearsal):
    first = rehearsal.run(THROUGHPUT)
    assert first.status == "SUCCEEDED", first.cause
    old_throughput = first.notification["throughput_arn"]

    again = rehearsal.run(THROUGHPUT)
    assert again.status == "SUCCEEDED", again.cause
    assert again.notification["status"] == "unchanged"
    assert '"force": true' in again.notification["message"]
    assert len(rehearsal.bedrock.jobs) == 1
    assert rehearsal.active_model()["run_id"] == first.notification["run_id"]

    forced = rehearsal.run({**THROUGHPUT, "force": True})
    assert forced.status == "SUCCEEDED", forced.cause
    assert forced.notification["status"] == "promoted"
    assert forced.notification["retired_throughput_arn"] == old_throughput
    assert rehearsal.bedrock.deleted_throughputs == [old_throughput]
    assert rehearsal.active_model()["run_id"] == forced.notification["run_id"]


def test_dry_run_builds_and_stops_before_bedrock(rehearsal: Rehearsal):
    result = rehearsal.run({"dry_run": True})
    assert result.status == "SUCCEEDED", result.cause
    assert result.notification["status"] == "dry_run"
    assert "Nothing was trained" in result.notification["message"]
    assert rehearsal.bedrock.jobs == {} and rehearsal.active_model() is None
    run_id = result.notification["run_id"]
    assert rehearsal.read_run_file(run_id, "train.jsonl").strip()


def test_over_budget_fails_before_any_spend(rehearsal: Rehearsal):
    result = rehearsal.run({"budget_usd": 0.01, "evaluate": False})  # creates no throughput: BuildDataset decides
    message = _failure(result)
    assert message["error"] == "OverBudget"
    assert "exceeds budget_usd $0.01" in message["message"] and message["report_uri"] in message["message"]
    assert rehearsal.bedrock.jobs == {} and rehearsal.active_model() is None


def test_invalid_dataset_fails_with_the_report_location(rehearsal: Rehearsal, sample_dir: Path, tmp_path: Path):
    # A Llama special token inside an event name: Bedrock would train on a control token.
    data = tmp_path / "data"
    shutil.copytree(sample_dir, data)
    for table in data.glob("*.csv"):
        text = table.read_text(encoding="utf-8")
        table.write_text(text.replace("Men's 100m", "Men's 100m <|eot_id|>"), encoding="utf-8")
    rehearsal.upload_data(data, prefix="data/tainted/")  # the functions may read the deployed data prefix only

    result = rehearsal.run({"data_prefix": "data/tainted/"})
    message = _failure(result)
    assert message["error"] == "DatasetInvalid"
    assert message["report_uri"] and message["report_uri"] in message["message"]
    assert "eot_id" in message["message"]
    assert rehearsal.bedrock.jobs == {}


def test_fine_tune_failure_reaches_the_notification(rehearsal: Rehearsal):
    rehearsal.bedrock.script.job_failure = "Training data contains 3 rows longer than the 16000-token limit"
    result = rehearsal.run()
    message = _failure(result)
    assert message["error"] == "FineTuneFailed"
    assert "Training data contains 3 rows longer than the 16000-token limit" in message["message"]
    assert rehearsal.active_model() is None
    # The step that failed and Cleanup log the reason in the notification's words, with the run
    said = {(r["step"], r["level"], r["message"]) for r in rehearsal.logs.records() if r.get("run_id") == result.run_id}
    assert ("CheckFineTune", "ERROR", f"CheckFineTune failed: FineTuneFailed: {message['message']}") in said
    assert ("Cleanup", "ERROR", f"the run failed: FineTuneFailed: {message['message']}") in said


def test_data_bedrock_refuses_fails_the_job_at_check_fine_tune_and_leaves_nothing_behind(rehearsal: Rehearsal):
    # Podium's checks passed the file; it is altered after upload, before Bedrock reads it.
    rehearsal.bedrock.script.corrupt_training = "wrong-format"
    result = rehearsal.run(THROUGHPUT)
    message = _failure(result)
    assert message["error"] == "FineTuneFailed"
    assert result.states[result.states.index("Cleanup") - 1] == "CheckFineTune"
    (job,) = rehearsal.bedrock.jobs.values()
    assert job.status == "Failed" and job.failure_message.startswith("Data validation failed for the train data")
    assert job.failure_message in message["message"]
    assert "CreateThroughput" not in result.states
    assert rehearsal.bedrock.custom_models == {} and rehearsal.bedrock.throughputs == {}
    assert result.throughputs == [] and rehearsal.active_model() is None


def test_a_quota_refusal_on_job_creation_reaches_the_notification(rehearsal: Rehearsal):
    says = "You have reached the quota of concurrent model customization jobs"
    rehearsal.bedrock.script.errors = [
        InjectedError("CreateModelCustomizationJob", "ServiceQuotaExceededException", says, times=None)
    ]
    result = rehearsal.run()
    message = _failure(result)
    assert message["error"] == "BedrockRejected"
    assert "ServiceQuotaExceededException" in message["message"] and says in message["message"]
    assert rehearsal.bedrock.jobs == {} and rehearsal.active_model() is None


def test_bedrocks_validation_exception_reaches_the_notification_word_for_word(rehearsal: Rehearsal):
    bedrock_says = "Provided data has 2 records with more than 16000 tokens. Please remove them."
    rehearsal.bedrock.script.job_rejection = bedrock_says
    result = rehearsal.run()
    message = _failure(result)
    assert message["error"] == "BedrockRejected"
    assert bedrock_says in message["message"] and "ValidationException" in message["message"]
    assert rehearsal.bedrock.jobs == {} and rehearsal.active_model() is None


def test_cleanup_stops_a_running_job_when_a_step_fails_for_good(rehearsal: Rehearsal):
    rehearsal.bedrock.script = Script(job_ticks=100)  # still training when CheckFineTune gives up
    refused = Fault("CheckFineTune", "BedrockRejected", "Bedrock refused: AccessDeniedException", times=100)
    rehearsal.lambdas.inject(refused)
    result = rehearsal.run()
    message = _failure(result)
    assert message["error"] == "BedrockRejected" and "AccessDeniedException" in message["message"]
    (job,) = rehearsal.bedrock.jobs.values()
    assert job.status in ("Stopping", "Stopped")
    assert message["cleanup"] == [f"stopped fine-tuning job {job.arn}"]
    stopped = [r for r in rehearsal.logs.records() if r.get("resource_action") == "stopped"]
    assert [(r["resource_arn"], r["step"], r["run_id"]) for r in stopped] == [(job.arn, "Cleanup", result.run_id)]


def test_throughput_failure_deletes_the_throughput_this_run_created(rehearsal: Rehearsal):
    rehearsal.bedrock.script.throughput_failure = "Insufficient capacity for the requested model units"
    result = rehearsal.run(THROUGHPUT)
    message = _failure(result)
    assert message["error"] == "ThroughputFailed"
    assert "Insufficient capacity for the requested model units" in message["message"]
    assert rehearsal.bedrock.throughputs == {}
    (deleted,) = rehearsal.bedrock.deleted_throughputs
    assert any(deleted in line and line.startswith("deleted") for line in message["cleanup"])
    assert rehearsal.active_model() is None


def test_a_throttled_step_is_retried_to_success_without_a_second_job(rehearsal: Rehearsal):
    rehearsal.lambdas.inject(Fault("StartFineTune", "ThrottlingException", "Rate exceeded", times=1))
    result = rehearsal.run()
    assert result.status == "SUCCEEDED", result.cause
    calls = rehearsal.lambdas.calls("StartFineTune")
    assert [call.injected for call in calls] == [True, False]
    assert len(rehearsal.bedrock.jobs) == 1
    assert "Cleanup" not in result.states


def test_a_status_check_throttled_longer_than_the_retries_looks_again_and_succeeds_with_one_job(rehearsal: Rehearsal):
    # Bedrock itself throttles: the fault is in the service, so the handler and its adapter see it.
    throttled = InjectedError("GetModelCustomizationJob", "ThrottlingException", "Rate exceeded", times=9)
    rehearsal.bedrock.script = Script(job_ticks=2, errors=[throttled])  # more than the ASL's 6 attempts
    result = rehearsal.run()
    assert result.status == "SUCCEEDED", result.cause
    assert len(rehearsal.bedrock.jobs) == 1 and "Cleanup" not in result.states
    assert result.states.count("CheckFineTune") == 9 + 2  # each throttled look, then the two real ticks
    (job,) = rehearsal.bedrock.jobs.values()
    assert job.status == "Completed"


def test_executions_whose_names_sanitise_alike_never_share_a_job_or_throughput(rehearsal: Rehearsal):
    first = rehearsal.run(THROUGHPUT, name="Weekly Retrain")
    second = rehearsal.run({**THROUGHPUT, "force": True}, name="weekly-retrain")
    assert first.status == second.status == "SUCCEEDED", (first.cause, second.cause)
    assert first.run_id != second.run_id
    assert first.run_id.startswith("weekly-retrain-") and second.run_id.startswith("weekly-retrain-")
    jobs = list(rehearsal.bedrock.jobs.values())
    assert len(jobs) == 2 and len({job.output_model_arn for job in jobs}) == 2
    first_pt, second_pt = first.notification["throughput_arn"], second.notification["throughput_arn"]
    assert first_pt != second_pt
    # The second promoted its own model and retired the first's throughput, as an older model's.
    active = rehearsal.active_model()
    assert active["run_id"] == second.run_id and active["throughput_arn"] == second_pt
    assert rehearsal.bedrock.deleted_throughputs == [first_pt]
    for job in jobs:
        tags = rehearsal.bedrock.tags[job.arn]
        execution = first.execution_arn if job.name.endswith(first.run_id) else second.execution_arn
        assert tags["podium:execution"] == execution and tags["podium:stack"] == "podium"


def test_generation_failure_carries_databricks_message_and_never_the_token(rehearsal: Rehearsal):
    databricks_says = "[TABLE_OR_VIEW_NOT_FOUND] The table or view `paris.raw.medals` cannot be found."
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.add_passthru("http://127.0.0.1")
        http.get(f"{DATABRICKS_HOST}/.well-known/databricks-config", status=404, json={"error_code": "NOT_FOUND"})
        http.post(f"{DATABRICKS_HOST}/api/2.2/jobs/run-now", json={"run_id": 1234, "number_in_job": 1})
        http.get(
            f"{DATABRICKS_HOST}/api/2.2/jobs/runs/get",
            json={
                "job_id": 42,
                "run_id": 1234,
                "run_page_url": f"{DATABRICKS_HOST}/#job/42/run/1234",
                "state": {
                    "life_cycle_state": "TERMINATED",
                    "result_state": "FAILED",
                    "state_message": databricks_says,
                },
            },
        )
        result = rehearsal.run(DATABRICKS_INPUT)
    message = _failure(result)
    assert message["error"] == "GenerationFailed"
    assert databricks_says in message["message"]
    assert DATABRICKS_TOKEN not in json.dumps(message)
    assert DATABRICKS_TOKEN not in json.dumps(result.output or {}) + (result.cause or "")
    logged = "\n".join(rehearsal.logs.lines())
    assert databricks_says in logged and DATABRICKS_TOKEN not in logged  # the functions' logs too
    assert rehearsal.bedrock.jobs == {}


@pytest.mark.parametrize(
    ("execution_input", "expected"),
    [
        ([1, 2], "must be a JSON object"),
        ({"dry_runn": True}, "dry_runn: is not a known setting"),
        ({"hyperparameters": {"learningRate": 0.5}}, "learningRate=0.5 is outside the allowed range"),
        ({"hyperparameters": {"batchSize": 2}}, "batchSize=2 is outside the allowed range 1–1"),
    ],
)
def test_bad_input_fails_at_prepare_naming_the_key(rehearsal: Rehearsal, execution_input, expected):
    result = rehearsal.run(execution_input)
    message = _failure(result)
    assert message["error"] == "InvalidInput"
    assert expected in message["message"]
    assert result.states[:3] == ["Start", "Prepare", "Cleanup"]
    assert message["cleanup"] == ["nothing to clean up: this run had no running job, throughput or deployment"]
    assert rehearsal.lambdas.calls("StartGeneration") == []


def test_a_failing_cleanup_still_notifies_with_both_errors(rehearsal: Rehearsal):
    rehearsal.lambdas.inject(Fault("Cleanup", "KeyError", "'throughput'", times=100))
    result = rehearsal.run({"unknown_setting": 1})
    assert result.status == "FAILED"
    assert result.states[-6:] == ["Cleanup", "CleanupFailed", "Report", "NoticeKind", "NotifyFailure", "Failed"]
    workflow, ended = result.notifications  # the workflow's, then the status-change rule's
    message = {**result.outcome, **workflow}
    assert message["error"] == "InvalidInput" and "unknown_setting" in message["message"]
    assert message["cleanup_error"]["Error"] == "KeyError"
    assert "Cleanup itself FAILED" in message["text"] and message["subject"] == "Podium run failed"
    assert len(rehearsal.lambdas.calls("Cleanup")) == 1  # not a transient error: no retry
    # Its Cleanup did not finish, so ExecutionEnded ran the cleanup again and said so.
    assert ended["status"] == "failed" and ended["text"].startswith("FAILED in Prepare: CleanupFailed.")
    assert "\nInvalidInput: unknown_setting: is not a known setting" in ended["text"]
    assert "the run's own Cleanup failed, so it ran again" in ended["text"]


# ---- money: budget, stopped executions, the janitor ------------------------------------------------


def test_a_six_month_hundred_unit_throughput_is_refused_before_anything_exists(rehearsal: Rehearsal):
    costly = {"throughput": {"enabled": True, "model_units": 100, "commitment": "SixMonths"}, "budget_usd": 5}
    message = _failure(rehearsal.run(costly))
    assert message["error"] == "InvalidInput"
    assert "budget_usd $5.00 does not cover the provisioned throughput alone: ESTIMATE $" in message["message"]
    assert "SixMonths commitment cannot come from the execution input" in message["message"]
    assert rehearsal.bedrock.jobs == {} and rehearsal.bedrock.throughputs == {}
    assert rehearsal.lambdas.calls("StartGeneration") == []


def test_a_string_for_a_boolean_is_refused(rehearsal: Rehearsal):
    message = _failure(rehearsal.run({"throughput": {"enabled": "yes"}}))
    assert message["error"] == "InvalidInput"
    assert message["message"].startswith("throughput.enabled: must be true or false (a JSON boolean, without quotes)")


def _start_and_wait_for(rehearsal: Rehearsal, execution_input, state: str) -> str:
    arn = rehearsal.start_execution(execution_input)
    deadline = time.monotonic() + 60
    while state not in [
        e["stateEnteredEventDetails"]["name"] for e in rehearsal.history(arn) if "stateEnteredEventDetails" in e
    ]:
        assert time.monotonic() < deadline, f"never reached {state}"
        time.sleep(0.2)
    return arn


def test_a_stopped_execution_stops_its_job_through_the_status_change_path_and_notifies(rehearsal: Rehearsal):
    rehearsal.bedrock.script = Script(job_ticks=10_000)  # training for as long as the test needs
    rehearsal.notifications()
    arn = _start_and_wait_for(rehearsal, {}, "CheckFineTune")
    result = rehearsal.stop_execution(arn)
    assert result.status == "ABORTED" and "Cleanup" not in result.states
    (job,) = rehearsal.bedrock.jobs.values()
    assert job.status in ("Stopping", "Stopped")
    (message,) = result.notifications
    assert message["status"] == "failed" and message["text"].startswith("STOPPED in ")
    assert "ExecutionAborted" in message["text"].splitlines()[0]
    assert f"Cleanup: stopped fine-tuning job {job.arn}" in message["text"]
    run_id = result.run_id
    assert "STOPPED in " in rehearsal.read_run_file(run_id, "report.html")  # a report for it too
    # ExecutionEnded's lines, the job it stopped among them, carry the run it cleaned up after
    ended = [r for r in rehearsal.logs.records() if r.get("step") == "ExecutionEnded"]
    assert ended and {(r["run_id"], r["execution_arn"]) for r in ended} == {(run_id, arn)}
    assert [r["resource_arn"] for r in ended if r.get("resource_action") == "stopped"] == [job.arn]


def test_a_stopped_execution_deletes_the_throughput_it_was_creating(rehearsal: Rehearsal):
    rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=10_000)  # Creating until stopped
    rehearsal.notifications()
    arn = _start_and_wait_for(rehearsal, THROUGHPUT, "CheckThroughput")
    result = rehearsal.stop_execution(arn)
    assert result.status == "ABORTED"
    assert rehearsal.bedrock.throughputs == {}
    (deleted,) = rehearsal.bedrock.deleted_throughputs
    (message,) = result.notifications
    assert f"deleted provisioned throughput {deleted}" in message["text"]
    assert rehearsal.active_model() is None


def test_the_janitor_deletes_an_orphaned_throughput_and_an_unpromoted_model_and_leaves_the_active_ones(
    rehearsal: Rehearsal,
):
    first = rehearsal.run(THROUGHPUT)
    assert first.status == "SUCCEEDED", first.cause
    active = rehearsal.active_model()
    # A second run whose throughput fails, whose Cleanup fails for good and whose status-change
    # cleanup fails too: its throughput and custom model are left behind, promoted by no one.
    rehearsal.bedrock.script.throughput_failure = "Insufficient capacity"
    rehearsal.lambdas.inject(Fault("Cleanup", "KeyError", "'throughput'", times=100))
    rehearsal.lambdas.inject(Fault("ExecutionEnded", "KeyError", "'throughput'", times=100))
    brief = {"throughput": {"enabled": True, "ttl_hours": 0.0003}}  # about a second
    second = rehearsal.run({**brief, "force": True})
    assert second.status == "FAILED" and "CleanupFailed" in second.states
    assert "ExecutionEnded failed" in rehearsal.ended_errors[second.execution_arn]
    assert len(rehearsal.bedrock.throughputs) == 2 and len(rehearsal.bedrock.custom_models) == 2
    time.sleep(1.5)

    report = rehearsal.invoke("Janitor", {})

    (left,) = rehearsal.bedrock.throughputs.values()
    assert left.arn == active["throughput_arn"]
    assert list(rehearsal.bedrock.custom_models) == [active["model_arn"]]
    assert len(report["deleted"]) == 2 and any("serves the active model" in line for line in report["kept"])
    (notification,) = rehearsal.notifications()
    # a text a person reads, each deleted resource on its own line
    assert notification["status"] == "janitor" and notification["subject"] == "Podium janitor deleted 2"
    assert notification["text"].startswith("The janitor deleted 2 resource(s)")
    assert all(f"  - {line}" in notification["text"] for line in report["deleted"])


def test_the_janitor_leaves_a_live_runs_resources_alone_and_the_run_promotes(rehearsal: Rehearsal):
    # The model's ttl (from the input: shorter is allowed) runs out while the run is still going:
    # it waits to create its evaluation throughput (whose invocations time out a few times).
    rehearsal.lambdas.inject(Fault("CreateThroughput", "Sandbox.Timedout", "Task timed out", times=8))
    arn = rehearsal.start_execution({"throughput": {"ttl_hours": 0.0003}})
    deadline = time.monotonic() + 60
    while not rehearsal.bedrock.custom_models:
        assert time.monotonic() < deadline, "the job never completed"
        time.sleep(0.1)
    time.sleep(1.5)  # past the model's ttl
    assert rehearsal.bedrock.throughputs == {}  # nothing serves the model yet

    report = rehearsal.invoke("Janitor", {})

    (model,) = rehearsal.bedrock.custom_models
    assert report["deleted"] == [] and rehearsal.bedrock.deleted_custom_models == []
    assert any(f"({model}): its execution {arn} is still running" in line for line in report["kept"])
    result = rehearsal.wait(arn)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.states.count("ThroughputCreateFailed") == 8 and result.notification["status"] == "promoted"
    assert rehearsal.active_model()["model_arn"] == model
    assert rehearsal.bedrock.tags[model]["podium:promoted"] == result.run_id


def test_a_failure_no_catch_sees_after_create_throughput_still_deletes_it_and_notifies(rehearsal: Rehearsal):
    # The throughput is created, then the state outgrows 256 KB: Step Functions fails the execution
    # where no Catch sees it, so only the status-change rule (ExecutionEnded) can clean up.
    rehearsal.lambdas.inject(Fault("CreateThroughput", "States.DataLimitExceeded"))
    result = rehearsal.run(THROUGHPUT)
    assert result.status == "FAILED" and result.error == "States.DataLimitExceeded"
    assert "Cleanup" not in result.states and result.states[-1] == "CreateThroughput"
    assert result.throughputs == [] and rehearsal.bedrock.throughputs == {}
    (deleted,) = rehearsal.bedrock.deleted_throughputs
    (message,) = result.notifications  # ExecutionEnded's: the run's report and a text, as Report writes them
    text = message["text"]
    assert message["status"] == "failed" and text.startswith("FAILED in CreateThroughput: States.DataLimitExceeded.")
    assert "in state CreateThroughput with States.DataLimitExceeded, which no Catch can handle" in text
    assert f"Cleanup: deleted provisioned throughput {deleted}" in text
    assert "Left running: nothing this run created is billed by the hour." in text
    assert "States.DataLimitExceeded" in rehearsal.read_run_file(result.run_id, "report.html")
    assert rehearsal.active_model() is None


def test_a_refused_evaluation_throughput_deletion_fails_the_run_naming_it(rehearsal: Rehearsal):
    refused = InjectedError("DeleteProvisionedModelThroughput", "AccessDeniedException", "not allowed", times=None)
    rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=1, errors=[refused])
    result = rehearsal.run({})  # evaluate on, serving throughput off: one for the evaluation only
    message = _failure(result)
    (left,) = rehearsal.bedrock.throughputs.values()
    assert message["error"] == "ThroughputNotDeleted" and left.arn in message["message"]
    assert rehearsal.active_model() is None and "Promote" not in result.states
    (billing,) = [item for item in message["left_billing"] if item["kind"] == "provisioned throughput"]
    assert billing["arn"] == left.arn and billing["janitor_deletes_at"]
    assert any(f"could NOT delete provisioned throughput {left.arn}" in line for line in message["cleanup"])
    assert any(f"the janitor deletes it once its ttl has passed, at {billing['janitor_deletes_at']}" in line
               for line in message["cleanup"])  # fmt: skip
    # the text a person reads names it, what it costs, and when the janitor deletes it
    (line,) = [line for line in message["text"].splitlines() if line.startswith(f"  - {left.arn}: ")]
    assert "NOT deleted" in line and "ESTIMATE $" in line and "the janitor will delete it at 20" in line
    assert message["text"].startswith("FAILED in ScoreEvaluation: ThroughputNotDeleted.")


@pytest.mark.parametrize(
    ("execution_input", "setting"),
    [
        ({"budget_usd": 1e12}, "budget_usd"),
        ({"throughput": {"enabled": True, "ttl_hours": 744}}, "throughput_ttl_hours"),
        ({"throughput": {"retire_previous": False}}, "throughput_retire_previous"),
    ],
)
def test_an_input_above_the_deployed_limits_is_refused_at_prepare(rehearsal: Rehearsal, execution_input, setting):
    message = _failure(rehearsal.run(execution_input))
    assert message["error"] == "InvalidInput" and f"change `{setting}` in cdk.json" in message["message"]
    assert rehearsal.lambdas.calls("StartGeneration") == [] and rehearsal.bedrock.throughputs == {}


def test_a_run_started_while_another_runs_ends_skipped_with_an_info_notification(rehearsal: Rehearsal):
    rehearsal.bedrock.script = Script(job_ticks=10_000)
    rehearsal.notifications()
    first = _start_and_wait_for(rehearsal, {}, "CheckFineTune")
    second = rehearsal.wait(rehearsal.start_execution({}))
    assert second.status == "SUCCEEDED" and "StartGeneration" not in second.states
    assert second.states[-5:] == ["Skipped", "Report", "NoticeKind", "Notify", "Succeeded"]
    message = second.notification
    assert message["status"] == "skipped" and first in message["message"] and first in message["text"]
    assert message["text"].startswith("Skipped: another run of this state machine was going")
    stopped = rehearsal.stop_execution(first)
    assert stopped.status == "ABORTED" and len(rehearsal.bedrock.jobs) == 1


def test_a_failing_report_step_still_notifies_in_plain_words_on_both_paths(rehearsal: Rehearsal):
    rehearsal.lambdas.inject(Fault("Report", "KeyError", "'gate'", times=100))
    dry = rehearsal.run({"dry_run": True})
    assert dry.status == "SUCCEEDED" and dry.states[-4:] == ["ReportFailed", "PlainNotice", "Notify", "Succeeded"]
    message = dry.notification
    assert (
        message["subject"].endswith("dry_run") and "The run report could not be written (KeyError)" in message["text"]
    )
    failed = rehearsal.run({"budget_usd": 0.01})
    assert failed.status == "FAILED"
    assert failed.states[-4:] == ["ReportFailed", "PlainFailureNotice", "NotifyFailure", "Failed"]
    text = failed.notification["text"]
    assert text.startswith("A Podium run FAILED with OverBudget:") and "could not be written (KeyError)" in text
