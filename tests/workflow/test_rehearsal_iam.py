"""The rehearsal with IAM enforced: each function calls AWS with its own role (the statements of
podium.workflow.permissions, which the stack deploys), and a call its role does not allow fails
with AccessDenied at the step that makes it, as on AWS. One harness serves the module."""

from __future__ import annotations

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


def test_a_base_model_the_stack_was_not_deployed_for_never_trains(rehearsal: Rehearsal):
    """The deployed roles may start jobs on the deployed base model only: the run is refused before
    any training, however far it gets (Prepare refuses it where the deployment is known)."""
    arn = rehearsal.start_execution({"base_model": "meta.llama3-2-3b-instruct-v1:0:128k"})
    result = rehearsal.wait(arn)
    assert result.status == "FAILED"
    assert rehearsal.bedrock.jobs == {} and rehearsal.active_model() is None
    denied = [r for r in rehearsal.authorizer.records if not r.allowed]
    refused_at = _failed_state(rehearsal, arn)
    if refused_at == "StartFineTune":
        assert [r.request.action for r in denied] == ["bedrock:CreateModelCustomizationJob"]
        assert "foundation-model/meta.llama3-2-3b-instruct-v1:0:128k" in denied[0].request.resource
    else:
        assert refused_at == "Prepare" and "StartGeneration" not in result.states


def test_statements_are_plain_data_the_stack_and_the_rehearsal_share(rehearsal: Rehearsal):
    account = rehearsal.account
    assert account is not None
    role = account.roles["EvaluateChunk"]
    assert all(isinstance(s, Statement) for s in role.statements)
    actions = {a for s in role.statements for a in s.actions}
    assert {"bedrock:InvokeModel", "kms:Decrypt", "s3:GetObject", "s3:PutObject"} <= actions
