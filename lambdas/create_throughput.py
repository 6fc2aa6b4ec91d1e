"""CreateThroughput handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, step_handler
from podium.adapters import factory
from podium.workflow import serving
from podium.workflow.environment import current
from podium.workflow.events import CreateThroughputEvent


@step_handler("CreateThroughput")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CreateThroughputEvent.model_validate(event)
    correlate(request.run)
    result = serving.create_serving(request, fine_tuner=factory.fine_tuner(env), name_prefix=env.name_prefix)
    return result.to_payload()
