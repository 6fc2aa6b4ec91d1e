"""StartGeneration handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.observability import logger, metrics
from podium.adapters import factory
from podium.workflow import logic
from podium.workflow.environment import current
from podium.workflow.events import StartGenerationEvent


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = current()
    request = StartGenerationEvent.model_validate(event)
    result = logic.start_generation(request, generator=factory.generator_for(request.run.settings, env))
    return result.to_payload()
