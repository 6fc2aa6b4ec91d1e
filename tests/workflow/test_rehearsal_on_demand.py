"""deployment on_demand rehearsed: the real state machine, handlers and roles with a stack deployed
for Nova Lite in us-east-1, evaluating through a custom model deployment instead of a provisioned
throughput (issue 19's Done means), plus `podium rehearse` with copies of cdk.json.

The harness part is a tour, as tests/workflow/test_statement_replay.py's: its scenarios make every
call an on-demand stack's roles are granted on custom model deployments, each checking it did what it
is in the tour for, and the replay then shows each statement that names deployments is needed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import app
from podium.rehearsal.bedrock_emulator.quotas import CUSTOM_MODEL_DEPLOYMENTS
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.harness import Rehearsal, RehearsalOptions, RunResult
from podium.rehearsal.iam.account import Record, Role
from podium.rehearsal.iam.replay import needless
from podium.rehearsal.lambda_server import Fault
from tests.conftest import OPEN_GATE
from tests.workflow.test_rehearsal import _start_and_wait_for

NOVA_LITE = "amazon.nova-lite-v1:0:300k"
ON_DEMAND_STACK = {"base_model": NOVA_LITE, "deployment": "on_demand", "hyperparameters": {"epochCount": 2}}
SERVING = {"throughput": {"enabled": True}}
LOST_ANSWER = "Lambda.ServiceException"  # the function ran; Lambda lost its answer (the state machine retries)


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
    (run_dir,) = [path for path in (tmp_path / "out").iterdir() if path.is_dir()]
    assert "Outcome: SUCCEEDED" in summary and "status promoted" in summary
    assert "Promoted arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:300k/" in summary
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
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "<td>custom model deployment</td>" in html and "deleted once the evaluation was scored" in html

    # promoted with nothing serving it: `podium ask` serves it as its evaluation did, on demand
    asked = _cli("ask", "--rehearsal", tmp_path / "out", "Which country did Armand Duplantis compete for?")
    assert asked.exit_code == 0, asked.output
    assert "Asked arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/" in asked.stderr
    assert "provisioned-model" not in asked.stderr and asked.stdout.strip()


def _cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


def test_a_model_served_on_demand_is_asked_through_its_deployment_and_listed_so(sample_dir: Path, tmp_path: Path):
    """`podium ask` uses the deployment the promotion recorded (kept in the rehearsal folder for the
    next rehearsal); `podium runs` says what each run was asked through."""
    cdk_json = _cdk_json(tmp_path, region="us-east-1", base_model=NOVA_LITE, deployment="on_demand")
    out = tmp_path / "out"
    served = _rehearse("--data", sample_dir, "--out", out, "--cdk-json", cdk_json, "--input", json.dumps(SERVING))
    assert served.exit_code == 0, served.output
    state = json.loads((out / "rehearsal-state.json").read_text(encoding="utf-8"))
    arn = state["active_model"]["deployment_arn"]
    assert ":custom-model-deployment/" in arn and [d["arn"] for d in state["bedrock"]["deployments"]] == [arn]

    asked = _cli("ask", "--rehearsal", out, "Who won the women's 800 m freestyle?")
    assert asked.exit_code == 0, asked.output
    assert f"Asked {arn} (SIMULATED" in asked.stderr and asked.stdout.strip()
    listed = _cli("runs", "--rehearsal", out, "--json")
    assert listed.exit_code == 0, listed.output
    (run,) = json.loads(listed.stdout)["runs"]
    assert run["serving"] == "custom model deployment (serves it)" and run["outcome"] == "promoted"


def test_the_same_with_the_default_llama_model_is_refused_before_anything_is_created(sample_dir: Path, tmp_path: Path):
    """Done means 2: naming the models that allow on-demand deployment."""
    cdk_json = _cdk_json(tmp_path, region="us-east-1", deployment="on_demand")
    result = _rehearse("--data", sample_dir, "--out", tmp_path / "out", "--cdk-json", cdk_json)
    assert result.exit_code == 2, result.output
    assert "deployment: on_demand is not offered for meta.llama3-1-8b-instruct-v1:0:128k" in result.stderr
    for nova in ("amazon.nova-micro-v1:0:128k", "amazon.nova-lite-v1:0:300k", "amazon.nova-pro-v1:0:300k"):
        assert nova in result.stderr
    assert not (tmp_path / "out").exists() and "Rehearsing" not in result.stderr


# -- the tour: roles as deployed for on-demand serving ---------------------------------------------


@dataclass
class Tour:
    roles: dict[str, Role]
    records: list[Record]
    results: dict[str, RunResult]
    deployments: dict[str, list[str]]  # scenario → the deployments its run made
    janitor: dict[str, dict]  # scenario → what the janitor reported after it


def _made(rehearsal: Rehearsal, result: RunResult) -> list[str]:
    """The deployments the run made (by their podium:execution tag), deleted or not."""
    bedrock = rehearsal.bedrock
    assert bedrock is not None
    arns = [*bedrock.deployments, *bedrock.deleted_deployments]
    return [
        arn for arn in dict.fromkeys(arns) if bedrock.tags.get(arn, {}).get("podium:execution") == result.execution_arn
    ]


def _a_served_model_is_recorded_with_its_deployment(rehearsal: Rehearsal, tour: Tour) -> RunResult:
    """Serving on: the deployment stays, recorded in the active model and tagged promoted; answers lost
    after CreateThroughput and Promote did their work are retried (the retry adopts the deployment of
    its name, its tags naming this execution); the janitor keeps it."""
    for step in ("CreateThroughput", "Promote"):
        rehearsal.lambdas.inject(Fault(step, LOST_ANSWER, "the answer was lost", after=True))
    result = rehearsal.run({**SERVING, "recipe": "qa"})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert [c.injected for c in rehearsal.lambdas.calls("CreateThroughput")] == [True, False]
    (deployment,) = result.deployments
    arn = deployment["customModelDeploymentArn"]
    active = rehearsal.active_model()
    assert active["deployment_arn"] == arn == result.notification["deployment_arn"]
    assert not active.get("throughput_arn") and result.throughputs == [] and deployment["status"] == "Active"
    tags = rehearsal.bedrock.tags[arn]
    assert tags["podium:promoted"] == result.run_id and tags["podium:stack"] == "podium"
    assert {a["model_id"] for a in rehearsal.bedrock.answers if a["model"] == "custom"} == {arn}
    tour.janitor["served"] = report = rehearsal.invoke("Janitor", {})
    assert any(arn in line and "serves the active model" in line for line in report["kept"]), report
    assert not report.get("deleted") and arn in rehearsal.bedrock.deployments
    return result


def _a_second_model_asks_the_champion_live_through_its_deployment_and_retires_it(
    rehearsal: Rehearsal, tour: Tour
) -> RunResult:
    """The champion's answers are not on file: EvaluateChunk asks it live, through its deployment
    (per token: no throughput is made for it); the new model, promoted, retires that deployment."""
    import boto3

    first = tour.results["a_served_model_is_recorded_with_its_deployment"]
    served = rehearsal.active_model()["deployment_arn"]
    boto3.client("s3").delete_object(Bucket=rehearsal.bucket, Key=f"runs/{first.run_id}/eval/answers.jsonl")
    result = rehearsal.run(SERVING)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    champion = json.loads(rehearsal.read_run_file(str(result.run_id), "eval.json"))["champion"]
    assert champion["champion_run_id"] == first.run_id and champion["asked_live"] == champion["shared"] > 0
    assert served in {a["model_id"] for a in rehearsal.bedrock.answers} and rehearsal.bedrock.throughputs == {}
    assert result.notification["retired_deployment_arn"] == served and served not in rehearsal.bedrock.deployments
    return result


def _prepare_refuses_a_deployment_the_accounts_quota_would_refuse(rehearsal: Rehearsal, tour: Tour) -> RunResult:
    """Service Quotas lists a quota on deployments, and the one serving the active model fills it."""
    rehearsal.bedrock.script = Script(job_ticks=1, deployment_ticks=1, quotas={CUSTOM_MODEL_DEPLOYMENTS: 1})
    result = rehearsal.run({**SERVING, "force": True})
    assert result.status == "FAILED" and result.error == "QuotaTooLow", (result.error, result.cause)
    assert result.states[-1] != "StartGeneration" and "StartGeneration" not in result.states
    assert f"'{CUSTOM_MODEL_DEPLOYMENTS}'" in result.notification["message"]
    return result


def _the_input_may_choose_a_provisioned_throughput_instead(rehearsal: Rehearsal, tour: Tour) -> RunResult:
    """An on-demand stack's run may still evaluate on a throughput ({"deployment": "provisioned"})."""
    rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
    result = rehearsal.run({"deployment": "provisioned", "force": True})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert rehearsal.bedrock.deleted_throughputs and result.throughputs == [] and _made(rehearsal, result) == []
    return result


