"""FineTuner on Amazon Bedrock: customization jobs, provisioned throughput and custom model
deployments (on-demand inference).

Every create is idempotent: job, throughput and deployment names and client tokens derive from
the run id, so a retried Lambda never makes a second job, a second (hourly billed) throughput
or a second deployment. Bedrock's refusals become `BedrockRejected` (not retryable) carrying
Bedrock's own message; throttling becomes `BedrockThrottled` (retryable).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from podium.adapters.audit import resource_changed
from podium.adapters.errors import BedrockConflict, BedrockRejected, BedrockThrottled
from podium.adapters.ports import (
    TAG_EXECUTION,
    CustomModel,
    DeploymentStatus,
    FineTuneJob,
    FineTuneRequest,
    JobStatus,
    ModelDeployment,
    Throughput,
    ThroughputStatus,
)

log = logging.getLogger(__name__)

_NAME_LIMIT = 63  # jobName, customModelName and provisionedModelName all cap at 63
_RETRYABLE_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "InternalServerException",
    "ServiceUnavailableException",
    "RequestTimeout",
}
# moto answers a duplicate job name with ResourceInUseException; Bedrock with ConflictException.
_CONFLICT_CODES = {"ConflictException", "ResourceInUseException"}
_NOT_FOUND = "ResourceNotFoundException"
# Bedrock could not be reached or did not answer in time (after botocore's own retries):
# for a status read that means "unknown, look again later", like throttling.
_UNREACHABLE = (BotocoreConnectionError, HTTPClientError)


def _slug(text: str) -> str:
    """Letters, digits and single hyphens: valid for every Bedrock name pattern."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9]", "-", text)).strip("-")


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def job_name_for(prefix: str, run_id: str) -> str:
    """A deterministic Bedrock-valid name (≤ 63 chars) for `run_id`.

    When the readable form had to be altered or shortened, a hash of the exact input is
    appended so two different run ids never share a name.
    """
    raw = f"{prefix}-{run_id}"
    readable = _slug(raw)
    if not readable:
        raise ValueError(f"cannot derive a Bedrock name from prefix={prefix!r}, run_id={run_id!r}")
    if readable == raw and len(readable) <= _NAME_LIMIT:
        return readable
    suffix = _digest(raw, 8)
    return f"{readable[: _NAME_LIMIT - len(suffix) - 1].rstrip('-')}-{suffix}"


def client_token_for(run_id: str, purpose: str) -> str:
    """A deterministic idempotency token (≤ 64 chars: valid for Bedrock and Databricks)."""
    label = _slug(purpose)[:20].strip("-") or "podium"
    return f"{label}-{_digest(f'{purpose}|{run_id}', 40)}"


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def _translate(error: ClientError, action: str) -> Exception:
    """Bedrock's error as the class the state machine matches on."""
    code = _error_code(error)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
    if code in _RETRYABLE_CODES or (isinstance(status, int) and status >= 500):
        return BedrockThrottled(action, code or str(status), _error_message(error))
    return BedrockRejected(action, code or str(status), _error_message(error))


def _job_status(value: str) -> JobStatus:
    try:
        return JobStatus(value)
    except ValueError:
        # A status newer than this code: keep polling rather than fail a paid job.
        return JobStatus.IN_PROGRESS


def _throughput_status(value: str) -> ThroughputStatus:
    try:
        return ThroughputStatus(value)
    except ValueError:
        return ThroughputStatus.UPDATING


def _deployment_status(value: str) -> DeploymentStatus:
    try:
        return DeploymentStatus(value)
    except ValueError:
        return DeploymentStatus.CREATING  # a status newer than this code: look again


def _job_from_response(response: Mapping[str, Any]) -> FineTuneJob:
    status = _job_status(str(response.get("status", "InProgress")))
    training = response.get("trainingMetrics") or {}
    validation = response.get("validationMetrics") or []
    finished = status is JobStatus.COMPLETED
    return FineTuneJob(
        job_arn=str(response["jobArn"]),
        status=status,
        # Only failures carry a message (moto fills it in for every job).
        failure_message=(
            str(response.get("failureMessage") or "") if status in (JobStatus.FAILED, JobStatus.STOPPED) else ""
        ),
        output_model_arn=response.get("outputModelArn") if finished else None,
        training_loss=_float_or_none(training.get("trainingLoss")) if finished else None,
        validation_loss=(_float_or_none(validation[-1].get("validationLoss")) if finished and validation else None),
    )


