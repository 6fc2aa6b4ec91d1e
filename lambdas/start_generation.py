"""StartGeneration handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, step_handler
from podium.adapters import factory
from podium.workflow import generation
from podium.workflow.environment import current
from podium.workflow.events import StartGenerationEvent


@step_handler("StartGeneration")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = StartGenerationEvent.model_validate(event)
    correlate(request.run)
    result = generation.start_generation(request, generator=factory.generator_for(request.run.settings, env))
    return result.to_payload()
