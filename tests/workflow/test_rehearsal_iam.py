"""The rehearsal with IAM enforced: each function calls AWS with its own role (the statements of
podium.workflow.permissions, which the stack deploys), and a call its role does not allow fails
with AccessDenied at the step that makes it, as on AWS. One harness serves the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.rehearsal.bedrock_emulator.quotas import CUSTOM_MODEL_UNITS
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.harness import Rehearsal, RehearsalOptions
from podium.workflow.permissions import Statement


@pytest.fixture(scope="module")
def harness(sample_dir: Path) -> Iterator[Rehearsal]:
    with Rehearsal(RehearsalOptions(data_dir=sample_dir, timeout_seconds=180, publish_metrics=False)) as rehearsal:
        yield rehearsal


@pytest.fixture
def rehearsal(harness: Rehearsal) -> Rehearsal:
    harness.reset()
    harness.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
    harness.authorizer.clear_records()
    return harness


def _failed_state(rehearsal: Rehearsal, arn: str) -> str:
    failed = [e for e in rehearsal.history(arn) if e["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    scheduled = [e for e in rehearsal.history(arn) if "stateEnteredEventDetails" in e]
    # the Task entered last before the first failure
    first = failed[0]["id"]
    return [e["stateEnteredEventDetails"]["name"] for e in scheduled if e["id"] < first][-1]


def test_the_default_rehearsal_runs_with_every_call_judged_by_its_role_and_promotes(rehearsal: Rehearsal):
    result = rehearsal.run({})
    assert result.status == "SUCCEEDED", result.cause
    assert rehearsal.active_model() is not None
    records = rehearsal.authorizer.records
    assert records and all(record.allowed for record in records)
    callers = {record.caller for record in records}
    assert {"Prepare", "StartGeneration", "BuildDataset", "StartFineTune", "EvaluateChunk", "Promote"} <= callers
    assert {"StateMachine", "BedrockServiceRole"} <= callers  # moto's executor and Bedrock's job, as their roles
    # Asking the new model decrypts it through Bedrock with the caller's rights
    decrypts = [r for r in records if r.caller == "EvaluateChunk" and r.request.action == "kms:Decrypt"]
    assert any(r.request.context.get("kms:ViaService") == "bedrock.us-west-2.amazonaws.com" for r in decrypts)


def test_without_the_kms_statement_evaluate_chunk_fails_with_access_denied(rehearsal: Rehearsal):
    account = rehearsal.account
    assert account is not None
    full = account.roles["EvaluateChunk"].statements
    via_bedrock = [s for s in full if s.conditions and "bedrock." in str(s.conditions) and "kms:Decrypt" in s.actions]
    assert len(via_bedrock) == 1
    account.set_policy("EvaluateChunk", [s for s in full if s not in via_bedrock])
    try:
        arn = rehearsal.start_execution({})
        result = rehearsal.wait(arn)
    finally:
        account.set_policy("EvaluateChunk", full)
    assert result.status == "FAILED"
    assert _failed_state(rehearsal, arn) == "EvaluateChunk"
    assert "AccessDeniedException" in result.cause and "kms:Decrypt" in result.cause
    assert rehearsal.active_model() is None and result.throughputs == []  # Cleanup deleted the evaluation throughput


def test_a_run_the_model_unit_quota_cannot_hold_is_refused_at_prepare_before_anything_is_trained(
    rehearsal: Rehearsal,
):
    rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=1, quotas={CUSTOM_MODEL_UNITS: 0})
    result = rehearsal.run({})
    assert result.status == "FAILED" and result.error == "QuotaTooLow"
    assert "StartGeneration" not in result.states and rehearsal.bedrock.jobs == {}
    message = result.notification["message"]
    assert CUSTOM_MODEL_UNITS in message and "L-REHEARSAL-MU" in message and '{"evaluate": false}' in message
    # …and the same account trains without the evaluation throughput
    rehearsal.bedrock.script = Script(job_ticks=1, quotas={CUSTOM_MODEL_UNITS: 0})
    untested = rehearsal.run({"evaluate": False, "dry_run": True})
    assert untested.status == "SUCCEEDED", untested.cause


def test_a_base_model_the_stack_was_not_deployed_for_is_refused_at_prepare(rehearsal: Rehearsal):
    """The deployed roles may train and invoke the deployed base model only, so Prepare refuses any
    other before anything is generated, and no role is ever asked for it."""
    arn = rehearsal.start_execution({"base_model": "meta.llama3-2-3b-instruct-v1:0:128k"})
    result = rehearsal.wait(arn)
    assert result.status == "FAILED" and result.error == "InvalidInput"
    assert _failed_state(rehearsal, arn) == "Prepare" and "StartGeneration" not in result.states
    assert "is not the model this stack was deployed for" in result.cause
    assert rehearsal.bedrock.jobs == {} and rehearsal.active_model() is None
    assert not [r for r in rehearsal.authorizer.records if not r.allowed]  # refused by Prepare, not by IAM


def test_the_tag_conditions_are_enforced_in_the_rehearsal(rehearsal: Rehearsal):
    """aws:RequestTag / aws:TagKeys / aws:ResourceTag on what a role tags (podium.workflow.permissions
    tags_this_stack_writes), and aws:ResourceTag on what EvaluateChunk invokes: judged by the rehearsal's
    evaluator on the emulator's calls, as IAM does."""
    from podium.rehearsal.iam.account import AccessDenied

    result = rehearsal.run({"throughput": {"enabled": True}})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    records = list(rehearsal.authorizer.records)  # the run's own calls, before the probes below
    model = rehearsal.active_model()["model_arn"]
    throughput = rehearsal.active_model()["throughput_arn"]
    account, authorizer = rehearsal.account, rehearsal.authorizer
    assert account is not None
    promote = next(p for p in authorizer.principals.values() if p.caller == "Promote")
    evaluate = next(p for p in authorizer.principals.values() if p.caller == "EvaluateChunk")
    stack = {"aws:ResourceTag/podium:stack": "podium"}

    def judged(principal, action, arn, context):
        from podium.rehearsal.iam.evaluator import Request

        try:
            authorizer.check(principal, "probe", [Request(action, arn, context)])
        except AccessDenied:
            return False
        return True

    own = {"aws:RequestTag/podium:stack": "podium", "aws:TagKeys": ["podium:stack", "podium:promoted"]}
    assert judged(promote, "bedrock:TagResource", model, {**stack, **own})
    # another stack's label, a tag key of its own, or another stack's resource: refused
    assert not judged(promote, "bedrock:TagResource", model, {**stack, **own, "aws:RequestTag/podium:stack": "other"})
    assert not judged(promote, "bedrock:TagResource", model, {**stack, **own, "aws:TagKeys": ["owner"]})
    assert not judged(promote, "bedrock:TagResource", model, {"aws:ResourceTag/podium:stack": "other", **own})
    # EvaluateChunk invokes this stack's throughputs only
    assert judged(evaluate, "bedrock:InvokeModel", throughput, stack)
    assert not judged(evaluate, "bedrock:InvokeModel", throughput, {"aws:ResourceTag/podium:stack": "other"})
    # and the run's own calls carried those keys, so the conditions were judged, not skipped
    tagged = [r for r in records if r.request.action == "bedrock:TagResource" and r.caller == "Promote"]
    assert tagged and all(r.allowed and "aws:TagKeys" in r.request.context for r in tagged)
    invoked = [r for r in records if r.caller == "EvaluateChunk" and ":provisioned-model/" in r.request.resource]
    assert invoked and all(r.request.context.get("aws:ResourceTag/podium:stack") == "podium" for r in invoked)


