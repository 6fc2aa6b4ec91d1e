"""deployment on_demand rehearsed: the real state machine, handlers and roles with a stack deployed
for Nova Lite in us-east-1, evaluating through a custom model deployment instead of a provisioned
throughput (issue 19's Done means), plus `podium rehearse` with copies of cdk.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import app
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.harness import Rehearsal, RehearsalOptions
from tests.conftest import OPEN_GATE
from tests.workflow.test_rehearsal import _start_and_wait_for

NOVA_LITE = "amazon.nova-lite-v1:0:300k"
ON_DEMAND_STACK = {"base_model": NOVA_LITE, "deployment": "on_demand", "hyperparameters": {"epochCount": 2}}
SERVING = {"throughput": {"enabled": True}}


def _cdk_json(folder: Path, **context: object) -> Path:
    """A copy of the repository's cdk.json with `context` laid over its context."""
    config = json.loads(Path("cdk.json").read_text(encoding="utf-8"))
    config["context"].update(context)
    path = folder / "cdk.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def _rehearse(*args: object):
    return CliRunner().invoke(app, ["rehearse", *(str(a) for a in args)], env={"COLUMNS": "250"})


def test_a_nova_stack_deployed_on_demand_evaluates_through_a_deployment_and_promotes(sample_dir: Path, tmp_path: Path):
    """Done means 1: cdk.json with region us-east-1, Nova Lite and deployment on_demand (the default
    gate): no throughput, a deployment evaluated through, promoted, and no hourly line."""
    cdk_json = _cdk_json(tmp_path, region="us-east-1", base_model=NOVA_LITE, deployment="on_demand")
    result = _rehearse("--data", sample_dir, "--out", tmp_path / "out", "--cdk-json", cdk_json)

    assert result.exit_code == 0, result.output
    summary = result.stdout
    (run_dir,) = (tmp_path / "out").iterdir()
    assert "Outcome: SUCCEEDED" in summary and "status promoted): Promoted arn:aws:bedrock:us-east-1:" in summary
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    estimate = report["estimate"]
    assert estimate["deployment"] == "on_demand" and estimate["throughput_usd_per_hour"] is None
    cost = summary[summary.index("Cost: ") : summary.index("ESTIMATE for a real run")]
    assert "ESTIMATE on-demand serving (custom model deployment): per token only" in cost
    assert "ESTIMATE evaluation on demand" in cost and "hour" not in cost
    assert "Provisioned throughput left" not in summary
    assert "Custom model deployment left: none (the one this run created was deleted once it was no longer" in summary
    logs = [json.loads(line) for line in (run_dir / "function-logs.jsonl").read_text(encoding="utf-8").splitlines()]
    made = {(line.get("resource_action"), line.get("resource_type")) for line in logs if line.get("resource_arn")}
    assert ("created", "custom model deployment") in made and ("deleted", "custom model deployment") in made
    assert not any(kind == "provisioned throughput" for _, kind in made)
    answers = [json.loads(line) for line in (run_dir / "eval" / "answers.jsonl").read_text().splitlines()]
    assert {row["model_id"].split("/")[0] for row in answers if row["model"] == "custom"} == {
        "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment"
    }
    assert json.loads((run_dir / "eval.json").read_text())["gate"]["decision"] == "promote"


def test_the_same_with_the_default_llama_model_is_refused_before_anything_is_created(sample_dir: Path, tmp_path: Path):
    """Done means 2: naming the models that allow on-demand deployment."""
    cdk_json = _cdk_json(tmp_path, region="us-east-1", deployment="on_demand")
    result = _rehearse("--data", sample_dir, "--out", tmp_path / "out", "--cdk-json", cdk_json)
    assert result.exit_code == 2, result.output
    assert "deployment: on_demand is not offered for meta.llama3-1-8b-instruct-v1:0:128k" in result.stderr
    for nova in ("amazon.nova-micro-v1:0:128k", "amazon.nova-lite-v1:0:300k", "amazon.nova-pro-v1:0:300k"):
        assert nova in result.stderr
    assert not (tmp_path / "out").exists() and "Rehearsing" not in result.stderr


# -- the harness: roles as deployed for on-demand serving ---------------------------------------------


