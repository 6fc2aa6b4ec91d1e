"""The rehearsal's local services on their own: the Lambda Invoke endpoint and the
Bedrock emulator, called through boto3 exactly as the workflow calls them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from podium.rehearsal.bedrock_emulator.emulator import BedrockEmulator
from podium.rehearsal.bedrock_emulator.jobs import SIMULATED_NOTE
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.bedrock_emulator.server import BedrockServer
from podium.rehearsal.lambda_server import Fault, LambdaServer
from podium.workflow.steps import STEPS_BY_NAME

REGION = "us-west-2"
BUCKET = "emulator-bucket"
ROLE = "arn:aws:iam::123456789012:role/podium-bedrock"
LLAMA = "meta.llama3-1-8b-instruct-v1:0:128k"


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL_LAMBDA"):
        monkeypatch.delenv(name, raising=False)


# ---- Lambda Invoke endpoint ----------------------------------------------------------------


@pytest.fixture
def lambdas() -> Iterator[tuple[LambdaServer, object]]:
    def echo(event, context):
        return {"echo": event, "function": context.function_name}

    def broken(event, context):
        raise KeyError("no such field: run")

    server = LambdaServer(handlers={"Prepare": echo, "Promote": broken})
    with server:
        yield server, boto3.client("lambda", endpoint_url=server.url, region_name=REGION)


def test_invoke_runs_the_steps_handler_by_name_or_arn(lambdas):
    server, client = lambdas
    for identifier in ("podium-Prepare", server.arn(STEPS_BY_NAME["Prepare"]), "podium-Prepare:$LATEST"):
        response = client.invoke(FunctionName=identifier, Payload=json.dumps({"a": 1}))
        assert "FunctionError" not in response
        assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "function": "podium-Prepare"}


def test_a_handler_error_is_reported_like_lambda_with_the_class_name(lambdas):
    _, client = lambdas
    response = client.invoke(FunctionName="podium-Promote", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert body["errorType"] == "KeyError" and "no such field: run" in body["errorMessage"]


def test_an_unknown_function_is_not_found(lambdas):
    _, client = lambdas
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="podium-Nope", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_faults_fail_the_first_calls_then_the_handler_runs(lambdas):
    server, client = lambdas
    server.inject(Fault("Prepare", "ThrottlingException", "Rate exceeded", times=2))
    outcomes = [client.invoke(FunctionName="podium-Prepare", Payload=b"{}").get("FunctionError") for _ in range(3)]
    assert outcomes == ["Unhandled", "Unhandled", None]
    assert [call.injected for call in server.calls("Prepare")] == [True, True, False]
    with pytest.raises(ValueError, match="not a workflow step"):
        Fault("Prepar")


# ---- Bedrock emulator -------------------------------------------------------------------------


@pytest.fixture
def bedrock() -> Iterator[tuple[BedrockEmulator, object, object]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        emulator = BedrockEmulator(s3=s3, region=REGION, script=Script(job_ticks=2, throughput_ticks=2))
        with BedrockServer(emulator) as server:
            yield emulator, boto3.client("bedrock", endpoint_url=server.url, region_name=REGION), s3


def _put(s3, key: str, rows: list[dict]) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body="".join(json.dumps(r) + "\n" for r in rows).encode())
    return f"s3://{BUCKET}/{key}"


def _job_request(s3, rows=None, **overrides) -> dict:
    rows = rows or [{"prompt": f"Who won event {i}?", "completion": f"Athlete {i} won it."} for i in range(100)]
    request = {
        "jobName": "podium-ft-run-1",
        "customModelName": "podium-model-run-1",
        "roleArn": ROLE,
        "clientRequestToken": "fine-tune-abc123",
        "baseModelIdentifier": LLAMA,
        "trainingDataConfig": {"s3Uri": _put(s3, "runs/run-1/train.jsonl", rows)},
        "outputDataConfig": {"s3Uri": f"s3://{BUCKET}/runs/run-1/output/"},
        "hyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.0001"},
    }
    request.update(overrides)
    return request


def test_a_job_runs_its_lifecycle_and_writes_simulated_metrics(bedrock):
    _emulator, client, s3 = bedrock
    arn = client.create_model_customization_job(**_job_request(s3))["jobArn"]
    assert client.get_model_customization_job(jobIdentifier=arn)["status"] == "InProgress"
    done = client.get_model_customization_job(jobIdentifier="podium-ft-run-1")  # by name too
    assert done["status"] == "Completed" and done["outputModelArn"]
    assert client.get_custom_model(modelIdentifier=done["outputModelArn"])["jobArn"] == arn
    job_id = arn.rsplit("/", 1)[-1]
    job_folder = f"runs/run-1/output/model-customization-job-{job_id}"
    key = f"{job_folder}/training_artifacts/step_wise_training_metrics.csv"
    rows = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()
    assert rows[0].startswith("step_number,epoch_number,training_loss")
    assert all(row.endswith(SIMULATED_NOTE) for row in rows[1:])
    # the loss by training step: 100 records at batchSize 1 are 100 steps an epoch, 2 epochs, 25
    # points an epoch (every 4th step, each epoch's last among them), falling to the script's final loss
    steps = [(int(row.split(",")[0]), int(row.split(",")[1]), float(row.split(",")[2])) for row in rows[1:]]
    assert [(step, epoch) for step, epoch, _ in steps] == [(s, 1 + (s - 1) // 100) for s in range(4, 201, 4)]
    assert steps[0][2] > steps[-1][2] == _emulator.script.training_loss
    validation = f"{job_folder}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv"
    assert len(s3.get_object(Bucket=BUCKET, Key=validation)["Body"].read().decode().splitlines()) == 3  # one an epoch


def test_the_same_client_token_returns_the_same_job_and_another_conflicts(bedrock):
    emulator, client, s3 = bedrock
    first = client.create_model_customization_job(**_job_request(s3))["jobArn"]
    assert client.create_model_customization_job(**_job_request(s3))["jobArn"] == first
    with pytest.raises(ClientError) as caught:
        client.create_model_customization_job(**_job_request(s3, clientRequestToken="another-token"))
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    assert len(emulator.jobs) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"hyperParameters": {"batchSize": "2"}}, "Hyperparameter batchSize value '2' is out of range [1, 1]"),
        ({"hyperParameters": {"lrScheduler": "linear"}}, "Unsupported hyperparameter: lrScheduler"),
        ({"baseModelIdentifier": "meta.llama3-8b-instruct-v1:0"}, "is not supported for fine-tuning"),
        ({"jobName": "x" * 64}, "at 'jobName' failed to satisfy constraint"),
        ({"customModelName": "model.v1"}, "at 'customModelName' failed to satisfy constraint"),
    ],
)
def test_bedrocks_request_rules_are_validation_exceptions(bedrock, change, words):
    emulator, client, s3 = bedrock
    rows = change.pop("rows", None)
    with pytest.raises(ClientError) as caught:
        client.create_model_customization_job(**_job_request(s3, rows, **change))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert words in caught.value.response["Error"]["Message"]
    assert emulator.jobs == {}


def test_names_follow_botocores_pattern_for_each_member(bedrock):
    _emulator, client, s3 = bedrock
    # customModelName takes underscores (and no dots); jobName takes dots (and no underscores)
    request = _job_request(s3, jobName="podium-ft.run-1", customModelName="podium_model_run_1")
    assert client.create_model_customization_job(**request)["jobArn"]


def test_bad_data_is_accepted_then_fails_in_the_validation_phase(bedrock):
    emulator, client, s3 = bedrock
    rows = [{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}]
    arn = client.create_model_customization_job(**_job_request(s3, rows))["jobArn"]
    first = client.get_model_customization_job(jobIdentifier=arn)
    assert first["status"] == "InProgress"
    assert first["statusDetails"]["validationDetails"]["status"] in ("InProgress", "Completed")
    failed = client.get_model_customization_job(jobIdentifier=arn)
    assert failed["status"] == "Failed"
    assert failed["statusDetails"]["validationDetails"]["status"] == "Failed"
    assert failed["failureMessage"].startswith("Data validation failed for the train data at s3://")
    assert 'Line 1: Each record must have a "prompt" and a "completion" string field' in failed["failureMessage"]
    assert emulator.custom_models == {}


def test_llama_fails_with_fewer_than_100_training_and_validation_records(bedrock):
    """model-customization-prepare.html, Model requirements: 100 to 10,000 records together (Llama 3.x)."""
    _emulator, client, s3 = bedrock
    rows = [{"prompt": f"Who won event {i}?", "completion": f"Athlete {i} won it."} for i in range(99)]
    arn = client.create_model_customization_job(**_job_request(s3, rows))["jobArn"]
    client.get_model_customization_job(jobIdentifier=arn)
    failed = client.get_model_customization_job(jobIdentifier=arn)
    assert failed["status"] == "Failed"
    assert (
        "have 99 records together; meta.llama3-1-8b-instruct-v1:0:128k needs at least 100" in failed["failureMessage"]
    )
    validation = _put(s3, "runs/run-1/validation.jsonl", [{"prompt": "Q?", "completion": "A."}])
    request = _job_request(s3, rows, jobName="podium-ft-run-2", customModelName="m2", clientRequestToken="t2")
    second = client.create_model_customization_job(
        **request, validationDataConfig={"validators": [{"s3Uri": validation}]}
    )["jobArn"]
    client.get_model_customization_job(jobIdentifier=second)
    assert client.get_model_customization_job(jobIdentifier=second)["status"] == "Completed"


def test_claude_3_haiku_trains_on_its_own_format_and_refuses_the_conversation_schema(bedrock):
    """Claude 3 Haiku's rows: {"system": str, "messages": [{"role", "content": str}]} (model-customization-prepare)."""
    _emulator, client, s3 = bedrock
    turns = [("user", "Who won the 100m?"), ("assistant", "Noah Lyles won it.")]
    own = {"system": "Answer briefly.", "messages": [{"role": r, "content": t} for r, t in turns]}
    converse = {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [{"role": r, "content": [{"text": t}]} for r, t in turns],
    }
    verdicts = []
    for n, row in enumerate((own, converse)):
        request = _job_request(
            s3,
            [row] * 32,
            jobName=f"haiku-{n}",
            customModelName=f"haiku-{n}",
            clientRequestToken=f"h{n}",
            baseModelIdentifier="anthropic.claude-3-haiku-20240307-v1:0:200k",
            hyperParameters={"epochCount": "2", "batchSize": "8", "learningRateMultiplier": "1"},
        )
        arn = client.create_model_customization_job(**request)["jobArn"]
        client.get_model_customization_job(jobIdentifier=arn)
        verdicts.append(client.get_model_customization_job(jobIdentifier=arn))
    assert verdicts[0]["status"] == "Completed"
    assert verdicts[1]["status"] == "Failed"
    assert 'must be {"system": string, "messages"' in verdicts[1]["failureMessage"]


