"""StartOnUpload handler (EventBridge: an object landed under incoming/): start the run of
this upload burst's time window, once (podium.workflow.uploads)."""

from __future__ import annotations

from typing import Any

from lambdas.observability import step_handler
from podium.adapters import factory
from podium.adapters.stepfunctions import start_named_execution
from podium.workflow import uploads
from podium.workflow.environment import current


@step_handler("StartOnUpload")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    client = factory.aws_client("stepfunctions", env)
    return uploads.start_for_upload(
        event, start_execution=lambda name: start_named_execution(env.state_machine_arn, name, client=client)
    )
