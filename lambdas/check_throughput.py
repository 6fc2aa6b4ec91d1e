"""CheckThroughput handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, metrics, step_handler
from podium.adapters import factory
from podium.adapters.ports import ServingKind
from podium.workflow import serving
from podium.workflow.environment import current
from podium.workflow.events import CheckThroughputEvent
from podium.workflow.polling import elapsed_seconds, utc_now


@step_handler("CheckThroughput")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CheckThroughputEvent.model_validate(event)
    correlate(request.run)
    result = serving.check_serving(request, fine_tuner=factory.fine_tuner(env))
    if result.ready and result.started_at:
        seconds = elapsed_seconds(result.started_at, utc_now())
        if result.kind is ServingKind.CUSTOM_MODEL_DEPLOYMENT:
            metrics.add_metric(name="DeploymentCreationSeconds", unit="Seconds", value=seconds)
        else:
            metrics.add_metric(name="ThroughputCreationSeconds", unit="Seconds", value=seconds)
    return result.to_payload()
