from __future__ import annotations

import re
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import ANY, Stubber

from podium.adapters.bedrock import BedrockFineTuner, client_token_for, job_name_for
from podium.adapters.bedrock_metrics import metrics_keys, read_loss_metrics
from podium.adapters.errors import BedrockConflict, BedrockRejected, BedrockThrottled
from podium.adapters.ports import TAG_EXECUTION, DeploymentStatus, FineTuneRequest, JobStatus, ThroughputStatus
from podium.adapters.s3 import S3ObjectStore
from podium.errors import DataError

ACCOUNT = "123456789012"
BASE = "meta.llama3-1-8b-instruct-v1:0:128k"
JOB_ARN = f"arn:aws:bedrock:us-west-2:{ACCOUNT}:model-customization-job/{BASE}/abcdefghijkl"
MODEL_ARN = f"arn:aws:bedrock:us-west-2:{ACCOUNT}:custom-model/{BASE}/mnopqrstuvwx"
PT_ARN = f"arn:aws:bedrock:us-west-2:{ACCOUNT}:provisioned-model/abcdefghijkl"
EXECUTION = f"arn:aws:states:us-west-2:{ACCOUNT}:execution:podium-finetune:weekly-retrain"
OTHER_EXECUTION = f"arn:aws:states:us-west-2:{ACCOUNT}:execution:podium-finetune:Weekly Retrain"
# Each Bedrock name pattern from the botocore 1.44 model.
JOB_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*")
MODEL_NAME_PATTERN = re.compile(r"([0-9a-zA-Z][_-]?){1,63}")
TOKEN_PATTERN = re.compile(r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?")


def _request(run_id: str = "exec-2026-11-25", **overrides: object) -> FineTuneRequest:
    values: dict[str, object] = {
        "job_name": job_name_for("podium", run_id),
        "custom_model_name": job_name_for("podium-model", run_id),
        "client_request_token": client_token_for(run_id, "fine-tune"),
        "role_arn": f"arn:aws:iam::{ACCOUNT}:role/podium-bedrock",
        "base_model_id": BASE,
        "training_uri": f"s3://bucket/runs/{run_id}/train.jsonl",
        "validation_uri": f"s3://bucket/runs/{run_id}/validation.jsonl",
        "output_uri": f"s3://bucket/runs/{run_id}/output/",
        "hyperparameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.0001"},
        "tags": {TAG_EXECUTION: EXECUTION},
    }
    values.update(overrides)
    return FineTuneRequest(**values)  # type: ignore[arg-type]


@pytest.fixture
def stubbed() -> Iterator[tuple[BedrockFineTuner, Stubber]]:
    client = boto3.client("bedrock", region_name="us-west-2")
    with Stubber(client) as stubber:
        yield BedrockFineTuner(client), stubber
        stubber.assert_no_pending_responses()


# -- names and tokens -------------------------------------------------------------


@pytest.mark.parametrize(
    "run_id",
    [
        "exec-1",
        "a_b.c:d e",
        "x" * 200,
        "2026-11-25T08-00-00Z_scheduled",
        "--",
    ],
)
def test_names_and_tokens_satisfy_every_bedrock_pattern(run_id: str) -> None:
    name = job_name_for("podium", run_id)
    token = client_token_for(run_id, "fine-tune")
    assert 1 <= len(name) <= 63
    assert JOB_NAME_PATTERN.fullmatch(name) and MODEL_NAME_PATTERN.fullmatch(name)
    assert len(token) <= 64 and TOKEN_PATTERN.fullmatch(token)
    assert job_name_for("podium", run_id) == name  # deterministic


def test_names_stay_readable_and_distinct() -> None:
    assert job_name_for("podium", "exec-1") == "podium-exec-1"
    # Sanitising or truncating could merge two run ids; the appended hash keeps them apart.
    assert job_name_for("podium", "a_b") != job_name_for("podium", "a.b")
    assert job_name_for("podium", "y" * 100 + "1") != job_name_for("podium", "y" * 100 + "2")
    assert client_token_for("r1", "fine-tune") != client_token_for("r1", "throughput")
    assert client_token_for("r1", "fine-tune") != client_token_for("r2", "fine-tune")


