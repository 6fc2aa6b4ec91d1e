"""`podium rehearse`: the whole pipeline on this machine through the CLI (real ASL in moto's
executor, real handlers, Bedrock emulator), its progress, summary and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import app
from podium.rehearsal.console import BEDROCK_JOB, INJECTED_ERROR, plan_failure
from tests.conftest import OPEN_GATE

runner = CliRunner()


def rehearse(*args: object):
    return runner.invoke(app, ["rehearse", *(str(a) for a in args)], env={"COLUMNS": "250"})


def open_gate_cdk_json(folder: Path) -> Path:
    """The repository's cdk.json deploying OPEN_GATE: an execution's input may only make the gate stricter."""
    config = json.loads(Path("cdk.json").read_text(encoding="utf-8"))
    config["context"].update({f"gate_{name}": value for name, value in OPEN_GATE.items()})
    path = folder / "cdk.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_a_successful_rehearsal_writes_the_run_files_and_prints_the_summary(sample_dir: Path, tmp_path: Path):
    result = rehearse(
        "--data", sample_dir, "--out", tmp_path / "out", "--throughput", "--cdk-json", open_gate_cdk_json(tmp_path)
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    # one folder per run, named by its run id, beside the folder's memory (podium.rehearsal.workspace)
    (run_dir,) = [path for path in (tmp_path / "out").iterdir() if path.is_dir()]
    assert {path.name for path in (tmp_path / "out").iterdir() if path.is_file()} == {"rehearsal-state.json"}
    run_id = run_dir.name
    names = {path.name for path in run_dir.iterdir()}
    assert {"train.jsonl", "validation.jsonl", "eval.jsonl", "report.json", "promotion.json"} <= names
    assert {"eval.json", "report.html", "execution.json"} <= names  # Evaluate ran; the report is copied out
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    (metrics,) = run_dir.glob("output/*/training_artifacts/step_wise_training_metrics.csv")
    assert "SIMULATED" in metrics.read_text(encoding="utf-8")

    summary = result.stdout
    assert "Outcome: SUCCEEDED" in summary
    assert "Evaluation (SIMULATED): new model: paraphrase" in summary
    assert "Evaluation (SIMULATED): base model: paraphrase" in summary
    assert "Gate: promote — SIMULATED evaluation passed the gate — paraphrase accuracy" in summary
    assert f"Report: {run_dir / 'report.html'}" in summary
    assert f"Run id: {run_id}" in summary
    assert f"Run files: {run_dir}/ — train.jsonl, validation.jsonl, eval.jsonl, report.json" in summary
    counts = report["counts"]
    assert f"{counts['train_rows']:,} train, {counts['validation_rows']:,} validation" in summary
    relations = [row for row in report["coverage"] if row["facts_available"]]  # not the packed-row kinds
    # The default `deep` recipe leaves event → sport out (off teach_priorities): it says so.
    taught = [row for row in relations if row["facts_left_out"] == 0]
    assert [row["relation"] for row in relations if row not in taught] == ["event_sport"]
    assert f"{len(taught)} of {len(relations)} relations fully trained; partly: event_sport 0.0%" in summary
    assert f"ESTIMATE for a real run: ≈ ${report['estimate']['run_usd']:,.2f}" in summary
    assert "Losses (SIMULATED): training 1.25, validation 1.5" in summary
    assert "Active model (the record Promote wrote to SSM)" in summary
    assert f"run_id: {run_id}" in summary and f"dataset_hash: {report['dataset_hash']}" in summary
    assert "status promoted, subject 'Podium run" in summary and "  Promoted: the new model passed the gate" in summary
    assert f"  or: podium report {run_id} --stack podium --region us-west-2" in summary
    assert "Provisioned throughput left: 1 — on AWS a provisioned throughput bills every hour" in summary
    assert f"podium-pt-{run_id} (InService, 1 model unit(s), no commitment, serves the active model)" in summary
    # progress, on stderr: what runs, each state with its time, the throughput path
    assert "Rehearsing statemachine/finetune.asl.json" in result.stderr
    assert summary.strip().splitlines()[-1].startswith("Next: deploy it with `npx aws-cdk@2 deploy`")
    assert f"Look again: podium runs --rehearsal {tmp_path / 'out'}" in summary
    for state in (
        "Prepare",
        "BuildDataset",
        "CheckFineTune",
        "CreateThroughput",
        "CheckThroughput",
        "Promote",
    ):
        assert f"✓ {state} " in result.stderr
    assert "(scaled down by the poll settings)" in result.stderr
    assert "execution SUCCEEDED" in result.stderr


def test_an_injected_failure_exits_1_with_its_message_and_leaves_nothing_running(sample_dir: Path, tmp_path: Path):
    says = "[TABLE_OR_VIEW_NOT_FOUND] The table or view `paris.raw.medals` cannot be found."
    result = rehearse(
        "--data", sample_dir, "--out", tmp_path / "out",
        "--fail-step", "StartGeneration", "--fail-with", f"DatabricksRejected: {says}",
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    summary = result.stdout
    assert "Outcome: FAILED" in summary
    assert "Error: DatabricksRejected in state StartGeneration" in summary
    assert f"Message: {says}" in summary
    assert "status failed, subject 'Podium run" in summary  # the notification carries the same words
    assert "  FAILED in StartGeneration: DatabricksRejected." in summary and f"  {says}" in summary
    assert "Injected: --fail-step StartGeneration" in summary
    assert "Dataset: none built" in summary and "Losses: none" in summary
    assert "Active model: none" in summary
    assert "Provisioned throughput left: none (this run created none)" in summary
    assert "bills every hour until it is deleted" in summary
    assert "StartGeneration failed: DatabricksRejected" in result.stderr
    assert "execution FAILED" in result.stderr


@pytest.mark.parametrize(
    ("execution_input", "words"),
    [
        ({"gate": {"min_paraphrase_accuracy": 0}}, "gate.min_paraphrase_accuracy: 0 is below the deployed 0.5"),
        ({"budget_usd": 1e12}, "budget_usd: 1e+12 is above the deployed 150"),
        ({"throughput": {"ttl_hours": 744}}, "throughput.ttl_hours: 744 is above the deployed 4"),
    ],
)
def test_an_input_looser_than_cdk_json_is_refused_at_prepare(sample_dir: Path, tmp_path: Path, execution_input, words):
    # cdk.json as deployed: its budget, gate and ttl are the limits an execution's input may only tighten
    result = rehearse("--data", sample_dir, "--out", tmp_path / "out", "--input", json.dumps(execution_input))
    assert result.exit_code == 1, result.output
    assert "Error: InvalidInput in state Prepare" in result.stdout and words in result.stdout
    key = words.split(":")[0].replace(".", "_")
    assert f"change `{key}` in cdk.json" in result.stdout
    assert "Provisioned throughput left: none (this run created none)" in result.stdout


def test_a_failure_no_catch_sees_is_reported_by_execution_ended_in_the_json_too(sample_dir: Path, tmp_path: Path):
    result = rehearse(
        "--data", sample_dir, "--out", tmp_path / "out", "--throughput", "--json",
        "--fail-step", "CreateThroughput", "--fail-with", "States.DataLimitExceeded",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    value = json.loads(result.stdout)
    assert value["status"] == "failed" and value["outcome"] == "failed" and value["throughputs_left"] == []
    # no Report state ran: the text is the one ExecutionEnded published, with what its cleanup did
    assert value["notification"].startswith("FAILED in CreateThroughput: States.DataLimitExceeded.")
    assert "Cleanup: deleted provisioned throughput" in value["notification"]


def test_a_training_file_bedrock_refuses_fails_at_check_fine_tune_with_bedrocks_message(
    sample_dir: Path, tmp_path: Path
):
    result = rehearse(
        "--data", sample_dir, "--out", tmp_path / "out", "--fail-step", "BedrockData", "--fail-with", "wrong-format"
    )
    assert result.exit_code == 1, result.output
    summary = result.stdout
    assert "Error: FineTuneFailed in state CheckFineTune" in summary
    assert "Message: " in summary and "Data validation failed for the train data" in summary
    assert "status failed, subject" in summary and 'Line 1: Each record must have a "prompt"' in summary
    assert "Active model: none" in summary and "Provisioned throughput left: none" in summary


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--input", "{not json"], "--input is not valid JSON"),
        (["--input", "[1, 2]"], "--input must be a JSON object"),
        (["--fail-with", "boom"], "--fail-with needs --fail-step"),
        (["--fail-step", "Nope"], "use one of BedrockJob, BedrockThroughput, BedrockDeployment, Prepare"),
        (["--fail-step", "BedrockThroughput", "--no-throughput"], "needs provisioned throughput on"),
        (["--model", "meta.llama3-8b-instruct-v1:0"], "cannot be fine-tuned"),
    ],
)
def test_usage_errors_exit_2_before_anything_runs(sample_dir: Path, tmp_path: Path, args, expected):
    result = rehearse("--data", sample_dir, "--out", tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert not (tmp_path / "out").exists()


def test_without_moto_it_says_how_to_get_it(sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "moto", None)  # `import moto` now raises ImportError
    result = rehearse("--data", sample_dir, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "rehearsal needs moto: make rehearse (or pip install -e '.[rehearsal]')" in result.stderr


def test_fail_step_targets_bedrock_itself_or_a_lambda_step():
    job = plan_failure("bedrockjob", "Training data contains 3 rows longer than the limit")
    assert job.target == BEDROCK_JOB and job.faults == ()
    assert job.script.job_failure == "Training data contains 3 rows longer than the limit"

    throttled = plan_failure("StartFineTune", "ThrottlingException: Rate exceeded")
    (fault,) = throttled.faults
    assert (fault.step, fault.error_type, fault.message, fault.times) == (
        "StartFineTune", "ThrottlingException", "Rate exceeded", 1,
    )  # fmt: skip
    assert throttled.recovers

    plain = plan_failure("Promote", "Note: the gate refused")
    (fault,) = plain.faults
    assert fault.error_type == INJECTED_ERROR and fault.message == "Note: the gate refused"
    assert fault.times > 6 and not plain.recovers  # more than the Retry's attempts


def test_without_input_it_plans_and_estimates_what_the_deployed_stack_would(sample_dir: Path, tmp_path: Path):
    """cdk.json's defaults (2 epochs, no throughput), not the model's built-in ones."""
    from podium.cli.options import deployed_settings
    from podium.dataset.build import generate

    result = rehearse("--data", sample_dir, "--out", tmp_path / "out", "--input", '{"dry_run": true}')
    assert result.exit_code == 0, result.output
    (run_dir,) = [path for path in (tmp_path / "out").iterdir() if path.is_dir()]
    rehearsed = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))

    deployed = deployed_settings(Path("cdk.json")).defaults
    assert deployed.hyperparameters["epochCount"] == 2 and not deployed.throughput.enabled
    expected = generate(
        sample_dir,
        deployed.base_model,
        tmp_path / "generated",
        hyperparameters=deployed.hyperparameters,
        prices=deployed.prices,
        throughput=deployed.throughput,
        evaluate=deployed.evaluate,
    )
    assert rehearsed["estimate"] == expected["estimate"]
    # generate also counts the facts it read from the tables (the workflow's generator step does that)
    assert rehearsed["counts"] == {key: expected["counts"][key] for key in rehearsed["counts"]}
    assert rehearsed["coverage"] == expected["coverage"]
    assert "a deployed run waits 60 s to 600 s between checks" in result.stderr
    assert "Settings: cdk.json context, as deployed" in result.stderr


def test_json_summary_on_the_discard_path_has_the_outcome_the_gate_checks_files_and_problems(
    sample_dir: Path, tmp_path: Path
):
    unmeetable = json.dumps({"gate": {"min_paraphrase_accuracy": 1.0}})
    result = rehearse("--data", sample_dir, "--out", tmp_path / "out", "--json", "--input", unmeetable)
    assert result.exit_code == 0, result.output  # a decision, not a failure
    value = json.loads(result.stdout)  # stdout is the JSON alone: progress went to stderr
    assert value["status"] == "ok" and value["exit_code"] == 0 and value["problems"] == []
    assert value["execution_status"] == "SUCCEEDED" and value["outcome"] == "discarded"
    assert value["gate"]["decision"] == "discard"
    failed = {check["setting"]: check for check in value["gate"]["checks"] if not check["passed"]}
    assert failed["gate.min_paraphrase_accuracy"]["threshold"] == 1.0
    assert value["notification"].startswith("Discarded: paraphrase accuracy")
    assert value["active_model"] is None and value["throughputs_left"] == []
    assert all("planted on purpose" in w for w in value["warnings"]) and value["warnings"]
    # by default (cdk.json) the run is evaluated; the gate then promotes or discards
    assert value["states"][:2] == ["Start", "Prepare"] and {"StartGeneration", "GateDecision"} <= set(value["states"])
    assert {Path(f).name for f in value["files"]} >= {"train.jsonl", "validation.jsonl", "report.json"}
    assert all(Path(f).is_file() for f in value["files"])
    assert value["counts"]["train_rows"] > 0 and value["run_id"] == Path(value["run_dir"]).name


def test_data_warnings_name_the_users_folder_not_the_scratch_copy(tmp_path: Path):
    import logging

    from podium.cli.output import DataWarnings

    scratch = tmp_path / "podium-data-k3j2x"
    with DataWarnings(Path("data/sample")) as caught:
        logging.getLogger("podium.dataset.tables").warning("%s/athletes.csv:51: column 'events': bad list", scratch)
        logging.getLogger("podium.dataset.tables").warning("%s/athletes.csv:51: column 'events': bad list", scratch)
    assert caught.lines == ["data/sample/athletes.csv:51: column 'events': bad list"]
    assert logging.getLogger("podium.dataset").propagate is True  # restored


def test_outside_a_clone_it_says_rehearsal_needs_the_repository(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import podium.cli.rehearsal

    installed = tmp_path / "site-packages" / "podium" / "cli" / "rehearsal.py"  # a wheel: no lambdas/ beside podium/
    monkeypatch.setattr(podium.cli.rehearsal, "__file__", str(installed))
    result = rehearse("--data", sample_dir, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "run it from a clone of Podium" in result.stderr
    assert not (tmp_path / "out").exists()
