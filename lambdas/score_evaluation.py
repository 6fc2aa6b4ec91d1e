"""ScoreEvaluation handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, count, metrics, run_ended, step_handler
from podium.adapters import factory
from podium.workflow import evaluate
from podium.workflow.environment import current
from podium.workflow.events import ScoreEvaluationEvent
from podium.workflow.polling import elapsed_seconds, utc_now


@step_handler("ScoreEvaluation")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = ScoreEvaluationEvent.model_validate(event)
    correlate(request.run)
    result = evaluate.score_evaluation(
        request,
        store=factory.object_store(env),
        fine_tuner=factory.fine_tuner(env),
        active_models=factory.active_model_store(env),
    )
    count("ModelsEvaluated", Decision=result.decision)
    if result.paraphrase_accuracy is not None:  # None: no question of that kind was asked
        metrics.add_metric(name="ParaphraseAccuracy", unit="Percent", value=100 * result.paraphrase_accuracy)
    if result.base_paraphrase_accuracy is not None:
        metrics.add_metric(name="BaseParaphraseAccuracy", unit="Percent", value=100 * result.base_paraphrase_accuracy)
    if result.unseen_hallucination is not None:
        metrics.add_metric(name="UnseenHallucination", unit="Percent", value=100 * result.unseen_hallucination)
    throughput = request.throughput
    if result.deleted_throughput_arn and throughput.started_at:
        # Billed per model unit and hour, from its creation to its deletion just now
        hours = elapsed_seconds(throughput.started_at, utc_now()) / 3600
        units = request.run.settings.throughput.model_units
        metrics.add_metric(name="ThroughputHours", unit="None", value=hours * units)
    if result.decision == "discard":
        run_ended("discarded", request.run)
    return result.to_payload()
