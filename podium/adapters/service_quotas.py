"""Bedrock's customization quotas for one base model, read from the account's Service Quotas.

Bedrock names its per-model customization quotas like "(Model customization) Sum of
training and validation records for a Meta Llama 2 70B v1 Fine-tuning job" (AWS General
Reference, Amazon Bedrock endpoints and quotas). Quota codes are not published per model,
so the quotas are found by name: the "(Model customization)" ones of a "Fine-tuning" job
that name the model, classified by what they count (the sum, training records, validation
records, epochs).

ListServiceQuotas returns applied values and leaves out quotas that only have a default;
ListAWSDefaultServiceQuotas returns the defaults. Applied values win. Neither action has a
resource type in the Service Authorization Reference, so the Prepare role is granted both on
"*" (stacks/functions.py). Without access, or when the account lists no such quota, the
registry's documented caps are used (sum ≤ 10,000) and `RowCaps.note` says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from podium.models import BaseModel, RowCaps

SERVICE_CODE = "bedrock"
_PREFIX = "(model customization)"
# Throttling propagates: its class name is in TRANSIENT_ERRORS, so the Task retries it.
_THROTTLING = {"TooManyRequestsException", "ThrottlingException"}
_KINDS = ("total", "train", "validation", "epochs")


def quota_model_key(model: BaseModel) -> str:
    """How quota names call the model: its display name without "Vision"/"Instruct"
    ("Llama 3.2 11B", "Nova Micro", "Nova 2 Lite", "Claude 3 Haiku")."""
    return re.sub(r"\s+(Vision|Instruct)\b", "", model.display_name).strip()


def _kind(name: str) -> str | None:
    lowered = name.lower()
    if "sum of training and validation records" in lowered:
        return "total"
    if "training records" in lowered:
        return "train"
    if "validation records" in lowered:
        return "validation"
    if "epoch" in lowered:
        return "epochs"
    return None


def matching_quotas(quotas: Iterable[Mapping[str, Any]], model: BaseModel) -> dict[str, Mapping[str, Any]]:
    """The model's fine-tuning quotas by kind ("total", "train", "validation", "epochs")."""
    # Word-bounded, so "Llama 3.2 1B" does not match "Llama 3.2 11B" nor "Nova Lite" "Nova 2 Lite".
    names_model = re.compile(rf"(?<![\w.]){re.escape(quota_model_key(model))}(?![\w.])", re.IGNORECASE)
    found: dict[str, Mapping[str, Any]] = {}
    for quota in quotas:
        name = str(quota.get("QuotaName", ""))
        lowered = name.lower()
        if not lowered.startswith(_PREFIX) or "fine-tuning" not in lowered or not names_model.search(name):
            continue
        kind = _kind(name)
        if kind is not None and isinstance(quota.get("Value"), (int, float)):
            found.setdefault(kind, quota)
    return found


def _pages(client: Any, operation: str) -> list[Mapping[str, Any]]:
    quotas: list[Mapping[str, Any]] = []
    for page in client.get_paginator(operation).paginate(ServiceCode=SERVICE_CODE):
        quotas.extend(page.get("Quotas", []))
    return quotas


def bedrock_quotas(client: Any) -> list[Mapping[str, Any]]:
    """Every Bedrock quota of the account and region: applied values over the defaults."""
    by_code: dict[str, Mapping[str, Any]] = {}
    for quota in _pages(client, "list_aws_default_service_quotas") + _pages(client, "list_service_quotas"):
        by_code[str(quota.get("QuotaCode") or quota.get("QuotaName"))] = quota
    return list(by_code.values())


def caps_from_quotas(quotas: Iterable[Mapping[str, Any]], model: BaseModel) -> RowCaps:
    """The model's caps: each quota found in `quotas`, the documented value for the rest."""
    documented = model.documented_caps()
    found = matching_quotas(quotas, model)
    if not found:
        return model.documented_caps(
            f"the account lists no Bedrock fine-tuning quota naming {quota_model_key(model)!r}; "
            f"using Podium's documented caps (train + validation ≤ {documented.total:,})"
        )
    values = {kind: int(found[kind]["Value"]) if kind in found else getattr(documented, kind) for kind in _KINDS}
    read = ", ".join(
        f"{kind} {values[kind]:,} ({found[kind].get('QuotaCode', '?')})" for kind in _KINDS if kind in found
    )
    assumed = [kind for kind in _KINDS if kind not in found]
    note = f"from Service Quotas: {read}"
    if assumed:
        note += f"; documented: {', '.join(assumed)}"
    return RowCaps(
        train=values["train"],
        validation=values["validation"],
        total=values["total"],
        epochs=values["epochs"],
        source="service-quotas+documented" if assumed else "service-quotas",
        note=note,
    )


