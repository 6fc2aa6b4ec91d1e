"""BuildDataset handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, metrics, run_ended, step_handler
from podium.adapters import factory
from podium.workflow import build_dataset
from podium.workflow.environment import current
from podium.workflow.events import BuildDatasetEvent


@step_handler("BuildDataset")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = BuildDatasetEvent.model_validate(event)
    correlate(request.run)
    result = build_dataset.build_dataset(
        request,
        generator=factory.generator_for(request.run.settings, env),
        store=factory.object_store(env),
        active_models=factory.active_model_store(env),
        region=env.region,
    )
    metrics.add_metric(name="TrainingRows", unit="Count", value=result.train_rows)
    metrics.add_metric(name="ValidationRows", unit="Count", value=result.validation_rows)
    metrics.add_metric(name="EstimatedCostUSD", unit="None", value=result.estimated_cost_usd)
    # The DatasetDecision state ends the run here (in its order) when nothing is to be trained.
    if result.valid and (result.dry_run or result.unchanged):
        run_ended("dry_run" if result.dry_run else "unchanged", request.run)
    return result.to_payload()
