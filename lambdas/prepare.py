"""Prepare handler: parse the event, call podium.workflow, return the result."""

from __future__ import annotations

from typing import Any

from lambdas.observability import correlate, count, step_handler
from podium.adapters import factory
from podium.adapters.secrets import read_databricks_credentials
from podium.adapters.stepfunctions import running_executions
from podium.workflow import prepare
from podium.workflow.environment import current
from podium.workflow.events import PrepareEvent
from podium.workflow.run_names import run_id_for


@step_handler("Prepare")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    request = PrepareEvent.model_validate(event)
    execution = request.execution
    correlate(run_id=run_id_for(execution.name, execution.id, execution.start_time), execution_arn=execution.id)
    result = prepare.prepare(
        request,
        defaults=env.defaults,
        region=env.region,
        # Clients from the factory: its region, standard-mode retries and service list
        list_running=lambda arn: running_executions(arn, client=factory.aws_client("stepfunctions", env)),
        store=factory.object_store(env),
        read_databricks_secret=lambda name: read_databricks_credentials(
            name, client=factory.aws_client("secretsmanager", env)
        ),
        read_caps=factory.caps_reader(env),
        max_model_units=env.max_model_units,
        claim_run=factory.run_lock(env).claim,
        janitor_deletes=env.janitor_deletes,
        read_model_units=factory.model_unit_reader(env),
        read_deployments=factory.deployment_reader(env),
    )
    if result.skip_reason:
        count("RunsEnded", Outcome="skipped")
    return result.to_payload()