def _float_or_none(value: object) -> float | None:
    try:
        return None if value is None else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class BedrockFineTuner:
    """ports.FineTuner on boto3 `bedrock`. `get_job` accepts a job ARN or name."""

    name = "bedrock"

    def __init__(self, client: Any | None = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("bedrock")
        self._bedrock = client

    # -- customization jobs -------------------------------------------------

    def start_job(self, request: FineTuneRequest) -> FineTuneJob:
        arguments: dict[str, Any] = {
            "jobName": request.job_name,
            "customModelName": request.custom_model_name,
            "roleArn": request.role_arn,
            "clientRequestToken": request.client_request_token,
            "baseModelIdentifier": request.base_model_id,
            "customizationType": "FINE_TUNING",
            "trainingDataConfig": {"s3Uri": request.training_uri},
            "outputDataConfig": {"s3Uri": request.output_uri},
            "hyperParameters": dict(request.hyperparameters),
        }
        if request.validation_uri:
            arguments["validationDataConfig"] = {"validators": [{"s3Uri": request.validation_uri}]}
        if request.tags:
            tags = [{"key": k, "value": v} for k, v in sorted(request.tags.items())]
            arguments["jobTags"] = tags
            arguments["customModelTags"] = tags
        if request.kms_key_id:
            arguments["customModelKmsKeyId"] = request.kms_key_id
        action = f"start fine-tuning job {request.job_name}"
        try:
            job_arn = self._bedrock.create_model_customization_job(**arguments)["jobArn"]
        except ClientError as error:
            if _error_code(error) in _CONFLICT_CODES:
                # A retry of a call that did reach Bedrock: adopt that job if it is ours.
                return self._existing_job(request, error)
            raise _translate(error, action) from None
        resource_changed(log, "created", "fine-tuning job", job_arn, f"custom model {request.custom_model_name}")
        return FineTuneJob(job_arn=job_arn, status=JobStatus.IN_PROGRESS)

    def _existing_job(self, request: FineTuneRequest, conflict: ClientError) -> FineTuneJob:
        try:
            existing = self._bedrock.get_model_customization_job(jobIdentifier=request.job_name)
        except ClientError as error:
            if _error_code(error) == _NOT_FOUND:
                # The conflict was about something else (e.g. the custom model name).
                raise _translate(conflict, f"start fine-tuning job {request.job_name}") from None
            raise _translate(error, f"read fine-tuning job {request.job_name}") from None
        # Adopt only a job whose tags name this execution: a job of the same name made by
        # another execution (or another stack) is never trained on, promoted or stopped as ours.
        owner = self.tags(str(existing["jobArn"])).get(TAG_EXECUTION)
        if not owner or owner != request.tags.get(TAG_EXECUTION):
            raise BedrockConflict(
                f"a fine-tuning job named {request.job_name} already exists ({existing.get('jobArn')}) "
                f"but belongs to {owner or 'no Podium execution'}, not {request.tags.get(TAG_EXECUTION)}; "
                "it was left alone. Job names derive from the run id: start a new execution."
            )
        adopted = _job_from_response(existing)
        resource_changed(log, "adopted", "fine-tuning job", adopted.job_arn, "a retried call had started it")
        return adopted

    def get_job(self, job_arn: str) -> FineTuneJob:
        try:
            response = self._bedrock.get_model_customization_job(jobIdentifier=job_arn)
        except ClientError as error:
            raise _translate(error, f"read fine-tuning job {job_arn}") from None
        except _UNREACHABLE as error:
            raise BedrockThrottled(f"read fine-tuning job {job_arn}", type(error).__name__, str(error)) from None
        return _job_from_response(response)

    def stop_job(self, job_arn: str) -> None:
        """Stop a running job; a job that is missing or already finished is left alone."""
        try:
            self._bedrock.stop_model_customization_job(jobIdentifier=job_arn)
        except ClientError as error:
            code = _error_code(error)
            if code == _NOT_FOUND:
                return
            if code in {"ValidationException", "ConflictException"}:
                # Bedrock refuses to stop a job that is not running: fine if it has ended.
                if self.get_job(job_arn).status is not JobStatus.IN_PROGRESS:
                    return
            raise _translate(error, f"stop fine-tuning job {job_arn}") from None
        resource_changed(log, "stopped", "fine-tuning job", job_arn)

    # -- provisioned throughput --------------------------------------------

    def create_throughput(
        self,
        name: str,
        model_arn: str,
        model_units: int,
        commitment: str | None,
        tags: Mapping[str, str],
    ) -> Throughput:
        """Idempotent by name: an existing throughput of that name is returned, not duplicated."""
        existing = self._find_throughput(name)
        if existing is not None:
            arn = str(existing.get("provisionedModelArn"))
            owner = self.tags(arn).get(TAG_EXECUTION)
            serving = {existing.get("modelArn"), existing.get("desiredModelArn")}
            if not owner or owner != tags.get(TAG_EXECUTION) or model_arn not in serving:
                raise BedrockConflict(
                    f"provisioned throughput {name} already exists ({arn}) serving {existing.get('modelArn')} "
                    f"for {owner or 'no Podium execution'}; this run wanted it for {model_arn} "
                    f"({tags.get(TAG_EXECUTION)}). It was left alone. Throughput names derive from the "
                    "run id: start a new execution."
                )
            resource_changed(log, "adopted", "provisioned throughput", arn, "a retried call had created it")
            return _throughput_from_response(existing)
        arguments: dict[str, Any] = {
            "provisionedModelName": name,
            "modelId": model_arn,
            "modelUnits": model_units,
            "clientRequestToken": client_token_for(name, "throughput"),
        }
        if commitment:
            arguments["commitmentDuration"] = commitment
        if tags:
            arguments["tags"] = [{"key": k, "value": v} for k, v in sorted(tags.items())]
        try:
            arn = self._bedrock.create_provisioned_model_throughput(**arguments)["provisionedModelArn"]
        except ClientError as error:
            raise _translate(error, f"create provisioned throughput {name}") from None
        units = f"{model_units} model unit{'s' if model_units != 1 else ''}, {commitment or 'no commitment'}"
        resource_changed(log, "created", "provisioned throughput", arn, f"serving {model_arn}; {units}")
        return Throughput(arn=arn, status=ThroughputStatus.CREATING, model_arn=model_arn, model_units=model_units)

    def _find_throughput(self, name: str) -> Mapping[str, Any] | None:
        try:
            return self._bedrock.get_provisioned_model_throughput(provisionedModelId=name)
        except ClientError as error:
            if _error_code(error) == _NOT_FOUND:
                return None
            raise _translate(error, f"read provisioned throughput {name}") from None

    def get_throughput(self, arn: str) -> Throughput:
        try:
            response = self._bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
        except ClientError as error:
            raise _translate(error, f"read provisioned throughput {arn}") from None
        except _UNREACHABLE as error:
            raise BedrockThrottled(f"read provisioned throughput {arn}", type(error).__name__, str(error)) from None
        return _throughput_from_response(response)

    def delete_throughput(self, arn: str) -> None:
        """Delete; a throughput that is already gone is fine (cleanup may run twice)."""
        try:
            self._bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
        except ClientError as error:
            if _error_code(error) == _NOT_FOUND:
                return
            raise _translate(error, f"delete provisioned throughput {arn}") from None
        resource_changed(log, "deleted", "provisioned throughput", arn)

    # -- custom model deployments (on-demand inference) ----------------------

    def create_deployment(self, name: str, model_arn: str, tags: Mapping[str, str]) -> ModelDeployment:
        """Idempotent by name: an existing deployment of that name is returned when its tags name this
        execution and it serves `model_arn`, else refused (BedrockConflict)."""
        existing = self._find_deployment(name)
        if existing is not None:
            arn = str(existing.get("customModelDeploymentArn"))
            owner = self.tags(arn).get(TAG_EXECUTION)
            if not owner or owner != tags.get(TAG_EXECUTION) or existing.get("modelArn") != model_arn:
                raise BedrockConflict(
                    f"custom model deployment {name} already exists ({arn}) serving {existing.get('modelArn')} "
                    f"for {owner or 'no Podium execution'}; this run wanted it for {model_arn} "
                    f"({tags.get(TAG_EXECUTION)}). It was left alone. Deployment names derive from the run id: "
                    "start a new execution."
                )
            resource_changed(log, "adopted", "custom model deployment", arn, "a retried call had created it")
            return _deployment_from_response(existing)
        arguments: dict[str, Any] = {
            "modelDeploymentName": name,
            "modelArn": model_arn,
            "clientRequestToken": client_token_for(name, "deployment"),
        }
        if tags:
            arguments["tags"] = [{"key": k, "value": v} for k, v in sorted(tags.items())]
        try:
            arn = self._bedrock.create_custom_model_deployment(**arguments)["customModelDeploymentArn"]
        except ClientError as error:
            raise _translate(error, f"create custom model deployment {name}") from None
        resource_changed(log, "created", "custom model deployment", arn, f"serving {model_arn} on demand")
        return ModelDeployment(arn=arn, status=DeploymentStatus.CREATING, model_arn=model_arn, name=name)

    def _find_deployment(self, name: str) -> Mapping[str, Any] | None:
        try:
            return self._bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=name)
        except ClientError as error:
            if _error_code(error) == _NOT_FOUND:
                return None
            raise _translate(error, f"read custom model deployment {name}") from None

    def get_deployment(self, arn: str) -> ModelDeployment:
        try:
            response = self._bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
        except ClientError as error:
            raise _translate(error, f"read custom model deployment {arn}") from None
        except _UNREACHABLE as error:
            raise BedrockThrottled(f"read custom model deployment {arn}", type(error).__name__, str(error)) from None
        return _deployment_from_response(response)

    def delete_deployment(self, arn: str) -> None:
        """Delete; a deployment that is already gone is fine (cleanup may run twice)."""
        try:
            self._bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=arn)
        except ClientError as error:
            if _error_code(error) == _NOT_FOUND:
                return
            raise _translate(error, f"delete custom model deployment {arn}") from None
        resource_changed(log, "deleted", "custom model deployment", arn)

    def list_deployments(self) -> list[ModelDeployment]:
        found: list[ModelDeployment] = []
        try:
            for page in self._bedrock.get_paginator("list_custom_model_deployments").paginate():
                found.extend(_deployment_from_response(s) for s in page.get("modelDeploymentSummaries") or [])
        except ClientError as error:
            raise _translate(error, "list custom model deployments") from None
        return found

    # -- ownership and the janitor's listings ------------------------------

    def tags(self, arn: str) -> dict[str, str]:
        try:
            response = self._bedrock.list_tags_for_resource(resourceARN=arn)
        except ClientError as error:
            raise _translate(error, f"read the tags of {arn}") from None
        return {str(tag["key"]): str(tag["value"]) for tag in response.get("tags") or []}

    def list_throughputs(self) -> list[Throughput]:
        found: list[Throughput] = []
        try:
            for page in self._bedrock.get_paginator("list_provisioned_model_throughputs").paginate():
                found.extend(_throughput_from_response(s) for s in page.get("provisionedModelSummaries") or [])
        except ClientError as error:
            raise _translate(error, "list provisioned throughputs") from None
        return found

    def get_custom_model(self, arn: str) -> CustomModel:
        try:
            found = self._bedrock.get_custom_model(modelIdentifier=arn)
        except ClientError as error:
            raise _translate(error, f"read custom model {arn}") from None
        return CustomModel(
            arn=str(found["modelArn"]),
            name=str(found.get("modelName") or ""),
            created_at=_iso(found.get("creationTime")),
        )

    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        try:
            self._bedrock.tag_resource(resourceARN=arn, tags=[{"key": k, "value": v} for k, v in sorted(tags.items())])
        except ClientError as error:
            raise _translate(error, f"tag {arn}") from None

    def list_custom_models(self) -> list[CustomModel]:
        found: list[CustomModel] = []
        try:
            for page in self._bedrock.get_paginator("list_custom_models").paginate():
                found.extend(
                    CustomModel(
                        arn=str(s["modelArn"]),
                        name=str(s.get("modelName") or ""),
                        created_at=_iso(s.get("creationTime")),
                    )
                    for s in page.get("modelSummaries") or []
                )
        except ClientError as error:
            raise _translate(error, "list custom models") from None
        return found

    def delete_custom_model(self, arn: str) -> None:
        """Delete; a model that is already gone is fine."""
        try:
            self._bedrock.delete_custom_model(modelIdentifier=arn)
        except ClientError as error:
            if _error_code(error) == _NOT_FOUND:
                return
            raise _translate(error, f"delete custom model {arn}") from None
        resource_changed(log, "deleted", "custom model", arn)


