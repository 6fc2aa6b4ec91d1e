"""Custom model deployments (on-demand inference) against the emulator, through boto3 as the
workflow calls them: the Creating → Active lifecycle, listing, updating and deleting, the
refusals AWS's pages state (Region, base model, date customized), Converse and InvokeModel on
the deployment's ARN answered by the same SIMULATED model, and the quota a Script may set."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from podium.rehearsal.bedrock_emulator.emulator import BedrockEmulator
from podium.rehearsal.bedrock_emulator.quotas import CUSTOM_MODEL_DEPLOYMENTS
from podium.rehearsal.bedrock_emulator.runtime import SIMULATED_FIELD
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.bedrock_emulator.server import BedrockServer

from .conftest import BUCKET, Bedrock

NOVA_LITE = "amazon.nova-lite-v1:0:300k"
SYSTEM = "You answer questions about the Paris 2024 Olympic Games."


def _conversation(question: str, answer: str) -> dict:
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": SYSTEM}],
        "messages": [
            {"role": "user", "content": [{"text": question}]},
            {"role": "assistant", "content": [{"text": answer}]},
        ],
    }


def _emulated(region: str) -> Iterator[Bedrock]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=BUCKET)
        else:
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
        script = Script(job_ticks=1, throughput_ticks=1, deployment_ticks=2)
        emulator = BedrockEmulator(s3=s3, region=region, script=script)
        with BedrockServer(emulator) as server:
            yield Bedrock(
                emulator,
                boto3.client("bedrock", endpoint_url=server.url, region_name=region),
                boto3.client("bedrock-runtime", endpoint_url=server.url, region_name=region),
                s3,
            )


@pytest.fixture
def east() -> Iterator[Bedrock]:
    yield from _emulated("us-east-1")


def _custom_model(bedrock: Bedrock, base: str = NOVA_LITE, name: str = "run-1") -> str:
    """A completed Nova job's custom model: three rows state each fact, as the SIMULATED model needs."""
    rows = [
        _conversation(question.format(i=i), f"Athlete{i} Runner won event {i}.")
        for i in range(4)
        for question in ("Who won event {i}?", "Which athlete took event {i}?", "Event {i} was won by whom?")
    ]
    request = bedrock.job_request(
        rows,
        jobName=f"podium-ft-{name}",
        customModelName=f"podium-model-{name}",
        baseModelIdentifier=base,
        hyperParameters={"epochCount": "2", "learningRate": "0.00001", "learningRateWarmupSteps": "10"},
    )
    job = bedrock.client.create_model_customization_job(**request)["jobArn"]
    finished = bedrock.finish(job)
    assert finished["status"] == "Completed", finished.get("failureMessage")
    return finished["outputModelArn"]


def _deploy(bedrock: Bedrock, model_arn: str, name: str = "podium-od-run-1", **extra) -> str:
    return bedrock.client.create_custom_model_deployment(
        modelDeploymentName=name, modelArn=model_arn, clientRequestToken=f"token-{name}", **extra
    )["customModelDeploymentArn"]


def test_a_deployment_is_creating_then_active_listed_and_answers_converse_simulated(east: Bedrock) -> None:
    model = _custom_model(east)
    tags = [{"key": "podium:stack", "value": "podium"}]
    arn = _deploy(east, model, tags=tags)
    assert arn.startswith("arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/")
    # the same token again: the same deployment (idempotent), not a second one
    assert _deploy(east, model) == arn
    described = east.client.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert described["status"] == "Creating" and described["modelArn"] == model
    with pytest.raises(ClientError, match="not Active"):
        east.runtime.converse(modelId=arn, messages=[{"role": "user", "content": [{"text": "Who won event 1?"}]}])
    assert east.client.get_custom_model_deployment(customModelDeploymentIdentifier="podium-od-run-1")["status"] == (
        "Active"
    )
    (summary,) = east.client.list_custom_model_deployments(statusEquals="Active")["modelDeploymentSummaries"]
    assert (summary["customModelDeploymentArn"], summary["customModelDeploymentName"]) == (arn, "podium-od-run-1")
    assert east.client.list_tags_for_resource(resourceARN=arn)["tags"] == tags

    reply = east.runtime.converse(
        modelId=arn,
        system=[{"text": SYSTEM}],
        messages=[{"role": "user", "content": [{"text": "Which athlete was the winner of event 2?"}]}],
    )
    # the custom model trained on the file answers with what the file states (the base model would decline)
    assert "Runner won event" in reply["output"]["message"]["content"][0]["text"]
    assert reply["additionalModelResponseFields"][SIMULATED_FIELD]["note"].startswith("SIMULATED")
    body = {"messages": [{"role": "user", "content": [{"text": "Who won event 3?"}]}]}
    invoked = json.loads(east.runtime.invoke_model(modelId=arn, body=json.dumps(body))["body"].read())
    assert "Runner won event" in invoked["output"]["message"]["content"][0]["text"] and invoked[SIMULATED_FIELD]
    asked = [answer for answer in east.emulator.answers if answer["model_id"] == arn]
    assert {answer["model"] for answer in asked} == {"custom"}