# -- jobs on moto ------------------------------------------------------------------


def test_start_and_get_job_on_moto(aws: None) -> None:
    tuner = BedrockFineTuner()
    request = _request()

    job = tuner.start_job(request)
    assert job.status is JobStatus.IN_PROGRESS and job.job_arn.endswith(request.job_name)

    seen = boto3.client("bedrock").get_model_customization_job(jobIdentifier=request.job_name)
    assert seen["hyperParameters"] == dict(request.hyperparameters)
    assert seen["validationDataConfig"]["validators"] == [{"s3Uri": request.validation_uri}]
    assert seen["clientRequestToken"] == request.client_request_token
    assert seen["customizationType"] == "FINE_TUNING"

    # moto resolves jobs by name only (by ARN fails), and fills failureMessage for every job.
    polled = tuner.get_job(request.job_name)
    assert polled.status is JobStatus.IN_PROGRESS and polled.failure_message == ""


def test_retried_start_returns_the_same_job_on_moto(aws: None) -> None:
    tuner = BedrockFineTuner()
    first = tuner.start_job(_request())
    again = tuner.start_job(_request())
    assert again.job_arn == first.job_arn
    assert len(boto3.client("bedrock").list_model_customization_jobs()["modelCustomizationJobSummaries"]) == 1


def test_another_executions_job_of_the_same_name_is_never_adopted_on_moto(aws: None) -> None:
    tuner = BedrockFineTuner()
    first = tuner.start_job(_request(tags={TAG_EXECUTION: OTHER_EXECUTION}))
    with pytest.raises(BedrockConflict, match="Weekly Retrain") as caught:
        tuner.start_job(_request())  # same name and data, but this execution's tag
    assert first.job_arn in str(caught.value) and "left alone" in str(caught.value)


# -- jobs on the stubbed client: Bedrock's real error codes ----------------------------


def _client_error(stubber: Stubber, method: str, code: str, message: str, status: int = 400) -> None:
    stubber.add_client_error(method, service_error_code=code, service_message=message, http_status_code=status)


def _job_response(status: str, **extra: object) -> dict:
    response = {
        "jobArn": JOB_ARN,
        "jobName": "podium-exec-2026-11-25",
        "outputModelName": "podium-model-exec-2026-11-25",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/podium-bedrock",
        "status": status,
        "creationTime": "2026-11-25T08:00:00Z",
        "baseModelArn": f"arn:aws:bedrock:us-west-2::foundation-model/{BASE}",
        "trainingDataConfig": {"s3Uri": "s3://bucket/runs/exec-2026-11-25/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://bucket/runs/exec-2026-11-25/validation.jsonl"}]},
        "outputDataConfig": {"s3Uri": "s3://bucket/runs/exec-2026-11-25/output/"},
        "hyperParameters": {"epochCount": "2"},
    }
    response.update(extra)
    return response


def _tags_response(stubber: Stubber, arn: str, tags: dict[str, str]) -> None:
    stubber.add_response(
        "list_tags_for_resource", {"tags": [{"key": k, "value": v} for k, v in tags.items()]}, {"resourceARN": arn}
    )


def test_conflict_adopts_the_existing_job_when_its_tags_name_this_execution(stubbed) -> None:
    tuner, stubber = stubbed
    _client_error(stubber, "create_model_customization_job", "ConflictException", "Job name already exists")
    stubber.add_response(
        "get_model_customization_job",
        _job_response("InProgress", clientRequestToken="some-other-token"),
        {"jobIdentifier": "podium-exec-2026-11-25"},
    )
    _tags_response(stubber, JOB_ARN, {TAG_EXECUTION: EXECUTION})
    job = tuner.start_job(_request())
    assert job.job_arn == JOB_ARN and job.status is JobStatus.IN_PROGRESS


