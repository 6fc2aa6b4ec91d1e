"""Custom model deployments (on-demand inference): create, the Creating → Active/Failed lifecycle,
describe, list, update (another custom model of the same base) and delete.

The emulator's own reading of AWS's pages, not Podium's registry:
- deploy-custom-model-on-demand.html, "Prerequisites" and "Supported base models": the US East
  (N. Virginia) or US West (Oregon) Region; a custom model of Amazon Nova Lite, Micro or Pro,
  customized on or after 7/16/2025. The Nova user guide's "On-demand inference on custom models"
  (custom-fine-tune-odi.html) says the same of models trained before 16 July 2025.
- API_CreateCustomModelDeployment.html: "The custom model must be in the Active state"; the
  deployment's ARN is the modelId that InvokeModel and Converse take (runtime.Runtime).
- Names, statuses and errors: botocore's model (CustomModelDeploymentStatus: Creating, Active,
  Failed; CustomModelDeploymentUpdateStatus: Updating, UpdateCompleted, UpdateFailed).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from podium.rehearsal.bedrock_emulator.errors import BedrockError, check_member, check_tags
from podium.rehearsal.bedrock_emulator.quotas import Quotas
from podium.rehearsal.bedrock_emulator.state import CustomModel, Deployment, tag_map, utc_now

ON_DEMAND_REGIONS = ("us-east-1", "us-west-2")
ON_DEMAND_BASE_MODELS = ("amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0")
CUSTOMIZED_SINCE = "2025-07-16"
_SOURCE = "deploy-custom-model-on-demand.html"


def _base(model: CustomModel) -> str:
    return re.sub(r":\d+k$", "", model.base_model_id)


class CustomModelDeployments(Quotas):
    """Create, get, list, update and delete custom model deployments."""

    def deployment_problem(self, model: CustomModel) -> str | None:
        """Why this custom model cannot be deployed on demand here, or None."""
        if self.region not in ON_DEMAND_REGIONS:
            return (
                f"Custom model deployment for on-demand inference is not supported in {self.region}; use "
                f"{' or '.join(ON_DEMAND_REGIONS)} ({_SOURCE})"
            )
        if _base(model) not in ON_DEMAND_BASE_MODELS:
            return (
                f"On-demand inference is not supported for custom models of {model.base_model_id}: deploy one of "
                f"Amazon Nova Lite, Micro or Pro, or purchase Provisioned Throughput ({_SOURCE})"
            )
        if model.created[:10] < CUSTOMIZED_SINCE:
            return (
                f"The custom model {model.arn} was customized on {model.created[:10]}, before {CUSTOMIZED_SINCE}; "
                f"only models customized on or after it support on-demand inference ({_SOURCE})"
            )
        return None

    def create_deployment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            name, token = str(body.get("modelDeploymentName") or ""), body.get("clientRequestToken")
            existing = next((d for d in self.deployments.values() if d.name == name), None)
            if existing is not None:
                if token and existing.token == token:
                    return {"customModelDeploymentArn": existing.arn}
                # botocore's model lists no ConflictException for this operation: a taken name is invalid input
                raise BedrockError(
                    "ValidationException", f"A custom model deployment named {name} already exists in this Region."
                )
            check_member("CreateCustomModelDeployment", "modelDeploymentName", name)
            check_member("CreateCustomModelDeployment", "modelArn", str(body.get("modelArn") or ""))
            check_tags(body.get("tags"))
            model = self.custom_models.get(str(body.get("modelArn") or ""))
            if model is None:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {body.get('modelArn')}")
            problem = self.deployment_problem(model)
            if problem:
                raise BedrockError("ValidationException", problem)
            self.check_deployments(len(self.deployments))
            arn = f"arn:aws:bedrock:{self.region}:{self.account}:custom-model-deployment/{uuid.uuid4().hex[:12]}"
            self.deployments[arn] = Deployment(
                arn=arn,
                name=name,
                model_arn=model.arn,
                token=token,
                created=utc_now(),
                description=str(body.get("description") or ""),
            )
            self.tags[arn] = tag_map(body.get("tags"))
            return {"customModelDeploymentArn": arn}

    def _deployment(self, identifier: str) -> Deployment:
        deployment = self.deployments.get(identifier) or next(
            (d for d in self.deployments.values() if d.name == identifier), None
        )
        if deployment is None:
            raise BedrockError("ResourceNotFoundException", f"Could not find custom model deployment {identifier}")
        return deployment

    def _advance(self, deployment: Deployment) -> None:
        """One status read further along: Creating (or an update's Updating) ends after the script's ticks."""
        if deployment.status != "Creating" and deployment.update_status != "Updating":
            return
        deployment.ticks += 1
        if deployment.ticks < self.script.deployment_ticks:
            return
        failed = self.script.deployment_failure
        if deployment.status == "Creating":
            deployment.status = "Failed" if failed is not None else "Active"
            deployment.failure_message = failed or ""
        else:
            deployment.update_status = "UpdateFailed" if failed is not None else "UpdateCompleted"
            if failed is None and deployment.update_model_arn:
                deployment.model_arn = deployment.update_model_arn
        deployment.updated = utc_now()

    def _deployment_response(self, deployment: Deployment) -> dict[str, Any]:
        response: dict[str, Any] = {
            "customModelDeploymentArn": deployment.arn,
            "modelDeploymentName": deployment.name,
            "modelArn": deployment.model_arn,
            "createdAt": deployment.created,
            "status": deployment.status,
            "lastUpdatedAt": deployment.updated or deployment.created,
        }
        if deployment.description:
            response["description"] = deployment.description
        if deployment.failure_message:
            response["failureMessage"] = deployment.failure_message
        if deployment.update_status:
            response["updateDetails"] = {
                "modelArn": deployment.update_model_arn or deployment.model_arn,
                "updateStatus": deployment.update_status,
            }
        return response

    def get_deployment(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            deployment = self._deployment(identifier)
            self._advance(deployment)
            return self._deployment_response(deployment)

    def describe_deployments(self) -> list[dict[str, Any]]:
        """Every deployment that exists now, as GetCustomModelDeployment describes it, without
        advancing its lifecycle."""
        with self._lock:
            return [self._deployment_response(deployment) for deployment in self.deployments.values()]

    def list_deployments(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            summaries = []
            for deployment in self.deployments.values():
                if query.get("statusEquals") and deployment.status != query["statusEquals"]:
                    continue
                if query.get("nameContains") and query["nameContains"] not in deployment.name:
                    continue
                if query.get("modelArnEquals") and deployment.model_arn != query["modelArnEquals"]:
                    continue
                summary = {
                    "customModelDeploymentArn": deployment.arn,
                    "customModelDeploymentName": deployment.name,
                    "modelArn": deployment.model_arn,
                    "createdAt": deployment.created,
                    "status": deployment.status,
                    "lastUpdatedAt": deployment.updated or deployment.created,
                }
                if deployment.failure_message:
                    summary["failureMessage"] = deployment.failure_message
                summaries.append(summary)
            return {"modelDeploymentSummaries": summaries}

    def update_deployment(self, identifier: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Serve another custom model through the same deployment (it must allow on-demand deployment too)."""
        with self._lock:
            deployment = self._deployment(identifier)
            model = self.custom_models.get(str(body.get("modelArn") or ""))
            if model is None:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {body.get('modelArn')}")
            if deployment.status != "Active" or deployment.update_status == "Updating":
                raise BedrockError(
                    "ValidationException",
                    f"Custom model deployment {deployment.name} is {deployment.status}"
                    + (" and updating" if deployment.update_status == "Updating" else "")
                    + "; only an Active deployment can be updated",
                )
            problem = self.deployment_problem(model)
            if problem:
                raise BedrockError("ValidationException", problem)
            deployment.update_model_arn, deployment.update_status, deployment.ticks = model.arn, "Updating", 0
            return {"customModelDeploymentArn": deployment.arn}

    def delete_deployment(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            deployment = self._deployment(identifier)
            del self.deployments[deployment.arn]
            self.deleted_deployments.append(deployment.arn)
            return {}