@pytest.fixture(scope="module")
def harness(sample_dir: Path) -> Iterator[Rehearsal]:
    options = RehearsalOptions(
        data_dir=sample_dir,
        region="us-east-1",
        timeout_seconds=180,
        defaults={**ON_DEMAND_STACK, "gate": OPEN_GATE},
    )
    with Rehearsal(options) as rehearsal:
        yield rehearsal


@pytest.fixture
def rehearsal(harness: Rehearsal) -> Rehearsal:
    harness.reset()
    harness.bedrock.script = Script(job_ticks=1, deployment_ticks=1)
    return harness


def test_a_served_model_is_recorded_with_its_deployment_which_the_janitor_keeps(rehearsal: Rehearsal):
    result = rehearsal.run(SERVING)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    (deployment,) = result.deployments
    active = rehearsal.active_model()
    assert active["deployment_arn"] == deployment["customModelDeploymentArn"] == result.notification["deployment_arn"]
    assert not active.get("throughput_arn") and result.throughputs == [] and rehearsal.bedrock.deleted_throughputs == []
    assert deployment["status"] == "Active"
    tags = rehearsal.bedrock.tags[deployment["customModelDeploymentArn"]]
    assert tags["podium:promoted"] == result.run_id and tags["podium:stack"] == "podium"
    asked = {answer["model_id"] for answer in rehearsal.bedrock.answers if answer["model"] == "custom"}
    assert asked == {deployment["customModelDeploymentArn"]}

    report = rehearsal.invoke("Janitor", {})
    assert any("serves the active model" in line for line in report["kept"]) and not report.get("deleted")
    assert len(rehearsal.bedrock.deployments) == 1


def test_stopping_an_on_demand_run_mid_evaluation_leaves_no_deployment_behind(rehearsal: Rehearsal):
    """Done means 3: ExecutionEnded's cleanup deletes the deployment a stopped run was evaluating through."""
    rehearsal.bedrock.script = Script(job_ticks=1, deployment_ticks=1, answer_latency_seconds=0.2)
    rehearsal.notifications()
    arn = _start_and_wait_for(rehearsal, {}, "EvaluateChunk")
    assert len(rehearsal.bedrock.deployments) == 1
    (deployment,) = rehearsal.bedrock.deployments
    result = rehearsal.stop_execution(arn)
    assert result.status == "ABORTED" and "Cleanup" not in result.states
    assert result.deployments == [] and rehearsal.bedrock.deleted_deployments == [deployment]
    (message,) = result.notifications
    assert message["error"] == "ExecutionAborted"
    assert any(line.startswith(f"deleted custom model deployment {deployment}") for line in message["cleanup"])


def test_a_deployment_that_fails_fails_the_run_with_bedrocks_message_and_is_cleaned_up(rehearsal: Rehearsal):
    rehearsal.bedrock.script = Script(job_ticks=1, deployment_ticks=1, deployment_failure="Insufficient capacity")
    result = rehearsal.run({})
    assert result.status == "FAILED" and result.error == "ThroughputFailed"
    message = result.notification
    assert "custom model deployment" in message["message"] and "Insufficient capacity" in message["message"]
    assert rehearsal.bedrock.deployments == {} and any(
        line.startswith("deleted custom model deployment") for line in message["cleanup"]
    )


def test_every_deployment_statement_is_needed_by_a_call_the_scenarios_above_made(harness: Rehearsal):
    """Keep this test last: as tests/workflow/test_rehearsal.py's replay, for the statements that name
    custom model deployments (the ones only an on-demand stack has)."""
    from podium.rehearsal.iam.evaluator import evaluate
    from podium.workflow.permissions import policy_document

    account = harness.account
    assert account is not None
    needless, seen = [], 0
    for caller, role in account.roles.items():
        calls = [r.request for r in harness.authorizer.records if r.caller == caller and r.allowed]
        for index, statement in enumerate(role.statements):
            names_deployments = any("CustomModelDeployment" in action for action in statement.actions) or any(
                "custom-model-deployment" in resource for resource in statement.resources
            )
            if statement.unreachable or not names_deployments:
                continue
            seen += 1
            reduced = [policy_document(s for i, s in enumerate(role.statements) if i != index)]
            if not any(not evaluate(reduced, call).allowed for call in calls):
                needless.append(f"{caller}: {statement.describe()}")
    assert seen >= 8, seen  # create, read, delete (run, promote, janitor), list, invoke, tags, promoted tag
    assert not needless, "deployment statements no scenario needs:\n" + "\n".join(needless)
