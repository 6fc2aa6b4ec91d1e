"""Promote handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, metrics, run_ended, step_handler
from podium.adapters import factory
from podium.workflow import promotion
from podium.workflow.environment import current
from podium.workflow.events import PromoteEvent


@step_handler("Promote")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = PromoteEvent.model_validate(event)
    correlate(request.run)
    result = promotion.promote(
        request,
        active_models=factory.active_model_store(env),
        fine_tuner=factory.fine_tuner(env),
        store=factory.object_store(env),
        name_prefix=env.name_prefix,
    )
    metrics.add_metric(name="ModelsPromoted", unit="Count", value=1)
    run_ended(result.status, request.run)
    return result.to_payload()