@pytest.mark.parametrize("tags", [{TAG_EXECUTION: OTHER_EXECUTION}, {}])
def test_conflict_with_a_job_of_another_or_no_execution_is_refused(stubbed, tags) -> None:
    tuner, stubber = stubbed
    _client_error(stubber, "create_model_customization_job", "ConflictException", "exists")
    stubber.add_response("get_model_customization_job", _job_response("InProgress"), {"jobIdentifier": ANY})
    _tags_response(stubber, JOB_ARN, tags)
    with pytest.raises(BedrockConflict, match="new execution") as caught:
        tuner.start_job(_request())
    assert JOB_ARN in str(caught.value)


def test_idempotent_replay_returns_the_arn_bedrock_gives(stubbed) -> None:
    tuner, stubber = stubbed
    expected = {
        "jobName": "podium-exec-2026-11-25",
        "clientRequestToken": client_token_for("exec-2026-11-25", "fine-tune"),
        "customModelKmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/k",
    }
    for _ in range(2):  # Bedrock answers a replayed token with the original job
        stubber.add_response("create_model_customization_job", {"jobArn": JOB_ARN}, {**_ANY_JOB_ARGS, **expected})
    request = _request(kms_key_id="arn:aws:kms:us-west-2:123456789012:key/k")
    assert tuner.start_job(request).job_arn == tuner.start_job(request).job_arn == JOB_ARN


_ANY_JOB_ARGS = {
    name: ANY
    for name in (
        "jobName customModelName roleArn clientRequestToken baseModelIdentifier customizationType "
        "trainingDataConfig validationDataConfig outputDataConfig hyperParameters jobTags customModelTags"
    ).split()
}


@pytest.mark.parametrize(
    "code",
    [
        "ValidationException",
        "AccessDeniedException",
        "ServiceQuotaExceededException",
        "ResourceNotFoundException",
    ],
)
def test_refusals_carry_bedrocks_message_verbatim(stubbed, code: str) -> None:
    tuner, stubber = stubbed
    message = "Provided hyperparameter batchSize=2 is outside the valid range [1, 1]"
    _client_error(stubber, "create_model_customization_job", code, message)
    with pytest.raises(BedrockRejected) as caught:
        tuner.start_job(_request())
    assert type(caught.value).__name__ == "BedrockRejected"  # the ASL matches on this name
    assert caught.value.code == code
    assert message in str(caught.value)


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 429), ("InternalServerException", 500)])
def test_throttling_is_a_distinct_retryable_error(stubbed, code: str, status: int) -> None:
    tuner, stubber = stubbed
    # botocore's own retries would replay the stub; a stubbed client has none left to give.
    _client_error(stubber, "create_model_customization_job", code, "Rate exceeded", status)
    with pytest.raises(BedrockThrottled, match="Rate exceeded"):
        tuner.start_job(_request())


def test_get_job_maps_completion_and_failure(stubbed) -> None:
    tuner, stubber = stubbed
    stubber.add_response(
        "get_model_customization_job",
        _job_response(
            "Completed",
            outputModelArn=MODEL_ARN,
            trainingMetrics={"trainingLoss": 0.42},
            validationMetrics=[{"validationLoss": 0.57}],
        ),
        {"jobIdentifier": JOB_ARN},
    )
    stubber.add_response(
        "get_model_customization_job",
        _job_response("Failed", failureMessage="Training data row 17 is not valid JSON"),
        {"jobIdentifier": JOB_ARN},
    )
    done = tuner.get_job(JOB_ARN)
    assert (done.status, done.output_model_arn, done.training_loss, done.validation_loss) == (
        JobStatus.COMPLETED,
        MODEL_ARN,
        0.42,
        0.57,
    )
    failed = tuner.get_job(JOB_ARN)
    assert failed.status is JobStatus.FAILED
    assert failed.failure_message == "Training data row 17 is not valid JSON"
    assert failed.output_model_arn is None


