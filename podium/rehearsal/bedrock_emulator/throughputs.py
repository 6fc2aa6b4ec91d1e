"""Provisioned throughput: create, the Creating → InService/Failed lifecycle, describe,
list and delete (refused while a commitment term runs)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from podium.rehearsal.bedrock_emulator.errors import BedrockError, check_member, check_tags
from podium.rehearsal.bedrock_emulator.quotas import Quotas
from podium.rehearsal.bedrock_emulator.state import Throughput, tag_map, utc_now


class ProvisionedThroughputs(Quotas):
    """Create, get, list and delete provisioned throughputs."""

    def create_throughput(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            name, token = str(body.get("provisionedModelName") or ""), body.get("clientRequestToken")
            existing = next((t for t in self.throughputs.values() if t.name == name), None)
            if existing is not None:
                if token and existing.token == token:
                    return {"provisionedModelArn": existing.arn}
                raise BedrockError("ConflictException", f"A provisioned model with the name {name} already exists.")
            check_member("CreateProvisionedModelThroughput", "provisionedModelName", name)
            check_tags(body.get("tags"))
            units = body.get("modelUnits")
            if not isinstance(units, int) or units < 1:
                raise BedrockError("ValidationException", f"modelUnits must be a positive integer, got {units!r}")
            commitment = body.get("commitmentDuration")
            if commitment not in (None, "OneMonth", "SixMonths"):
                raise BedrockError("ValidationException", f"commitmentDuration {commitment!r} is not valid")
            model_arn = str(body.get("modelId") or "")
            if model_arn not in self.custom_models:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {model_arn}")
            self.check_model_units(units, commitment)
            arn = f"arn:aws:bedrock:{self.region}:{self.account}:provisioned-model/{uuid.uuid4().hex[:12]}"
            self.throughputs[arn] = Throughput(
                arn=arn,
                name=name,
                model_arn=model_arn,
                model_units=units,
                commitment=commitment,
                token=token,
                created=utc_now(),
            )
            self.tags[arn] = tag_map(body.get("tags"))
            return {"provisionedModelArn": arn}

    def _throughput(self, identifier: str) -> Throughput:
        throughput = self.throughputs.get(identifier) or next(
            (t for t in self.throughputs.values() if t.name == identifier), None
        )
        if throughput is None:
            raise BedrockError("ResourceNotFoundException", f"Could not find provisioned model {identifier}")
        return throughput

    def get_throughput(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            throughput = self._throughput(identifier)
            if throughput.status in ("Creating", "Updating"):
                throughput.ticks += 1
                if throughput.ticks >= self.script.throughput_ticks:
                    if self.script.throughput_failure is not None:
                        throughput.status = "Failed"
                        throughput.failure_message = self.script.throughput_failure
                    else:
                        throughput.status = "InService"
            return self._throughput_response(throughput)

    def _throughput_response(self, throughput: Throughput) -> dict[str, Any]:
        response: dict[str, Any] = {
            "modelUnits": throughput.model_units,
            "desiredModelUnits": throughput.model_units,
            "provisionedModelName": throughput.name,
            "provisionedModelArn": throughput.arn,
            "modelArn": throughput.model_arn,
            "desiredModelArn": throughput.model_arn,
            "foundationModelArn": (
                f"arn:aws:bedrock:{self.region}::foundation-model/"
                f"{self.custom_models[throughput.model_arn].base_model_id}"
            ),
            "status": throughput.status,
            "creationTime": throughput.created,
            "lastModifiedTime": utc_now(),
        }
        if throughput.failure_message:
            response["failureMessage"] = throughput.failure_message
        if throughput.commitment:
            response["commitmentDuration"] = throughput.commitment
        return response

    def describe_throughputs(self) -> list[dict[str, Any]]:
        """Every provisioned throughput that exists now (not deleted), as GetProvisionedModelThroughput
        describes it, without advancing its lifecycle."""
        with self._lock:
            return [self._throughput_response(throughput) for throughput in self.throughputs.values()]

    def delete_throughput(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            throughput = self._throughput(identifier)
            if throughput.commitment:
                raise BedrockError(
                    "ValidationException",
                    f"Provisioned model {throughput.name} has a {throughput.commitment} commitment and "
                    "cannot be deleted before the commitment term ends",
                )
            del self.throughputs[throughput.arn]
            self.deleted_throughputs.append(throughput.arn)
            return {}

    def list_throughputs(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            summaries = []
            for throughput in self.throughputs.values():
                if query.get("statusEquals") and throughput.status != query["statusEquals"]:
                    continue
                if query.get("nameContains") and query["nameContains"] not in throughput.name:
                    continue
                if query.get("modelArnEquals") and throughput.model_arn != query["modelArnEquals"]:
                    continue
                full = self._throughput_response(throughput)
                summaries.append(
                    {
                        key: full[key]
                        for key in (
                            "provisionedModelName",
                            "provisionedModelArn",
                            "modelArn",
                            "desiredModelArn",
                            "foundationModelArn",
                            "modelUnits",
                            "desiredModelUnits",
                            "status",
                            "creationTime",
                            "lastModifiedTime",
                        )
                    }
                )
            return {"provisionedModelSummaries": summaries}