def _throughput_from_response(response: Mapping[str, Any]) -> Throughput:
    status = _throughput_status(str(response.get("status", "Creating")))
    return Throughput(
        arn=str(response["provisionedModelArn"]),
        status=status,
        model_arn=str(response.get("modelArn") or ""),
        failure_message=str(response.get("failureMessage") or "") if status is ThroughputStatus.FAILED else "",
        name=str(response.get("provisionedModelName") or ""),
        commitment=response.get("commitmentDuration") or None,
        created_at=_iso(response.get("creationTime")),
        model_units=int(response.get("modelUnits") or 0),
    )


def _deployment_from_response(response: Mapping[str, Any]) -> ModelDeployment:
    """GetCustomModelDeployment's response, or one of ListCustomModelDeployments' summaries (which
    name the deployment customModelDeploymentName, where Get says modelDeploymentName)."""
    status = _deployment_status(str(response.get("status", "Creating")))
    return ModelDeployment(
        arn=str(response["customModelDeploymentArn"]),
        status=status,
        model_arn=str(response.get("modelArn") or ""),
        failure_message=str(response.get("failureMessage") or "") if status is DeploymentStatus.FAILED else "",
        name=str(response.get("modelDeploymentName") or response.get("customModelDeploymentName") or ""),
        created_at=_iso(response.get("createdAt")),
    )


def _iso(value: object) -> str:
    """botocore gives datetimes; keep ISO-8601 text so the workflow's events stay JSON."""
    if value is None:
        return ""
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat(timespec="seconds") if isoformat else value)


__all__ = [
    "BedrockFineTuner",
    "client_token_for",
    "job_name_for",
]
