"""Promote handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.observability import logger, metrics
from podium.adapters import factory
from podium.workflow import logic
from podium.workflow.environment import current
from podium.workflow.events import PromoteEvent


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = current()
    request = PromoteEvent.model_validate(event)
    result = logic.promote(
        request,
        active_models=factory.active_model_store(env),
        fine_tuner=factory.fine_tuner(env),
        store=factory.object_store(env),
        name_prefix=env.name_prefix,
    )
    metrics.add_metric(name="ModelsPromoted", unit=MetricUnit.Count, value=1)
    return result.to_payload()
