"""CheckThroughput handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import metrics
from podium.adapters import factory
from podium.workflow import provisioned_throughput
from podium.workflow.environment import current
from podium.workflow.events import CheckThroughputEvent


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CheckThroughputEvent.model_validate(event)
    result = provisioned_throughput.check_throughput(request, fine_tuner=factory.fine_tuner(env))
    return result.to_payload()
