"""CheckFineTune handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import metrics
from podium.adapters import factory
from podium.workflow import fine_tune
from podium.workflow.environment import current
from podium.workflow.events import CheckFineTuneEvent


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = CheckFineTuneEvent.model_validate(event)
    result = fine_tune.check_fine_tune(request, fine_tuner=factory.fine_tuner(env), store=factory.object_store(env))
    return result.to_payload()
