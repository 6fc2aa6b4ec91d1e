"""Bedrock's quotas as Service Quotas lists them (ListAWSDefaultServiceQuotas, ListServiceQuotas for
ServiceCode "bedrock"), which moto's Service Quotas does not know, and the quotas
CreateProvisionedModelThroughput and CreateCustomModelDeployment enforce.

The emulator's own reading: the AWS General Reference's Amazon Bedrock quotas page and
prov-thru-purchase.html give an account no-commitment model units for custom models (2 by
default; an account may have fewer granted, or more, hence Script.quotas). The quota code here
is the rehearsal's own (AWS assigns the real one); the name is matched by words, as Podium reads it.
CreateCustomModelDeployment is documented to answer ServiceQuotaExceededException, but no page
this emulator could read names that quota or its default: it exists here (under the rehearsal's
own name) only when a Script sets it, so a rehearsal can refuse a deployment for want of quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.rehearsal.bedrock_emulator.errors import BedrockError
from podium.rehearsal.bedrock_emulator.state import EmulatorState

SERVICE_QUOTAS_TARGET = "ServiceQuotasV20190624."
CUSTOM_MODEL_UNITS = "Model units no-commitment Provisioned Throughputs across custom models"
# name → (the rehearsal's quota code, AWS's default value, adjustable)
DEFAULTS: Mapping[str, tuple[str, float, bool]] = {CUSTOM_MODEL_UNITS: ("L-REHEARSAL-MU", 2.0, True)}
CUSTOM_MODEL_DEPLOYMENTS = "Custom model deployments per account (rehearsal)"
# name → (the rehearsal's quota code, adjustable): listed only when Script.quotas sets them
SCRIPTED_ONLY: Mapping[str, tuple[str, bool]] = {CUSTOM_MODEL_DEPLOYMENTS: ("L-REHEARSAL-CMD", True)}


class Quotas(EmulatorState):
    """Service Quotas for Bedrock, and the model-unit check of a new throughput."""

    def _quota(self, name: str, value: float) -> dict[str, Any]:
        code, adjustable = SCRIPTED_ONLY[name] if name in SCRIPTED_ONLY else DEFAULTS[name][::2]
        return {
            "ServiceCode": "bedrock",
            "ServiceName": "Amazon Bedrock",
            "QuotaArn": f"arn:aws:servicequotas:{self.region}:{self.account}:bedrock/{code}",
            "QuotaCode": code,
            "QuotaName": name,
            "Value": float(value),
            "Unit": "None",
            "Adjustable": adjustable,
            "GlobalQuota": False,
        }

    def quota_value(self, name: str) -> float:
        return float(self.script.quotas.get(name, DEFAULTS[name][1]))

    def service_quotas(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """ListAWSDefaultServiceQuotas (the defaults) or ListServiceQuotas (applied values only)."""
        if body.get("ServiceCode") != "bedrock":
            return {"Quotas": []}
        if operation == "ListAWSDefaultServiceQuotas":
            return {"Quotas": [self._quota(name, default) for name, (_, default, _) in DEFAULTS.items()]}
        if operation == "ListServiceQuotas":
            return {"Quotas": [self._quota(name, value) for name, value in self.script.quotas.items()]}
        raise BedrockError("ValidationException", f"Service Quotas {operation} is not emulated", "service-quotas")

    def check_model_units(self, units: int, commitment: str | None) -> None:
        """A no-commitment throughput beyond the account's model units is refused (prov-thru-purchase.html)."""
        if commitment:
            return
        in_use = sum(t.model_units for t in self.throughputs.values() if not t.commitment and t.status != "Failed")
        limit = self.quota_value(CUSTOM_MODEL_UNITS)
        if in_use + units > limit:
            raise BedrockError(
                "ServiceQuotaExceededException",
                f"The request would exceed the account's quota '{CUSTOM_MODEL_UNITS}' ({limit:g} model units; "
                f"{in_use} in use, {units} requested). Request more model units through Service Quotas or AWS Support.",
            )

    def check_deployments(self, existing: int) -> None:
        """One more custom model deployment beyond a scripted quota is refused."""
        limit = self.script.quotas.get(CUSTOM_MODEL_DEPLOYMENTS)
        if limit is not None and existing + 1 > limit:
            raise BedrockError(
                "ServiceQuotaExceededException",
                f"The request would exceed the account's quota '{CUSTOM_MODEL_DEPLOYMENTS}' ({limit:g}; {existing} "
                "exist). Delete a deployment or request more through Service Quotas.",
            )
