"""CheckGeneration handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import metrics
from podium.adapters import factory
from podium.workflow import generation
from podium.workflow.environment import current
from podium.workflow.events import CheckGenerationEvent


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CheckGenerationEvent.model_validate(event)
    result = generation.check_generation(request, generator=factory.generator_for(request.run.settings, env))
    return result.to_payload()
