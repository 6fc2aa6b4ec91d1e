"""Report handler: write the run's report.html and the notification's text, however it ended."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, logger, step_handler
from podium.adapters import factory
from podium.adapters.stepfunctions import execution_history
from podium.workflow import conclude
from podium.workflow.environment import current
from podium.workflow.events import ReportEvent


@step_handler("Report")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = ReportEvent.model_validate(event)
    correlate(request.run)
    states = factory.aws_client("stepfunctions", env)
    result = conclude.conclude(
        request,
        store=factory.object_store(env),
        place=conclude.Place(region=env.region, bucket=env.bucket, name_prefix=env.name_prefix),
        read_history=lambda arn: execution_history(arn, client=states),
        active_models=factory.active_model_store(env),
    )
    logger.info("report %s; notice: %s", result.report_html_uri or "not written", result.subject)
    return result.to_payload()
