"""CheckFineTune handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, metrics, step_handler
from podium.adapters import factory
from podium.adapters.ports import JobStatus
from podium.workflow import fine_tune
from podium.workflow.environment import current
from podium.workflow.events import CheckFineTuneEvent
from podium.workflow.polling import elapsed_seconds, utc_now


@step_handler("CheckFineTune")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CheckFineTuneEvent.model_validate(event)
    correlate(request.run)
    result = fine_tune.check_fine_tune(request, fine_tuner=factory.fine_tuner(env), store=factory.object_store(env))
    if result.status is JobStatus.COMPLETED:
        metrics.add_metric(name="FineTuneSeconds", unit="Seconds", value=elapsed_seconds(result.started_at, utc_now()))
        if result.training_loss is not None:
            metrics.add_metric(name="TrainingLoss", unit="None", value=result.training_loss)
        if result.validation_loss is not None:
            metrics.add_metric(name="ValidationLoss", unit="None", value=result.validation_loss)
    return result.to_payload()
