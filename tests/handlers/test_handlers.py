"""Each handler end to end through its adapters: moto for AWS, the Bedrock emulator,
`responses` for Databricks. Events are shaped exactly as the ASL's Parameters shape them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import responses

from podium.adapters.errors import BedrockRejected
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.harness import Rehearsal
from podium.workflow.errors import (
    FineTuneFailed,
    GenerationFailed,
    InvalidInput,
    NoSourceData,
    ThroughputFailed,
)
from podium.workflow.events import STEP_MODELS
from tests.handlers.conftest import (
    DATABRICKS_HOST,
    DATABRICKS_TOKEN,
    GOOD_SECRET,
    HOSTLESS_SECRET,
    invoke,
    prepare_event,
)


def _check(step: str, result: dict[str, Any]) -> dict[str, Any]:
    """The handler's return value is exactly its step's result model."""
    _, model = STEP_MODELS[step]
    assert model.model_validate(result).to_payload() == result
    return result


def _prepare(cloud: Rehearsal, execution_input: Any = None, name: str | None = None) -> dict[str, Any]:
    name = name or f"handler-{uuid.uuid4().hex[:8]}"
    return _check("Prepare", invoke("Prepare", prepare_event(cloud, execution_input or {}, name)))


@pytest.fixture(scope="module")
def generated(cloud: Rehearsal) -> dict[str, Any]:
    """The state after Prepare → StartGeneration → CheckGeneration (built-in generator)."""
    run = _prepare(cloud, name="generated-run")
    generation = _check("StartGeneration", invoke("StartGeneration", {"run": run}))
    generation = _check("CheckGeneration", invoke("CheckGeneration", {"run": run, "generation": generation}))
    return {"run": run, "generation": generation}


@pytest.fixture(scope="module")
def built(cloud: Rehearsal, generated: dict[str, Any]) -> dict[str, Any]:
    dataset = invoke("BuildDataset", {"run": generated["run"], "generation": generated["generation"]})
    return {**generated, "dataset": _check("BuildDataset", dataset)}


@pytest.fixture
def bedrock(cloud: Rehearsal) -> Iterator[Any]:
    cloud.reset()
    cloud.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
    yield cloud.bedrock


def _trained(built: dict[str, Any], run_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    run = json.loads(json.dumps(built["run"]))
    for key, value in (run_overrides or {}).items():
        run["settings"][key] = value
    finetune = invoke("StartFineTune", {"run": run, "dataset": built["dataset"]})
    finetune = invoke("CheckFineTune", {"run": run, "finetune": finetune})
    return {**built, "run": run, "finetune": _check("CheckFineTune", finetune)}


# ---- Prepare ----------------------------------------------------------------------------


def test_prepare_returns_the_run(cloud: Rehearsal):
    run = _prepare(cloud, {"dry_run": True}, name="Nightly Run #7")
    assert run["run_id"].startswith("nightly-run-7-")
    assert run["run_prefix"] == f"runs/{run['run_id']}/"
    assert run["settings"]["dry_run"] is True
    assert run["settings"]["poll"] == {"min_seconds": 1, "max_seconds": 1, "max_check_failures": 20}  # deployed


@pytest.mark.parametrize(
    ("execution_input", "error", "words"),
    [
        (["not", "an", "object"], InvalidInput, "must be a JSON object"),
        ({"budget": 5}, InvalidInput, "budget: is not a known setting"),
        ({"hyperparameters": {"epochCount": 11}}, InvalidInput, "epochCount=11 is outside the allowed range"),
        ({"data_prefix": "data/empty/"}, NoSourceData, "data_prefix: found nothing under s3://"),
    ],
)
def test_prepare_refuses_bad_input_naming_the_key(cloud: Rehearsal, execution_input, error, words):
    with pytest.raises(error, match=words):
        invoke("Prepare", prepare_event(cloud, execution_input, f"bad-{uuid.uuid4().hex[:6]}"))


def test_prepare_skips_while_another_execution_is_running(cloud: Rehearsal):
    running = cloud.start_execution({}, name="still-running")  # never executes: stays RUNNING
    try:
        second = invoke("Prepare", prepare_event(cloud, {}, "second"))
        assert (
            "execution:podium-finetune:still-running of this state machine is still running" in (second["skip_reason"])
        )
        # The running execution itself may pass Prepare.
        assert invoke("Prepare", prepare_event(cloud, {}, "still-running"))["skip_reason"] == ""
    finally:
        boto3.client("stepfunctions").stop_execution(executionArn=running)


def test_prepare_checks_the_databricks_secret_without_showing_it(cloud: Rehearsal):
    settings = {
        "generator": "databricks",
        "databricks": {"secret_name": HOSTLESS_SECRET, "job_id": 42, "warehouse_id": "wh-1"},
    }
    cloud.logs.clear()
    with pytest.raises(InvalidInput, match=r'databricks\.secret_name: secret .* has no "host" key') as caught:
        invoke("Prepare", prepare_event(cloud, settings, "hostless"))
    assert DATABRICKS_TOKEN not in str(caught.value)
    # The refusal is logged, in its own words, without the token
    (refused,) = [r for r in cloud.logs.records() if r.get("error") == "InvalidInput"]
    assert refused["message"] == f"Prepare failed: InvalidInput: {caught.value}" and refused["step"] == "Prepare"
    assert DATABRICKS_TOKEN not in "\n".join(cloud.logs.lines())
    missing = {**settings, "databricks": {**settings["databricks"], "secret_name": "podium/nope"}}
    with pytest.raises(InvalidInput, match="does not exist"):
        invoke("Prepare", prepare_event(cloud, missing, "missing-secret"))


# ---- generation and dataset -------------------------------------------------------------------


def test_builtin_generation_succeeds(generated: dict[str, Any]):
    generation = generated["generation"]
    assert generation["generator"] == "builtin" and generation["state"] == "SUCCEEDED"
    assert generation["next_poll_seconds"] == 1


def test_build_dataset_writes_the_run_files(cloud: Rehearsal, built: dict[str, Any]):
    dataset, run_id = built["dataset"], built["run"]["run_id"]
    assert dataset["valid"] and not dataset["over_budget"] and not dataset["unchanged"]
    report = json.loads(cloud.read_run_file(run_id, "report.json"))
    assert report["dataset_hash"] == dataset["dataset_hash"]
    train = cloud.read_run_file(run_id, "train.jsonl").splitlines()
    assert len(train) == dataset["train_rows"] > 0
    assert set(json.loads(train[0])) == {"prompt", "completion"}  # Llama 3.1's format


def test_build_dataset_reports_the_source_tables_disagreement(cloud: Rehearsal, built: dict[str, Any]):
    # The sample's medals_total.csv leaves out Belgium's bronze, which medals.csv lists.
    report = json.loads(cloud.read_run_file(built["run"]["run_id"], "report.json"))
    assert report["reconciliation"] == "checked by the builtin generator"
    medal_counts = {d["key"]: d for d in report["disagreements"] if d["check"] == "medal count"}
    assert medal_counts["BEL|bronze"]["values"] == {"medals.csv": "1", "medals_total.csv": "0"}
    assert medal_counts["BEL|bronze"]["used"] == "medals.csv"


def test_databricks_failure_carries_its_message(cloud: Rehearsal):
    says = "Run failed with error message\n Cluster 0101 was terminated: SPOT_INSTANCE_TERMINATION"
    run = _prepare(
        cloud,
        {
            "generator": "databricks",
            "databricks": {"secret_name": GOOD_SECRET, "job_id": 42, "warehouse_id": "wh-1"},
        },
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.add_passthru("http://127.0.0.1")
        http.get(f"{DATABRICKS_HOST}/.well-known/databricks-config", status=404, json={"error_code": "NOT_FOUND"})
        http.post(f"{DATABRICKS_HOST}/api/2.2/jobs/run-now", json={"run_id": 77, "number_in_job": 1})
        http.get(
            f"{DATABRICKS_HOST}/api/2.2/jobs/runs/get",
            json={
                "job_id": 42,
                "run_id": 77,
                "run_page_url": f"{DATABRICKS_HOST}/#job/42/run/77",
                "state": {"life_cycle_state": "INTERNAL_ERROR", "state_message": says},
            },
        )
        cloud.logs.clear()
        generation = _check("StartGeneration", invoke("StartGeneration", {"run": run}))
        assert generation["handle"]["databricks_run_id"] == 77
        with pytest.raises(GenerationFailed, match="SPOT_INSTANCE_TERMINATION") as caught:
            invoke("CheckGeneration", {"run": run, "generation": generation})
    assert DATABRICKS_TOKEN not in str(caught.value) + json.dumps(generation)
    logged = "\n".join(cloud.logs.lines())
    assert "started Databricks job 42: job run 77" in logged and "SPOT_INSTANCE_TERMINATION" in logged
    assert DATABRICKS_TOKEN not in logged


# ---- fine-tuning --------------------------------------------------------------------------------


def test_start_fine_tune_twice_returns_the_same_job(bedrock, built: dict[str, Any]):
    event = {"run": built["run"], "dataset": built["dataset"]}
    first = _check("StartFineTune", invoke("StartFineTune", event))
    again = _check("StartFineTune", invoke("StartFineTune", event))  # e.g. Step Functions' Retry
    assert again["job_arn"] == first["job_arn"]
    assert len(bedrock.jobs) == 1
    (job,) = bedrock.jobs.values()
    assert job.request["hyperParameters"] == {"epochCount": "5", "batchSize": "1", "learningRate": "0.0001"}
    assert job.request["trainingDataConfig"]["s3Uri"] == built["dataset"]["training_uri"]
    assert len(first["job_name"]) <= 63


def test_check_fine_tune_completes_with_losses(bedrock, built: dict[str, Any]):
    finetune = _trained(built)["finetune"]
    assert finetune["status"] == "Completed" and finetune["output_model_arn"]
    assert finetune["training_loss"] == bedrock.script.training_loss


def test_check_fine_tune_fails_with_bedrocks_message(bedrock, built: dict[str, Any]):
    bedrock.script.job_failure = "The provided training data has invalid JSON on line 12"
    with pytest.raises(FineTuneFailed, match="invalid JSON on line 12"):
        _trained(built)


def test_bedrock_rejection_is_its_own_error_with_bedrocks_words(bedrock, built: dict[str, Any]):
    # A rule Bedrock applies at CreateModelCustomizationJob that Podium's checks did not catch.
    bedrock.script.job_rejection = "Unable to read train data: the object does not exist"
    with pytest.raises(BedrockRejected, match="ValidationException: Unable to read train data"):
        invoke("StartFineTune", {"run": built["run"], "dataset": built["dataset"]})


# ---- throughput, promotion, cleanup --------------------------------------------------------------


def _deployed(built: dict[str, Any]) -> dict[str, Any]:
    state = _trained(
        built,
        {"throughput": {"enabled": True, "model_units": 1, "commitment": None, "retire_previous": True}},
    )
    throughput = invoke("CreateThroughput", {"run": state["run"], "finetune": state["finetune"]})
    throughput = invoke("CheckThroughput", {"run": state["run"], "throughput": throughput})
    return {**state, "throughput": _check("CheckThroughput", throughput)}


def test_throughput_comes_into_service(bedrock, built: dict[str, Any]):
    throughput = _deployed(built)["throughput"]
    assert throughput["created"] and throughput["status"] == "InService"
    assert bedrock.throughputs[throughput["arn"]].model_arn == next(iter(bedrock.custom_models))


def test_throughput_failure_carries_bedrocks_message(bedrock, built: dict[str, Any]):
    bedrock.script.throughput_failure = "Model units are not available for this model"
    with pytest.raises(ThroughputFailed, match="Model units are not available"):
        _deployed(built)


def _evaluated(state: dict[str, Any]) -> dict[str, Any]:
    """EvaluateChunk until done, then ScoreEvaluation, through the real handlers and the emulator's Converse."""
    evaluation: dict[str, Any] = {"next_chunk": 0, "chunks": 0, "questions": 0, "done": False}
    chunks = 0
    while not evaluation["done"]:
        event = {key: state[key] for key in ("run", "dataset", "finetune", "throughput")}
        evaluation = _check("EvaluateChunk", invoke("EvaluateChunk", {**event, "evaluation": evaluation}))
        chunks += 1
    assert chunks == evaluation["chunks"] >= 1
    event = {key: state[key] for key in ("run", "dataset", "finetune", "throughput")}
    gate = _check("ScoreEvaluation", invoke("ScoreEvaluation", {**event, "evaluation": evaluation}))
    return {**state, "evaluation": evaluation, "gate": gate}


