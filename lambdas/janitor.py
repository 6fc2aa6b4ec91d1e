"""Janitor handler (scheduled): delete this stack's expired, never-promoted throughputs, custom
model deployments and custom models; notify when it deleted something (or would have, in a dry run) or could not."""

from __future__ import annotations

from typing import Any

from lambdas.observability import logger, metrics, step_handler
from podium.adapters import factory
from podium.adapters.stepfunctions import execution_status
from podium.workflow import janitor
from podium.workflow.environment import current


@step_handler("Janitor")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    env = current()
    client = factory.aws_client("stepfunctions", env)
    report = janitor.sweep(
        fine_tuner=factory.fine_tuner(env),
        active_models=factory.active_model_store(env),
        store=factory.object_store(env),
        name_prefix=env.name_prefix,
        default_ttl_hours=env.defaults.throughput.ttl_hours,
        dry_run=env.janitor_dry_run,
        state_machine_arn=env.state_machine_arn,
        execution_status=lambda arn: execution_status(arn, client=client),
        deployments=env.makes_deployments,
    )
    payload = report.to_payload()
    if report.worth_telling:  # a text a person reads, like the runs' notifications
        factory.notifier(env).publish_text(report.subject(), report.text(), {"status": "janitor"})
        logger.info("notified: %s", report.subject())
    metrics.add_metric(name="JanitorDeleted", unit="Count", value=0 if report.dry_run else len(report.deleted))
    # Sampled at every sweep (hourly by default): the stack's throughput billed right now, and its
    # custom model deployments (billed per token asked, nothing while idle)
    metrics.add_metric(name="ProvisionedModelUnits", unit="Count", value=report.model_units)
    metrics.add_metric(name="CustomModelDeployments", unit="Count", value=report.deployments)
    return payload