def test_stop_job_tolerates_jobs_that_already_ended(stubbed) -> None:
    tuner, stubber = stubbed
    _client_error(stubber, "stop_model_customization_job", "ValidationException", "Job is not in progress")
    stubber.add_response("get_model_customization_job", _job_response("Completed"), {"jobIdentifier": JOB_ARN})
    _client_error(stubber, "stop_model_customization_job", "ResourceNotFoundException", "no such job")
    stubber.add_response("stop_model_customization_job", {}, {"jobIdentifier": JOB_ARN})
    tuner.stop_job(JOB_ARN)
    tuner.stop_job(JOB_ARN)
    tuner.stop_job(JOB_ARN)


def test_stop_job_reports_a_refusal_while_still_running(stubbed) -> None:
    tuner, stubber = stubbed
    _client_error(stubber, "stop_model_customization_job", "ValidationException", "cannot stop now")
    stubber.add_response("get_model_customization_job", _job_response("InProgress"), {"jobIdentifier": JOB_ARN})
    with pytest.raises(BedrockRejected, match="cannot stop now"):
        tuner.stop_job(JOB_ARN)


# -- provisioned throughput ----------------------------------------------------------


def _pt_response(status: str, model_arn: str = MODEL_ARN, **extra: object) -> dict:
    response = {
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "provisionedModelName": "podium-pt-exec-1",
        "provisionedModelArn": PT_ARN,
        "modelArn": model_arn,
        "desiredModelArn": model_arn,
        "foundationModelArn": f"arn:aws:bedrock:us-west-2::foundation-model/{BASE}",
        "status": status,
        "creationTime": "2026-11-25T08:00:00Z",
        "lastModifiedTime": "2026-11-25T08:00:00Z",
    }
    response.update(extra)
    return response


def test_create_throughput_creates_once_with_a_name_derived_token(stubbed) -> None:
    tuner, stubber = stubbed
    _client_error(stubber, "get_provisioned_model_throughput", "ResourceNotFoundException", "not found")
    stubber.add_response(
        "create_provisioned_model_throughput",
        {"provisionedModelArn": PT_ARN},
        {
            "provisionedModelName": "podium-pt-exec-1",
            "modelId": MODEL_ARN,
            "modelUnits": 1,
            "clientRequestToken": client_token_for("podium-pt-exec-1", "throughput"),
            "tags": [{"key": "podium:run-id", "value": "exec-1"}],
        },
    )
    created = tuner.create_throughput("podium-pt-exec-1", MODEL_ARN, 1, None, {"podium:run-id": "exec-1"})
    assert (created.arn, created.status) == (PT_ARN, ThroughputStatus.CREATING)


def test_create_throughput_returns_the_existing_one_by_name(stubbed) -> None:
    tuner, stubber = stubbed
    stubber.add_response(
        "get_provisioned_model_throughput",
        _pt_response("InService"),
        {"provisionedModelId": "podium-pt-exec-1"},
    )
    _tags_response(stubber, PT_ARN, {TAG_EXECUTION: EXECUTION})
    existing = tuner.create_throughput("podium-pt-exec-1", MODEL_ARN, 1, "OneMonth", {TAG_EXECUTION: EXECUTION})
    assert (existing.arn, existing.status) == (PT_ARN, ThroughputStatus.IN_SERVICE)


def test_create_throughput_never_adopts_another_executions_throughput(stubbed) -> None:
    tuner, stubber = stubbed
    stubber.add_response("get_provisioned_model_throughput", _pt_response("InService"), {"provisionedModelId": ANY})
    _tags_response(stubber, PT_ARN, {TAG_EXECUTION: OTHER_EXECUTION})
    with pytest.raises(BedrockConflict, match="Weekly Retrain"):
        tuner.create_throughput("podium-pt-exec-1", MODEL_ARN, 1, None, {TAG_EXECUTION: EXECUTION})