def test_evaluate_asks_both_models_and_scores_them_simulated(cloud: Rehearsal, bedrock, built: dict[str, Any]):
    state = _evaluated(_deployed(built))
    gate, run_id = state["gate"], state["run"]["run_id"]
    assert gate["simulated"] and gate["decision"] == "promote", gate["message"]
    assert gate["paraphrase_accuracy"] is not None and gate["base_paraphrase_accuracy"] is not None
    scores = json.loads(cloud.read_run_file(run_id, "eval.json"))
    assert scores["label"].startswith("SIMULATED") and scores["questions"] == state["evaluation"]["questions"]
    answers = cloud.read_run_file(run_id, "eval/answers.jsonl").splitlines()
    assert len(answers) == 2 * scores["questions"]
    asked = {call["model_id"] for call in bedrock.answers}
    assert asked == {state["throughput"]["arn"], "meta.llama3-1-8b-instruct-v1:0"}  # the new and the base model


def test_promote_writes_the_active_model_record(cloud: Rehearsal, bedrock, built: dict[str, Any]):
    state = _evaluated(_deployed(built))
    event = {key: state[key] for key in ("run", "dataset", "finetune", "throughput", "gate")}
    outcome = _check("Promote", invoke("Promote", event))
    assert outcome["status"] == "promoted"
    assert cloud.active_model()["decision"] == "promote"
    active = cloud.active_model()
    assert active["model_arn"] == state["finetune"]["output_model_arn"] == outcome["model_arn"]
    assert active["throughput_arn"] == state["throughput"]["arn"]
    assert active["dataset_hash"] == state["dataset"]["dataset_hash"]
    assert json.loads(cloud.read_run_file(state["run"]["run_id"], "promotion.json"))["previous"] is None
    # then the Report step: report.html and the notification's text
    notice = _check("Report", invoke("Report", {**state, "outcome": outcome}))
    assert notice["status"] == "promoted" and not notice["failed"]
    assert notice["text"].startswith("Promoted: the new model passed the gate")
    report = cloud.read_run_file(state["run"]["run_id"], "report.html")
    assert "SIMULATED" in report and "<svg" in report and notice["report_html_uri"].endswith("/report.html")


def test_cleanup_stops_the_job_and_deletes_the_unpromoted_throughput(bedrock, built: dict[str, Any]):
    state = _deployed(built)
    failure = {"Error": "States.Timeout", "Cause": None}
    summary = _check("Cleanup", invoke("Cleanup", {**state, "input": {}, "error": failure}))
    assert bedrock.throughputs == {} and bedrock.deleted_throughputs == [state["throughput"]["arn"]]
    assert summary["error"] == "States.Timeout" and summary["run_id"] == state["run"]["run_id"]

    other_run = {**state["run"], "run_id": "other-run"}
    running = invoke("StartFineTune", {"run": other_run, "dataset": state["dataset"]})
    bedrock.script.job_ticks = 100
    summary = _check("Cleanup", invoke("Cleanup", {"run": other_run, "finetune": running, "error": failure}))
    assert bedrock.jobs[running["job_arn"]].status in ("Stopping", "Stopped")
    assert summary["cleanup"] == [f"stopped fine-tuning job {running['job_arn']}"]
