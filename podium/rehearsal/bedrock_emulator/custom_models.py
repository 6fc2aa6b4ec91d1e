"""Custom models (what a completed job leaves) and resource tags: what ownership checks and
the janitor read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.rehearsal.bedrock_emulator.errors import BedrockError
from podium.rehearsal.bedrock_emulator.state import EmulatorState


class CustomModels(EmulatorState):
    """Get, list and delete custom models; list and add a resource's tags."""

    def get_custom_model(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            model = self.custom_models.get(identifier) or next(
                (m for m in self.custom_models.values() if m.name == identifier), None
            )
            if model is None:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {identifier}")
            return {
                "modelArn": model.arn,
                "modelName": model.name,
                "jobName": model.job_name,
                "jobArn": model.job_arn,
                "baseModelArn": f"arn:aws:bedrock:{self.region}::foundation-model/{model.base_model_id}",
                "customizationType": "FINE_TUNING",
                "creationTime": model.created,
                "modelStatus": "Active",
            }

    def list_tags(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            arn = str(body.get("resourceARN") or "")
            if arn not in self.tags:
                raise BedrockError("ResourceNotFoundException", f"Could not find resource {arn}")
            return {"tags": [{"key": k, "value": v} for k, v in sorted(self.tags[arn].items())]}

    def tag_resource(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """TagResource: adds or overwrites tags of an existing job, custom model, throughput or deployment."""
        with self._lock:
            arn = str(body.get("resourceARN") or "")
            if arn not in self.tags:
                raise BedrockError("ResourceNotFoundException", f"Could not find resource {arn}")
            self.tags[arn].update({str(tag["key"]): str(tag["value"]) for tag in body.get("tags") or []})
            return {}

    def list_custom_models(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            return {
                "modelSummaries": [
                    {
                        "modelArn": model.arn,
                        "modelName": model.name,
                        "creationTime": model.created,
                        "baseModelArn": self._foundation_arn(model.base_model_id),
                        "baseModelName": model.base_model_id,
                        "customizationType": "FINE_TUNING",
                        "modelStatus": "Active",
                    }
                    for model in self.custom_models.values()
                    if not query.get("nameContains") or query["nameContains"] in model.name
                ]
            }

    def delete_custom_model(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            model = self.custom_models.get(identifier) or next(
                (m for m in self.custom_models.values() if m.name == identifier), None
            )
            if model is None:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {identifier}")
            if any(t.model_arn == model.arn for t in self.throughputs.values()):
                raise BedrockError("ConflictException", f"Model {model.name} is in use by a provisioned throughput")
            if any(d.model_arn == model.arn for d in self.deployments.values()):
                raise BedrockError("ConflictException", f"Model {model.name} is in use by a custom model deployment")
            del self.custom_models[model.arn]
            self.deleted_custom_models.append(model.arn)
            return {}