def test_a_champion_with_no_answers_on_file_is_asked_live_through_its_throughput_as_evaluate_chunk_may(
    rehearsal: Rehearsal,
):
    import boto3

    first = rehearsal.run({"throughput": {"enabled": True}})
    assert first.status == "SUCCEEDED" and first.outcome["status"] == "promoted", (first.error, first.cause)
    served = rehearsal.active_model()["throughput_arn"]
    # its answers gone: too few of the next run's questions have its answer on file, so it is asked live
    s3 = boto3.client("s3")
    s3.delete_object(Bucket=rehearsal.bucket, Key=f"runs/{first.run_id}/eval/answers.jsonl")
    rehearsal.authorizer.clear_records()
    second = rehearsal.run({"force": True})
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    champion = json.loads(rehearsal.read_run_file(second.run_id, "eval.json"))["champion"]
    assert champion["champion_run_id"] == first.run_id and champion["asked_live"] == champion["shared"] > 0
    # through the champion's own throughput (its model encrypted with the stack's key), every call allowed
    records = rehearsal.authorizer.records
    assert [r for r in records if r.caller == "EvaluateChunk" and r.request.resource == served]
    assert all(record.allowed for record in records), [r.request.describe() for r in records if not r.allowed]
    # filed under the champion's run, so the next challenger finds them on file
    listed = s3.list_objects_v2(Bucket=rehearsal.bucket, Prefix=f"runs/{first.run_id}/eval/asked-later/")
    assert listed.get("KeyCount", 0) >= 1


def test_statements_are_plain_data_the_stack_and_the_rehearsal_share(rehearsal: Rehearsal):
    account = rehearsal.account
    assert account is not None
    role = account.roles["EvaluateChunk"]
    assert all(isinstance(s, Statement) for s in role.statements)
    actions = {a for s in role.statements for a in s.actions}
    assert {"bedrock:InvokeModel", "kms:Decrypt", "s3:GetObject", "s3:PutObject"} <= actions