def test_a_deployment_is_refused_for_a_model_or_region_aws_does_not_offer_it_for(east: Bedrock) -> None:
    llama_rows = [{"prompt": f"Who won event {i}?", "completion": f"Athlete {i} won it."} for i in range(120)]
    east.emulator.region = "us-west-2"  # Llama 3.1 trains there
    llama = east.client.create_model_customization_job(**east.job_request(llama_rows))["jobArn"]
    llama_model = east.finish(llama)["outputModelArn"]
    east.emulator.region = "us-east-1"
    with pytest.raises(ClientError, match="On-demand inference is not supported for custom models of meta.llama3-1"):
        _deploy(east, llama_model, name="llama")

    nova = _custom_model(east, name="old")
    east.emulator.custom_models[nova].created = "2025-07-15T23:00:00Z"
    with pytest.raises(ClientError, match="customized on 2025-07-15, before 2025-07-16"):
        _deploy(east, nova, name="old")

    with pytest.raises(ClientError) as missing:
        _deploy(east, nova.replace(nova[-12:], "zzzzzzzzzzzz"), name="missing")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_no_deployment_outside_the_regions_aws_names() -> None:
    for bedrock in _emulated("eu-west-1"):
        bedrock.emulator.region = "us-east-1"
        model = _custom_model(bedrock)
        bedrock.emulator.region = "eu-west-1"
        with pytest.raises(ClientError, match="not supported in eu-west-1; use us-east-1 or us-west-2"):
            _deploy(bedrock, model)


def test_a_deployment_serving_a_model_keeps_it_and_deleting_it_ends_its_answers(east: Bedrock) -> None:
    model = _custom_model(east)
    arn = _deploy(east, model)
    with pytest.raises(ClientError, match="in use by a custom model deployment"):
        east.client.delete_custom_model(modelIdentifier=model)
    east.client.delete_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert east.emulator.deleted_deployments == [arn]
    with pytest.raises(ClientError) as gone:
        east.client.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as unknown:
        east.runtime.converse(modelId=arn, messages=[{"role": "user", "content": [{"text": "Who won event 1?"}]}])
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
    east.client.delete_custom_model(modelIdentifier=model)


def test_a_deployment_can_fail_and_be_updated_to_another_model(east: Bedrock) -> None:
    first, second = _custom_model(east, name="one"), _custom_model(east, name="two")
    arn = _deploy(east, first)
    with pytest.raises(ClientError, match="only an Active deployment can be updated"):
        east.client.update_custom_model_deployment(customModelDeploymentIdentifier=arn, modelArn=second)
    for _ in range(2):
        east.client.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    east.client.update_custom_model_deployment(customModelDeploymentIdentifier=arn, modelArn=second)
    updating = east.client.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert updating["updateDetails"] == {"modelArn": second, "updateStatus": "Updating"}
    updated = east.client.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
    assert updated["updateDetails"]["updateStatus"] == "UpdateCompleted" and updated["modelArn"] == second

    east.emulator.script.deployment_failure = "Internal error"
    failing = _deploy(east, first, name="podium-od-run-2")
    for _ in range(2):
        failed = east.client.get_custom_model_deployment(customModelDeploymentIdentifier=failing)
    assert failed["status"] == "Failed" and failed["failureMessage"] == "Internal error"


def test_a_scripted_quota_on_deployments_is_listed_and_enforced(east: Bedrock) -> None:
    east.emulator.script.quotas = {CUSTOM_MODEL_DEPLOYMENTS: 1}
    model = _custom_model(east)
    _deploy(east, model)
    with pytest.raises(ClientError) as refused:
        _deploy(east, model, name="podium-od-run-2")
    assert refused.value.response["Error"]["Code"] == "ServiceQuotaExceededException"
    quotas = boto3.client(
        "service-quotas", endpoint_url=east.client.meta.endpoint_url, region_name="us-east-1"
    ).list_service_quotas(ServiceCode="bedrock")["Quotas"]
    assert [(q["QuotaName"], q["Value"]) for q in quotas] == [(CUSTOM_MODEL_DEPLOYMENTS, 1.0)]


def test_deployment_names_follow_botocores_pattern_and_are_unique(east: Bedrock) -> None:
    model = _custom_model(east)
    with pytest.raises(ClientError, match="modelDeploymentName"):
        _deploy(east, model, name="bad name!")
    _deploy(east, model)
    with pytest.raises(ClientError) as taken:  # the same name with another token: not the same request
        east.client.create_custom_model_deployment(
            modelDeploymentName="podium-od-run-1", modelArn=model, clientRequestToken="another-token"
        )
    # botocore's model lists no ConflictException for CreateCustomModelDeployment
    assert taken.value.response["Error"]["Code"] == "ValidationException" and "already exists" in str(taken.value)
