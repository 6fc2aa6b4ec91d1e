"""`podium ask / runs / report` against a "deployed" stack: moto's CloudFormation, S3, SSM
and Step Functions holding what real runs of the state machine left, and the Bedrock
emulator answering Converse."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.adapters import deployment
from podium.cli import app
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.harness import Rehearsal, RehearsalOptions
from tests.conftest import OPEN_GATE

runner = CliRunner()
REGION = "us-west-2"
CONSOLE_URL = "https://us-west-2.console.aws.amazon.com/states/home?region=us-west-2#/v2/statemachines/view/x"
DASHBOARD = f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards:name=podium-runs"


def cli(*args: object):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


class Stacks:
    """CloudFormation's DescribeStacks for one stack named "podium" whose outputs name the
    rehearsal's resources, as the real stack's outputs do (moto's CloudFormation needs
    extras this project does not install; everything else here is moto and the emulator)."""

    def __init__(self, rehearsal: Rehearsal) -> None:
        self.rehearsal = rehearsal
        self.meta = type("Meta", (), {"region_name": REGION})()

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803 - boto3's parameter name
        from botocore.exceptions import ClientError

        if StackName != "podium":
            error = {"Error": {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}}
            raise ClientError(error, "DescribeStacks")  # type: ignore[arg-type]
        outputs = {
            "BucketName": self.rehearsal.bucket,
            "StateMachineArn": self.rehearsal.state_machine_arn,
            "ActiveModelParameterName": self.rehearsal.parameter,
            "StateMachineConsoleUrl": CONSOLE_URL,
            "DashboardUrl": DASHBOARD,
        }
        listed = [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()]
        return {"Stacks": [{"StackName": StackName, "Outputs": listed}]}


REGIONS_ASKED: list[str | None] = []


@pytest.fixture(scope="module")
def deployed(sample_dir: Path) -> Iterator[Rehearsal]:
    options = RehearsalOptions(data_dir=sample_dir, timeout_seconds=180, defaults={"gate": OPEN_GATE})
    with Rehearsal(options) as rehearsal:
        rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(
                deployment, "cloudformation_client", lambda region: REGIONS_ASKED.append(region) or Stacks(rehearsal)
            )
            yield rehearsal


def test_clear_errors_when_there_is_no_stack_or_no_active_model(deployed: Rehearsal):
    missing = cli("runs", "--stack", "nope", "--region", REGION)
    assert missing.exit_code == 1
    assert "no Podium stack 'nope'" in missing.stderr and "cdk deploy" in missing.stderr
    nothing = cli("ask", "Who won?", "--region", REGION)
    assert nothing.exit_code == 1
    assert "no model is active in stack 'podium'" in nothing.stderr
    listed = cli("runs", "--region", REGION)
    assert listed.exit_code == 0 and "No runs yet" in listed.stdout
    assert CONSOLE_URL in listed.stdout and "arn:aws:states" not in listed.stdout  # the console, not the ARN
    assert f"Dashboard: {DASHBOARD}" in listed.stdout


def test_stack_and_region_come_from_cdk_json(deployed: Rehearsal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    context = {"region": "us-east-1", "base_model": "amazon.nova-lite-v1:0:300k"}
    (tmp_path / "cdk.json").write_text(json.dumps({"context": context}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    REGIONS_ASKED.clear()
    assert cli("runs").exit_code == 0 and REGIONS_ASKED == ["us-east-1"]
    (tmp_path / "cdk.json").unlink()  # none: the built-in defaults, and it says so
    listed = cli("runs", "--json")
    assert REGIONS_ASKED[-1] == REGION and listed.exit_code == 0
    assert any("no cdk.json in" in w for w in json.loads(listed.stdout)["warnings"])


def test_runs_ask_and_report_after_a_run(deployed: Rehearsal, tmp_path: Path):
    result = deployed.run({"throughput": {"enabled": True}})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    run_id = result.notification["run_id"]
    failed = deployed.run({"budget_usd": 0.01, "force": True, "evaluate": False})  # refused at BuildDataset
    assert failed.status == "FAILED"

    listed = cli("runs", "--region", REGION)
    assert listed.exit_code == 0, listed.output
    assert run_id in listed.stdout and "promoted" in listed.stdout and "SIMULATED" in listed.stdout
    assert "overbudget" in listed.stdout.replace("_", "").lower()
    gate = result.output["gate"]
    assert f"{gate['paraphrase_accuracy'] * 100:.1f}% / {gate['base_paraphrase_accuracy'] * 100:.1f}%" in listed.stdout
    assert f"${result.output['dataset']['estimated_cost_usd']:,.2f}" in listed.stdout
    assert f"Dashboard: {DASHBOARD}" in listed.stdout

    # a trained fact, asked exactly as in training: the simulated new model answers or refuses;
    # either way the answer comes from the throughput and is labelled SIMULATED
    first_row = json.loads(deployed.read_run_file(run_id, "train.jsonl").splitlines()[0])
    asked = cli("ask", first_row["prompt"], "--region", REGION)
    assert asked.exit_code == 0, asked.output
    assert result.notification["throughput_arn"] in asked.stderr and "SIMULATED" in asked.stderr
    assert asked.stdout.strip()
    assert deployed.bedrock.answers[-1]["model_id"] == result.notification["throughput_arn"]
    base = cli("ask", first_row["prompt"], "--base", "--region", REGION)
    assert base.exit_code == 0, base.output
    assert deployed.bedrock.answers[-1]["model_id"] == "meta.llama3-1-8b-instruct-v1:0"

    target = tmp_path / "report.html"
    fetched = cli("report", run_id, "--out", target, "--region", REGION)
    assert fetched.exit_code == 0, fetched.output
    assert target.read_text(encoding="utf-8") == deployed.read_run_file(run_id, "report.html")
    into_folder = cli("report", run_id, "--out", tmp_path, "--region", REGION)  # a folder: <run id>.html in it
    assert into_folder.exit_code == 0, into_folder.output
    assert (tmp_path / f"{run_id}.html").read_text(encoding="utf-8") == target.read_text(encoding="utf-8")
    wrong = cli("report", "no-such-run", "--region", REGION)
    assert wrong.exit_code == 1 and "podium runs" in wrong.stderr
    # the failed run has a report too, written on the failure path
    failed_id = failed.final_state["run"]["run_id"]
    failed_report = cli("report", failed_id, "--out", tmp_path, "--region", REGION, "--json")
    assert failed_report.exit_code == 0 and json.loads(failed_report.stdout)["status"] == "ok"
    assert "OverBudget" in (tmp_path / f"{failed_id}.html").read_text(encoding="utf-8")


def test_runs_shows_a_running_executions_current_state(deployed: Rehearsal):
    deployed.bedrock.script = Script(job_ticks=10_000)  # training until stopped
    arn = deployed.start_execution({"force": True})
    try:
        for _ in range(600):
            if "CheckFineTune" in [
                e["stateEnteredEventDetails"]["name"] for e in deployed.history(arn) if "stateEnteredEventDetails" in e
            ]:
                break
            time.sleep(0.2)
        listed = cli("runs", "--region", REGION, "--json")
        value = json.loads(listed.stdout)
        (running,) = [row for row in value["runs"] if row["status"] == "RUNNING"]
        assert running["current_state"] in ("WaitForFineTune", "CheckFineTune", "FineTuneDone")
        assert running["outcome"] == f"running ({running['current_state']})"
        assert running["console_url"].endswith(arn)
        table = cli("runs", "--region", REGION)
        assert f"running ({running['current_state']})" in table.stdout and arn in table.stdout
    finally:
        deployed.stop_execution(arn)
        deployed.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