def test_a_scripted_failure_and_a_stop(bedrock):
    emulator, client, s3 = bedrock
    emulator.script.job_failure = "Data validation failed: row 3 is empty"
    arn = client.create_model_customization_job(**_job_request(s3))["jobArn"]
    client.stop_model_customization_job(jobIdentifier=arn)
    assert client.get_model_customization_job(jobIdentifier=arn)["status"] == "Stopping"
    stopped = client.get_model_customization_job(jobIdentifier=arn)
    assert stopped["status"] == "Stopped"
    with pytest.raises(ClientError, match="cannot be stopped"):
        client.stop_model_customization_job(jobIdentifier=arn)
    another = _job_request(s3, jobName="podium-ft-run-2", customModelName="m2", clientRequestToken="t2")
    second = client.create_model_customization_job(**another)["jobArn"]
    client.get_model_customization_job(jobIdentifier=second)
    failed = client.get_model_customization_job(jobIdentifier=second)
    assert failed["status"] == "Failed"
    assert failed["failureMessage"] == "Data validation failed: row 3 is empty"


def test_throughput_lifecycle_commitment_and_not_found(bedrock):
    emulator, client, s3 = bedrock
    emulator.script.job_ticks = 1
    arn = client.create_model_customization_job(**_job_request(s3))["jobArn"]
    model = client.get_model_customization_job(jobIdentifier=arn)["outputModelArn"]
    created = client.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="podium-pt-run-1", modelId=model
    )["provisionedModelArn"]
    assert client.get_provisioned_model_throughput(provisionedModelId=created)["status"] == "Creating"
    by_name = client.get_provisioned_model_throughput(provisionedModelId="podium-pt-run-1")
    assert by_name["status"] == "InService"
    listed = client.list_provisioned_model_throughputs()["provisionedModelSummaries"]
    assert [t["provisionedModelArn"] for t in listed] == [created]
    client.delete_provisioned_model_throughput(provisionedModelId=created)
    with pytest.raises(ClientError) as caught:
        client.get_provisioned_model_throughput(provisionedModelId=created)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"

    committed = client.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="podium-pt-committed", modelId=model, commitmentDuration="OneMonth"
    )["provisionedModelArn"]
    with pytest.raises(ClientError, match="commitment"):
        client.delete_provisioned_model_throughput(provisionedModelId=committed)
    with pytest.raises(ClientError) as caught:
        client.create_provisioned_model_throughput(modelUnits=1, provisionedModelName="x", modelId="arn:nope")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
