"""BuildDataset handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import metrics
from podium.adapters import factory
from podium.workflow import build_dataset
from podium.workflow.environment import current
from podium.workflow.events import BuildDatasetEvent


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = BuildDatasetEvent.model_validate(event)
    result = build_dataset.build_dataset(
        request,
        generator=factory.generator_for(request.run.settings, env),
        store=factory.object_store(env),
        active_models=factory.active_model_store(env),
        region=env.region,
    )
    return result.to_payload()
