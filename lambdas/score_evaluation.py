"""ScoreEvaluation handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.bounded import bounded_errors
from lambdas.observability import metrics
from podium.adapters import factory
from podium.workflow import evaluate
from podium.workflow.environment import current
from podium.workflow.events import ScoreEvaluationEvent


@bounded_errors
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = ScoreEvaluationEvent.model_validate(event)
    result = evaluate.score_evaluation(
        request,
        store=factory.object_store(env),
        fine_tuner=factory.fine_tuner(env),
        active_models=factory.active_model_store(env),
    )
    metrics.add_dimension(name="Decision", value=result.decision)
    metrics.add_metric(name="ModelsEvaluated", unit="Count", value=1)
    return result.to_payload()
