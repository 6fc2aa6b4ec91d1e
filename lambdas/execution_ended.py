"""ExecutionEnded handler (EventBridge: an execution of this state machine ended ABORTED,
TIMED_OUT or FAILED): run the run's Cleanup when its own did not run, and notify."""

from __future__ import annotations

from typing import Any

from lambdas.observability import metrics
from podium.adapters import factory
from podium.adapters.stepfunctions import execution_history
from podium.workflow import ended
from podium.workflow.conclude import Place
from podium.workflow.environment import current


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    change = ended.ExecutionStatusChange.model_validate(event["detail"])
    history = execution_history(change.executionArn, client=factory.aws_client("stepfunctions", env))
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
    metrics.add_dimension(name="Status", value=change.status)
    metrics.add_metric(name="RunsEndedWithoutCleanup", unit="Count", value=1)
    return summary.to_payload()
