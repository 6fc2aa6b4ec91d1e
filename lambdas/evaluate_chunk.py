"""EvaluateChunk handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, step_handler
from podium.adapters import factory
from podium.workflow import evaluate
from podium.workflow.environment import current
from podium.workflow.events import EvaluateChunkEvent


@step_handler("EvaluateChunk")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = EvaluateChunkEvent.model_validate(event)
    correlate(request.run)
    result = evaluate.evaluate_chunk(
        request,
        store=factory.object_store(env),
        asker=factory.asker(env),
        region=env.region,
        active_models=factory.active_model_store(env),
    )
    return result.to_payload()
