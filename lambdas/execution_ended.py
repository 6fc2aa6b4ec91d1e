"""ExecutionEnded handler (EventBridge: an execution of this state machine ended ABORTED,
TIMED_OUT or FAILED): run the run's Cleanup when its own did not finish, write its report, and notify."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, count, logger, metrics, step_handler
from podium.adapters import factory
from podium.adapters.stepfunctions import execution_history
from podium.workflow import ended
from podium.workflow.conclude import Place
from podium.workflow.environment import current


@step_handler("ExecutionEnded")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    change = ended.ExecutionStatusChange.model_validate(event["detail"])
    correlate(execution_arn=change.executionArn)
    history = execution_history(change.executionArn, client=factory.aws_client("stepfunctions", env))
    correlate(run_id=ended.run_id_of(history), execution_arn=change.executionArn)
    active_models = factory.active_model_store(env)
    summary = ended.clean_up_ended_execution(
        change,
        history=history,
        fine_tuner=factory.fine_tuner(env),
        active_models=active_models,
        name_prefix=env.name_prefix,
        generator_for=lambda settings: factory.generator_for(settings, env),
    )
    if summary is None:
        return {"execution": change.executionArn, "status": change.status, "cleanup": "ran in the workflow"}
    notice = ended.report_ended_execution(
        summary,
        history=history,
        store=factory.object_store(env),
        place=Place(region=env.region, bucket=env.bucket, name_prefix=env.name_prefix),
        active_models=active_models,
    )
    factory.notifier(env).publish_text(notice.subject, notice.text, {"status": notice.status})
    logger.info("notified: %s", notice.subject)
    count("RunsEndedWithoutCleanup", Status=change.status)
    count("RunsEnded", Outcome=change.status.lower())
    if change.startDate and change.stopDate:
        metrics.add_metric(name="RunSeconds", unit="Seconds", value=(change.stopDate - change.startDate) / 1000)
    return summary.to_payload()