def test_create_throughput_refuses_a_same_named_one_serving_another_model(stubbed) -> None:
    tuner, stubber = stubbed
    other = MODEL_ARN.replace("mnopqrstuvwx", "zzzzzzzzzzzz")
    stubber.add_response(
        "get_provisioned_model_throughput", _pt_response("InService", other), {"provisionedModelId": ANY}
    )
    _tags_response(stubber, PT_ARN, {TAG_EXECUTION: EXECUTION})
    with pytest.raises(BedrockConflict, match="zzzzzzzzzzzz"):
        tuner.create_throughput("podium-pt-exec-1", MODEL_ARN, 1, None, {TAG_EXECUTION: EXECUTION})


def test_create_throughput_quota_refusal_is_rejected(stubbed) -> None:
    tuner, stubber = stubbed
    _client_error(stubber, "get_provisioned_model_throughput", "ResourceNotFoundException", "not found")
    _client_error(
        stubber,
        "create_provisioned_model_throughput",
        "ServiceQuotaExceededException",
        "Request a model unit quota increase through AWS Support",
    )
    with pytest.raises(BedrockRejected, match="quota increase"):
        tuner.create_throughput("podium-pt-exec-1", MODEL_ARN, 1, None, {})


def test_get_and_delete_throughput(stubbed) -> None:
    tuner, stubber = stubbed
    stubber.add_response(
        "get_provisioned_model_throughput",
        _pt_response("Failed", failureMessage="Insufficient capacity"),
        {"provisionedModelId": PT_ARN},
    )
    stubber.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": PT_ARN})
    _client_error(stubber, "delete_provisioned_model_throughput", "ResourceNotFoundException", "gone")
    _client_error(stubber, "delete_provisioned_model_throughput", "ConflictException", "commitment term not ended")

    failed = tuner.get_throughput(PT_ARN)
    assert failed.status is ThroughputStatus.FAILED and failed.failure_message == "Insufficient capacity"
    tuner.delete_throughput(PT_ARN)
    tuner.delete_throughput(PT_ARN)  # already gone: fine
    with pytest.raises(BedrockRejected, match="commitment term not ended"):
        tuner.delete_throughput(PT_ARN)


# -- custom model deployments (on-demand) -----------------------------------------------

DEPLOYMENT_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/abcdefabcdef"


def _deployment_response(status: str, model_arn: str = MODEL_ARN, **extra: object) -> dict:
    return {
        "customModelDeploymentArn": DEPLOYMENT_ARN,
        "modelDeploymentName": "podium-od-exec-1",
        "modelArn": model_arn,
        "createdAt": "2026-11-25T08:00:00Z",
        "status": status,
        **extra,
    }


def test_create_deployment_creates_once_with_a_name_derived_token_and_its_tags(stubbed) -> None:
    tuner, stubber = stubbed
    _client_error(stubber, "get_custom_model_deployment", "ResourceNotFoundException", "not found")
    stubber.add_response(
        "create_custom_model_deployment",
        {"customModelDeploymentArn": DEPLOYMENT_ARN},
        {
            "modelDeploymentName": "podium-od-exec-1",
            "modelArn": MODEL_ARN,
            "clientRequestToken": client_token_for("podium-od-exec-1", "deployment"),
            "tags": [{"key": TAG_EXECUTION, "value": EXECUTION}],
        },
    )
    created = tuner.create_deployment("podium-od-exec-1", MODEL_ARN, {TAG_EXECUTION: EXECUTION})
    assert (created.arn, created.status) == (DEPLOYMENT_ARN, DeploymentStatus.CREATING)


def test_create_deployment_adopts_its_own_and_never_another_executions(stubbed) -> None:
    tuner, stubber = stubbed
    stubber.add_response(
        "get_custom_model_deployment",
        _deployment_response("Active"),
        {"customModelDeploymentIdentifier": "podium-od-exec-1"},
    )
    _tags_response(stubber, DEPLOYMENT_ARN, {TAG_EXECUTION: EXECUTION})
    adopted = tuner.create_deployment("podium-od-exec-1", MODEL_ARN, {TAG_EXECUTION: EXECUTION})
    assert (adopted.arn, adopted.status) == (DEPLOYMENT_ARN, DeploymentStatus.ACTIVE)
    stubber.add_response(
        "get_custom_model_deployment", _deployment_response("Active"), {"customModelDeploymentIdentifier": ANY}
    )
    _tags_response(stubber, DEPLOYMENT_ARN, {TAG_EXECUTION: OTHER_EXECUTION})
    with pytest.raises(BedrockConflict, match="Weekly Retrain"):
        tuner.create_deployment("podium-od-exec-1", MODEL_ARN, {TAG_EXECUTION: EXECUTION})


