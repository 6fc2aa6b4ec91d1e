"""ExecutionEnded handler (EventBridge: an execution of this state machine ended ABORTED,
TIMED_OUT or FAILED): run the run's Cleanup when its own did not run, and notify."""

from __future__ import annotations

from typing import Any

from lambdas.bounded import bounded_errors
from lambdas.observability import metrics
from podium.adapters import factory
from podium.adapters.stepfunctions import execution_history
from podium.workflow import ended
from podium.workflow.environment import current


@bounded_errors
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    change = ended.ExecutionStatusChange.model_validate(event["detail"])
    summary = ended.clean_up_ended_execution(
        change,
        history=execution_history(change.executionArn, client=factory.aws_client("stepfunctions", env)),
        fine_tuner=factory.fine_tuner(env),
        active_models=factory.active_model_store(env),
        name_prefix=env.name_prefix,
        generator_for=lambda settings: factory.generator_for(settings, env),
    )
    if summary is None:
        return {"execution": change.executionArn, "status": change.status, "cleanup": "ran in the workflow"}
    factory.notifier(env).publish(
        f"Podium run {change.status.lower()}: {summary.run_id or change.name}", summary.to_payload()
    )
    metrics.add_dimension(name="Status", value=change.status)
    metrics.add_metric(name="RunsEndedWithoutCleanup", unit="Count", value=1)
    return summary.to_payload()
