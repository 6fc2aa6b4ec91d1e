"""Cleanup handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.bounded import bounded_errors
from lambdas.observability import metrics
from podium.adapters import factory
from podium.workflow import cleanup
from podium.workflow.environment import current
from podium.workflow.events import CleanupEvent


@bounded_errors
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CleanupEvent.model_validate(event)
    result = cleanup.cleanup(
        request,
        fine_tuner=factory.fine_tuner(env),
        active_models=factory.active_model_store(env),
        name_prefix=env.name_prefix,
        generator_for=lambda settings: factory.generator_for(settings, env),
    )
    # One per failed run, with the error name, for alarms and dashboards.
    metrics.add_dimension(name="Error", value=result.error[:250])
    metrics.add_metric(name="RunsFailed", unit="Count", value=1)
    return result.to_payload()
