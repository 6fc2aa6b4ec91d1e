"""CheckGeneration handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, metrics, step_handler
from podium.adapters import factory
from podium.adapters.ports import GenerationState
from podium.workflow import generation
from podium.workflow.environment import current
from podium.workflow.events import CheckGenerationEvent
from podium.workflow.polling import elapsed_seconds, utc_now


@step_handler("CheckGeneration")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CheckGenerationEvent.model_validate(event)
    correlate(request.run)
    result = generation.check_generation(request, generator=factory.generator_for(request.run.settings, env))
    if result.state is GenerationState.SUCCEEDED:
        seconds = elapsed_seconds(result.started_at, utc_now())
        metrics.add_metric(name="GenerationSeconds", unit="Seconds", value=seconds)
    return result.to_payload()
