"""EvaluateChunk handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.bounded import bounded_errors
from lambdas.observability import metrics
from podium.adapters import factory
from podium.workflow import evaluate
from podium.workflow.environment import current
from podium.workflow.events import EvaluateChunkEvent


@bounded_errors
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = EvaluateChunkEvent.model_validate(event)
    result = evaluate.evaluate_chunk(
        request, store=factory.object_store(env), asker=factory.asker(env), region=env.region
    )
    return result.to_payload()
