"""What Prepare checks with the read-only APIs AWS offers before anything billable exists: that
what the run will create to serve the new model (for the evaluation, or to keep serving it) fits
the account's quotas — a provisioned throughput within the no-commitment model units for custom
models, counting the units existing throughputs already hold; a custom model deployment
(deployment on_demand) within the account's quota on deployments, when Service Quotas lists one.
Without the check, training is paid for and the run then fails at CreateThroughput with
ServiceQuotaExceededException."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from podium.config import RunSettings, creates_serving, creates_throughput
from podium.workflow.errors import QuotaTooLow

if TYPE_CHECKING:
    from podium.adapters.service_quotas import DeploymentCapacity, ModelUnitCapacity

logger = logging.getLogger(__name__)


def check_model_units(settings: RunSettings, read_capacity: Callable[[], ModelUnitCapacity] | None) -> str:
    """Refuse (QuotaTooLow) a run whose no-commitment throughput would not fit the quota; returns
    what was checked, for the log. A commitment draws on other quotas: not checked here."""
    wanted = settings.throughput
    if settings.deployment == "on_demand":
        return "model units: not needed (deployment on_demand)"
    if not creates_throughput(settings) or wanted.commitment or read_capacity is None:
        return "model units: not needed" if not creates_throughput(settings) else "model units: not checked"
    capacity = read_capacity()
    if capacity.quota is None:
        logger.warning("model-unit quota not read: %s", capacity.note)
        return f"model units: quota {capacity.note}"
    if capacity.in_use + wanted.model_units <= capacity.quota:
        return (
            f"model units: {wanted.model_units} needed, {capacity.in_use} in use, "
            f"quota {capacity.quota:g} ({capacity.quota_code})"
        )
    purpose = "serve the new model" if wanted.enabled else "evaluate the new model (evaluate: true)"
    fixes = [
        "request an increase of that quota in Service Quotas (or through AWS Support, as prov-thru-purchase.html "
        "describes)",
    ]
    if capacity.in_use:
        fixes.append("delete provisioned throughputs you no longer need")
    if not wanted.enabled:
        fixes.append('run without the evaluation: {"evaluate": false} (the model is trained, not compared)')
    else:
        fixes.append('run with {"throughput": {"enabled": false}, "evaluate": false} to train without a throughput')
    fixes.append("or redeploy with another base_model (cdk.json) whose throughput the account can hold")
    raise QuotaTooLow(
        f"Service Quotas: '{capacity.quota_name}' ({capacity.quota_code}) is {capacity.quota:g} model unit(s) and "
        f"{capacity.in_use} are in use; this run needs {wanted.model_units} more to {purpose}, so its "
        "CreateProvisionedModelThroughput would be refused after the training was paid for. Nothing was started. "
        "Fix: " + "; ".join(fixes) + "."
    )


def check_deployments(settings: RunSettings, read_capacity: Callable[[], DeploymentCapacity] | None) -> str:
    """Refuse (QuotaTooLow) a run whose custom model deployment would not fit the account's quota on
    deployments; returns what was checked, for the log. When no such quota is listed (AWS's pages name
    none that Podium could read), the run goes on and the log says so."""
    if not creates_serving(settings) or settings.deployment != "on_demand":
        return "deployments: not needed"
    if read_capacity is None:
        return "deployments: not checked"
    capacity = read_capacity()
    if capacity.quota is None:
        logger.info("custom model deployment quota not checked: %s", capacity.note)
        return f"deployments: quota {capacity.note}"
    if capacity.in_use + 1 <= capacity.quota:
        return f"deployments: 1 needed, {capacity.in_use} exist, quota {capacity.quota:g} ({capacity.quota_code})"
    purpose = "serve the new model" if settings.throughput.enabled else "evaluate the new model (evaluate: true)"
    raise QuotaTooLow(
        f"Service Quotas: '{capacity.quota_name}' ({capacity.quota_code}) is {capacity.quota:g} custom model "
        f"deployment(s) and {capacity.in_use} exist; this run needs one more to {purpose}, so its "
        "CreateCustomModelDeployment would be refused after the training was paid for. Nothing was started. Fix: "
        "request an increase of that quota in Service Quotas; or delete custom model deployments you no longer "
        'need; or run {"evaluate": false} (the model is trained, not compared); or run {"deployment": '
        '"provisioned"} to evaluate through a provisioned throughput.'
    )


__all__ = ["check_deployments", "check_model_units", "creates_throughput"]
