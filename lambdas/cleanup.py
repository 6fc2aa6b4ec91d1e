"""Cleanup handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, count, run_ended, step_handler
from podium.adapters import factory
from podium.workflow import cleanup
from podium.workflow.environment import current
from podium.workflow.events import CleanupEvent


@step_handler("Cleanup")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CleanupEvent.model_validate(event)
    correlate(request.run)
    result = cleanup.cleanup(
        request,
        fine_tuner=factory.fine_tuner(env),
        active_models=factory.active_model_store(env),
        name_prefix=env.name_prefix,
        generator_for=lambda settings: factory.generator_for(settings, env),
    )
    # One per failed run, with the error name, for alarms and dashboards.
    count("RunsFailed", Error=result.error)
    run_ended("failed", request.run)
    return result.to_payload()