@dataclass(frozen=True)
class ModelUnitCapacity:
    """No-commitment model units for custom models: the account's quota and what its existing
    throughputs already hold. `quota` None: not read (`note` says why)."""

    quota: float | None
    quota_name: str = ""
    quota_code: str = ""
    in_use: int = 0
    note: str = ""


def _custom_model_units(quotas: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The quota on no-commitment model units across custom models, found by its words."""
    for quota in quotas:
        name = str(quota.get("QuotaName", "")).lower()
        if "model units" in name and "no-commitment" in name and "custom model" in name:
            return quota
    return None


def read_model_unit_capacity(quotas_client: Any, bedrock_client: Any) -> ModelUnitCapacity:
    """The account's no-commitment model units for custom models (Service Quotas) and the units its
    no-commitment throughputs of custom models hold (ListProvisionedModelThroughputs). Throttling is
    raised (the Task retries it); without access the capacity is unknown, not refused."""
    try:
        quota = _custom_model_units(bedrock_quotas(quotas_client))
        if quota is None:
            return ModelUnitCapacity(None, note="the account lists no quota on model units for custom models")
        in_use = 0
        for page in bedrock_client.get_paginator("list_provisioned_model_throughputs").paginate():
            for summary in page.get("provisionedModelSummaries", []):
                if summary.get("commitmentDuration") or summary.get("status") == "Failed":
                    continue
                if ":custom-model/" in str(summary.get("modelArn", "")):
                    in_use += int(summary.get("modelUnits") or 0)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Error")
        if code in _THROTTLING:
            raise
        return ModelUnitCapacity(None, note=f"not read ({code}: {error.response.get('Error', {}).get('Message', '')})")
    except BotoCoreError as error:
        return ModelUnitCapacity(None, note=f"not read ({type(error).__name__}: {error})")
    return ModelUnitCapacity(
        float(quota["Value"]), str(quota.get("QuotaName", "")), str(quota.get("QuotaCode", "")), in_use
    )


@dataclass(frozen=True)
class DeploymentCapacity:
    """Custom model deployments: the account's quota on them, when Service Quotas lists one, and how
    many exist. `quota` None: not read or not listed (`note` says which)."""

    quota: float | None
    quota_name: str = ""
    quota_code: str = ""
    in_use: int = 0
    note: str = ""


def _custom_model_deployments(quotas: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """A quota on custom model deployments, found by its words. CreateCustomModelDeployment is
    documented to answer ServiceQuotaExceededException, but no page read for Podium names the quota."""
    for quota in quotas:
        if "custom model deployment" in str(quota.get("QuotaName", "")).lower():
            return quota
    return None


def read_deployment_capacity(quotas_client: Any, bedrock_client: Any) -> DeploymentCapacity:
    """The account's quota on custom model deployments (when Service Quotas lists one) and the
    deployments that exist (ListCustomModelDeployments, all but Failed ones). Throttling is raised
    (the Task retries it); without access, or with no such quota listed, the capacity is unknown."""
    try:
        quota = _custom_model_deployments(bedrock_quotas(quotas_client))
        if quota is None:
            return DeploymentCapacity(None, note="the account lists no quota on custom model deployments")
        in_use = 0
        for page in bedrock_client.get_paginator("list_custom_model_deployments").paginate():
            in_use += sum(1 for d in page.get("modelDeploymentSummaries", []) if d.get("status") != "Failed")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Error")
        if code in _THROTTLING:
            raise
        message = error.response.get("Error", {}).get("Message", "")
        return DeploymentCapacity(None, note=f"not read ({code}: {message})")
    except BotoCoreError as error:
        return DeploymentCapacity(None, note=f"not read ({type(error).__name__}: {error})")
    return DeploymentCapacity(
        float(quota["Value"]), str(quota.get("QuotaName", "")), str(quota.get("QuotaCode", "")), in_use
    )


def read_caps(client: Any, model: BaseModel) -> RowCaps:
    """The account's caps for `model`, or the documented ones with the reason they were used.
    Throttling is raised (the state machine retries it); any other failure falls back."""
    try:
        quotas = bedrock_quotas(client)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Error")
        if code in _THROTTLING:
            raise
        message = error.response.get("Error", {}).get("Message", "")
        return _fallback(model, f"{code}: {message}")
    except BotoCoreError as error:  # no credentials, no endpoint, connection failure
        return _fallback(model, f"{type(error).__name__}: {error}")
    return caps_from_quotas(quotas, model)


def _fallback(model: BaseModel, reason: str) -> RowCaps:
    total = model.documented_caps().total
    return model.documented_caps(
        f"Service Quotas not read ({reason}); using Podium's documented caps (train + validation ≤ {total:,})"
    )


__all__ = [
    "SERVICE_CODE",
    "DeploymentCapacity",
    "ModelUnitCapacity",
    "bedrock_quotas",
    "caps_from_quotas",
    "matching_quotas",
    "quota_model_key",
    "read_caps",
    "read_deployment_capacity",
    "read_model_unit_capacity",
]