def test_get_list_and_delete_deployment(stubbed) -> None:
    tuner, stubber = stubbed
    stubber.add_response(
        "get_custom_model_deployment",
        _deployment_response("Failed", failureMessage="Model not supported"),
        {"customModelDeploymentIdentifier": DEPLOYMENT_ARN},
    )
    summary = {
        "customModelDeploymentArn": DEPLOYMENT_ARN,
        "customModelDeploymentName": "podium-od-exec-1",
        "modelArn": MODEL_ARN,
        "createdAt": "2026-11-25T08:00:00Z",
        "status": "Active",
    }
    stubber.add_response("list_custom_model_deployments", {"modelDeploymentSummaries": [summary]}, {})
    stubber.add_response("delete_custom_model_deployment", {}, {"customModelDeploymentIdentifier": DEPLOYMENT_ARN})
    _client_error(stubber, "delete_custom_model_deployment", "ResourceNotFoundException", "gone")
    _client_error(stubber, "delete_custom_model_deployment", "ConflictException", "in use")

    failed = tuner.get_deployment(DEPLOYMENT_ARN)
    assert failed.status is DeploymentStatus.FAILED and failed.failure_message == "Model not supported"
    (listed,) = tuner.list_deployments()
    assert (listed.name, listed.model_arn, listed.status) == ("podium-od-exec-1", MODEL_ARN, DeploymentStatus.ACTIVE)
    tuner.delete_deployment(DEPLOYMENT_ARN)
    tuner.delete_deployment(DEPLOYMENT_ARN)  # already gone: fine
    with pytest.raises(BedrockRejected, match="in use"):
        tuner.delete_deployment(DEPLOYMENT_ARN)


# -- loss metrics files ----------------------------------------------------------------


def test_read_loss_metrics_from_the_job_output(bucket: str) -> None:
    store = S3ObjectStore(bucket)
    output = "runs/exec-1/output"
    training_key, validation_key = metrics_keys(output, JOB_ARN)
    assert training_key == (
        "runs/exec-1/output/model-customization-job-abcdefghijkl/training_artifacts/step_wise_training_metrics.csv"
    )
    store.write_text(
        training_key,
        "step_number,epoch_number,training_loss,perplexity\n1,0,2.5,12.1\n2,0,1.75,5.7\n3,1,1.25,3.5\n",
    )
    store.write_text(validation_key, "step_number,epoch_number,validation_loss,perplexity\n3,1,1.5,4.5\n")

    metrics = read_loss_metrics(store, f"s3://{bucket}/{output}/", JOB_ARN)
    assert [p.loss for p in metrics.training] == [2.5, 1.75, 1.25]
    assert metrics.final_training_loss == 1.25 and metrics.final_validation_loss == 1.5


def test_read_loss_metrics_absent_or_malformed(bucket: str) -> None:
    store = S3ObjectStore(bucket)
    empty = read_loss_metrics(store, "runs/exec-2/output/", JOB_ARN)
    assert empty.final_training_loss is None and empty.final_validation_loss is None

    training_key, _ = metrics_keys("runs/exec-2/output", JOB_ARN)
    store.write_text(training_key, "step_number,epoch_number,training_loss\n1,0,2.5\n2,0,nan?\n")
    with pytest.raises(DataError, match=r"step_wise_training_metrics.csv:3: column 'training_loss'"):
        read_loss_metrics(store, "runs/exec-2/output/", JOB_ARN)
