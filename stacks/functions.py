"""One Lambda function per workflow step (podium.workflow.steps.STEPS), each with its own
role whose policy is derived from the step's `access` set and nothing else: the statements of
podium.workflow.permissions, which the rehearsal enforces too."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from podium.config import StackSettings
from podium.workflow.permissions import GRANTS, Names, Statement, state_machine_name, step_statements
from podium.workflow.steps import STEPS, Step
from stacks.bundling import groups_for, lambda_code
from stacks.nag import acknowledge, allow
from stacks.storage import Storage

_COLON = ArnFormat.COLON_RESOURCE_NAME
# Powertools' service (the `service` key of every log line and dimension of every metric) and
# metrics namespace (lambdas/observability.py)
SERVICE_NAME = "podium"
METRICS_NAMESPACE = "Podium"
AWS_MAX_ATTEMPTS = 3

XRAY_REASON = (
    "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions; AWS "
    "documents Resource '*' as the only form (added by Lambda active tracing)."
)


def active_model_parameter_name(settings: StackSettings) -> str:
    return f"/{settings.name_prefix}/active-model"


@dataclass(frozen=True)
class Resources:
    """What the step roles may be granted on."""

    storage: Storage
    bedrock_role: iam.IRole
    active_model: ssm.IStringParameter
    settings: StackSettings
    topic: sns.ITopic  # run outcomes: the functions outside the state machine notify here


def names_for(stack: Stack, r: Resources) -> Names:
    """What podium.workflow.permissions' statements name, as this stack's tokens."""
    return Names(
        partition=stack.partition,
        region=stack.region,
        account=stack.account,
        bucket_arn=r.storage.bucket.bucket_arn,
        key_arn=r.storage.key.key_arn,
        topic_arn=r.topic.topic_arn,
        active_model_parameter_arn=r.active_model.parameter_arn,
        bedrock_role_arn=r.bedrock_role.role_arn,
    )


def state_machine_arn(stack: Stack, settings: StackSettings) -> str:
    """Formatted from the fixed name: functions may name the machine without depending on it."""
    return stack.format_arn(
        service="states", resource="stateMachine", resource_name=state_machine_name(settings), arn_format=_COLON
    )


def grant(role: iam.IRole, statements: Iterable[Statement]) -> None:
    """Each statement on `role`; a wildcard resource is acknowledged with the statement's reason."""
    for statement in statements:
        allow(
            role,
            list(statement.actions),
            list(statement.resources),
            wildcard_reason=statement.wildcard_reason,
            conditions={op: dict(values) for op, values in statement.conditions.items()}
            if statement.conditions
            else None,
        )


def lambda_environment(r: Resources) -> dict[str, str]:
    """podium.workflow.environment's contract, the same for every step."""
    return {
        "PODIUM_BUCKET": r.storage.bucket.bucket_name,
        "PODIUM_ACTIVE_MODEL_PARAMETER": r.active_model.parameter_name,
        "PODIUM_BEDROCK_ROLE_ARN": r.bedrock_role.role_arn,
        "PODIUM_KMS_KEY_ARN": r.storage.key.key_arn,
        "PODIUM_NAME_PREFIX": r.settings.name_prefix,
        "PODIUM_DEFAULTS": json.dumps(r.settings.defaults.model_dump(mode="json"), sort_keys=True),
        # The first try and 2 retries: a call then gives up inside the shortest function timeout
        # (podium.adapters.factory.worst_call_seconds), and Step Functions retries the step.
        "PODIUM_AWS_MAX_ATTEMPTS": str(AWS_MAX_ATTEMPTS),
        "PODIUM_MAX_MODEL_UNITS": str(r.settings.throughput_max_model_units),
        "PODIUM_JANITOR_DRY_RUN": "true" if r.settings.janitor_dry_run else "false",
        "PODIUM_JANITOR_SCHEDULE": r.settings.janitor_schedule or "",
        "PODIUM_TOPIC_ARN": r.topic.topic_arn,
        "PODIUM_STATE_MACHINE_ARN": state_machine_arn(Stack.of(r.storage), r.settings),
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",  # as the application log level below, which wins
    }


class StepFunctions(Construct):
    """`functions[step.name]` is the Lambda for that step."""

    def __init__(self, scope: Construct, construct_id: str, *, resources: Resources) -> None:
        super().__init__(scope, construct_id)
        settings = resources.settings
        environment = lambda_environment(resources)
        # One asset per set of dependency groups: functions needing the same share it.
        codes: dict[tuple[str, ...], lambda_.Code] = {}
        self.functions: dict[str, lambda_.Function] = {}
        for step in STEPS:
            groups = groups_for(step, settings.defaults)
            code = codes.get(groups) or codes.setdefault(groups, lambda_code(groups))
            self.functions[step.name] = self._function(step, code, environment, resources, settings)

    def _function(
        self,
        step: Step,
        code: lambda_.Code,
        environment: dict[str, str],
        resources: Resources,
        settings: StackSettings,
    ) -> lambda_.Function:
        scope = Construct(self, step.name)
        log_group = retained_log_group(scope, "Logs", settings.log_retention_days)
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{settings.name_prefix} {step.name} step: {', '.join(sorted(a.value for a in step.access))}",
        )
        # Instead of the AWSLambdaBasicExecutionRole managed policy (any log group): its own log group.
        missing = sorted(a.value for a in step.access if a not in GRANTS)
        if missing:
            raise ValueError(
                f"step {step.name} needs access {missing}, which podium/workflow/permissions.py "
                "does not know how to grant: add it to GRANTS"
            )
        grant(role, step_statements(step, names_for(Stack.of(role), resources), settings, log_group.log_group_arn))
        function = lambda_.Function(
            scope,
            "Function",
            description=f"Podium workflow step {step.name}",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.X86_64,
            handler=step.handler,
            code=code,
            timeout=Duration.seconds(step.timeout_seconds),
            memory_size=step.memory_mb,
            role=role,
            environment=environment,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            # Powertools' Logger writes JSON lines with an RFC 3339 timestamp and a level, which
            # Lambda's JSON log format keeps as they are and filters by level.
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
        )
        acknowledge(role, "IAM5", XRAY_REASON, "Resource::*")
        acknowledge(
            function,
            "L1",
            "Pinned to python3.12 on purpose: the handlers and the bundled wheels (cp312) are "
            "built and tested for it; moving runtimes is a deliberate change, not a drift.",
        )
        return function


def retained_log_group(scope: Construct, construct_id: str, days: int) -> logs.LogGroup:
    """A log group kept `days` days (a CloudWatch period, checked in podium.config_context).
    Set on the resource directly: RetentionDays is an enum of names in Python, not of days."""
    group = logs.LogGroup(scope, construct_id, removal_policy=RemovalPolicy.DESTROY)
    resource: logs.CfnLogGroup = group.node.default_child  # type: ignore[assignment]
    resource.retention_in_days = days
    return group
