"""StartFineTune handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, step_handler
from podium.adapters import factory
from podium.workflow import fine_tune
from podium.workflow.environment import current
from podium.workflow.events import StartFineTuneEvent


@step_handler("StartFineTune")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = StartFineTuneEvent.model_validate(event)
    correlate(request.run)
    result = fine_tune.start_fine_tune(
        request,
        fine_tuner=factory.fine_tuner(env),
        region=env.region,
        name_prefix=env.name_prefix,
        role_arn=env.bedrock_role_arn,
        kms_key_id=env.kms_key_arn,
    )
    return result.to_payload()