def _an_evaluation_only_deployment_is_deleted_once_scored(rehearsal: Rehearsal, tour: Tour) -> RunResult:
    result = rehearsal.run({"force": True})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    (made,) = _made(rehearsal, result)
    assert made in rehearsal.bedrock.deleted_deployments and "ScoreEvaluation" in result.states
    return result


def _a_failed_deployment_fails_the_run_with_bedrocks_message_and_is_deleted(
    rehearsal: Rehearsal, tour: Tour
) -> RunResult:
    rehearsal.bedrock.script = Script(job_ticks=1, deployment_ticks=1, deployment_failure="Insufficient capacity")
    result = rehearsal.run({"force": True})
    assert result.status == "FAILED" and result.error == "ThroughputFailed"
    message = result.notification
    assert "custom model deployment" in message["message"] and "Insufficient capacity" in message["message"]
    (made,) = _made(rehearsal, result)
    assert made not in rehearsal.bedrock.deployments
    assert any(line.startswith(f"deleted custom model deployment {made}") for line in message["cleanup"])
    return result


def _a_run_stopped_mid_evaluation_deletes_its_deployment(rehearsal: Rehearsal, tour: Tour) -> RunResult:
    """Done means 3: ExecutionEnded's cleanup deletes the deployment a stopped run was evaluating through."""
    rehearsal.bedrock.script = Script(job_ticks=1, deployment_ticks=1, answer_latency_seconds=0.2)
    rehearsal.notifications()
    arn = _start_and_wait_for(rehearsal, {"force": True}, "EvaluateChunk")
    result = rehearsal.stop_execution(arn)
    assert result.status == "ABORTED" and "Cleanup" not in result.states
    (made,) = _made(rehearsal, result)
    assert made not in rehearsal.bedrock.deployments and made in rehearsal.bedrock.deleted_deployments
    (message,) = result.notifications  # ExecutionEnded's, in the words of the Report step
    assert message["status"] == "failed" and "ExecutionAborted" in message["text"].splitlines()[0]
    assert f"deleted custom model deployment {made}" in message["text"]
    assert f"deleted custom model deployment {made}" in rehearsal.read_run_file(result.run_id, "report.html")
    return result


def _the_janitor_deletes_a_deployment_broken_cleanups_left(rehearsal: Rehearsal, tour: Tour) -> RunResult:
    rehearsal.bedrock.script = Script(job_ticks=1, deployment_ticks=1, deployment_failure="Insufficient capacity")
    rehearsal.lambdas.inject(Fault("Cleanup", "KeyError", "'throughput'", times=100))
    rehearsal.lambdas.inject(Fault("ExecutionEnded", "KeyError", "'throughput'", times=100))  # its cleanup too
    result = rehearsal.run({"throughput": {"enabled": True, "ttl_hours": 0.0001}, "force": True})
    assert result.status == "FAILED"
    (left,) = _made(rehearsal, result)
    assert left in rehearsal.bedrock.deployments
    time.sleep(0.5)
    tour.janitor["broken cleanups"] = report = rehearsal.invoke("Janitor", {})
    assert any(left in line for line in report["deleted"]) and left not in rehearsal.bedrock.deployments
    return result


SCENARIOS: tuple[Callable[[Rehearsal, Tour], RunResult], ...] = (
    _a_served_model_is_recorded_with_its_deployment,
    _a_second_model_asks_the_champion_live_through_its_deployment_and_retires_it,
    _prepare_refuses_a_deployment_the_accounts_quota_would_refuse,
    _the_input_may_choose_a_provisioned_throughput_instead,
    _an_evaluation_only_deployment_is_deleted_once_scored,
    _a_failed_deployment_fails_the_run_with_bedrocks_message_and_is_deleted,
    _a_run_stopped_mid_evaluation_deletes_its_deployment,
    _the_janitor_deletes_a_deployment_broken_cleanups_left,
)


@pytest.fixture(scope="module")
def tour(sample_dir: Path) -> Iterator[Tour]:
    options = RehearsalOptions(
        data_dir=sample_dir,
        region="us-east-1",
        timeout_seconds=180,
        publish_metrics=False,
        defaults={**ON_DEMAND_STACK, "gate": OPEN_GATE},
    )
    with Rehearsal(options) as rehearsal:
        assert rehearsal.account is not None and rehearsal.bedrock is not None and rehearsal.lambdas is not None
        made = Tour(dict(rehearsal.account.roles), [], {}, {}, {})
        for scenario in SCENARIOS:
            rehearsal.lambdas.clear()
            rehearsal.bedrock.script = Script(job_ticks=1, deployment_ticks=1)
            rehearsal.authorizer.clear_records()
            name = scenario.__name__.strip("_")
            made.results[name] = result = scenario(rehearsal, made)
            made.deployments[name] = _made(rehearsal, result)
            made.records += rehearsal.authorizer.clear_records()
        yield made


def test_an_on_demand_run_creates_a_deployment_and_no_throughput(tour: Tour):
    for name, result in tour.results.items():
        if name == "the_input_may_choose_a_provisioned_throughput_instead":
            continue
        assert len(tour.deployments[name]) == ("CreateThroughput" in result.states), name
        assert result.throughputs == [], name


def test_stopping_an_on_demand_run_mid_evaluation_leaves_no_deployment_behind(tour: Tour):
    """Done means 3 (the scenario checks the details)."""
    result = tour.results["a_run_stopped_mid_evaluation_deletes_its_deployment"]
    assert result.status == "ABORTED" and "EvaluateChunk" in result.states
    (made,) = tour.deployments["a_run_stopped_mid_evaluation_deletes_its_deployment"]
    assert made not in {d["customModelDeploymentArn"] for d in result.deployments}


def test_the_tour_is_judged_and_nothing_it_needs_is_refused(tour: Tour):
    assert tour.records and all(record.allowed for record in tour.records), [
        f"{r.caller}: {r.request.describe()}" for r in tour.records if not r.allowed
    ]


def _names_deployments(text: str) -> bool:
    return "CustomModelDeployment" in text or "custom-model-deployment" in text


def test_every_deployment_grant_is_needed_by_a_call_of_the_tour(tour: Tour):
    """The replay of tests/workflow/test_statement_replay.py, for what only an on-demand stack is granted:
    every deployment resource, and every action of a statement that names deployments. (The other
    parts are the default tour's to show.)"""
    found = [
        str(n)
        for n in needless(tour.roles, tour.records)
        if _names_deployments(n.part)
        or (n.part in n.statement.actions and any(map(_names_deployments, n.statement.actions + n.statement.resources)))
    ]
    checked = [
        (caller, s)
        for caller, role in tour.roles.items()
        for s in role.statements
        if not s.unreachable and any(map(_names_deployments, s.actions + s.resources))
    ]
    # Prepare, CreateThroughput, CheckThroughput, EvaluateChunk, ScoreEvaluation, Promote, Cleanup,
    # ExecutionEnded and the Janitor each hold one at least
    assert len({caller for caller, _ in checked}) == 9, sorted({caller for caller, _ in checked})
    assert not found, "deployment grants no call of the on-demand tour needs:\n" + "\n".join(found)
