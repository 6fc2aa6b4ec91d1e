"""One Lambda function per workflow step (podium.workflow.steps.STEPS), each with its own
role whose policy is derived from the step's `access` set and nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from podium.adapters.ports import TAG_KEYS, TAG_STACK
from podium.config import StackSettings
from podium.models import get_model
from podium.workflow.steps import STEPS, Access, Step
from stacks.bedrock_role import BEDROCK, customization_job_arn
from stacks.bundling import groups_for, lambda_code
from stacks.nag import acknowledge, allow
from stacks.storage import LOCKS_PREFIX, RUNS_PREFIX, Storage

_COLON = ArnFormat.COLON_RESOURCE_NAME
METRICS_SERVICE_NAME = "podium"  # the `service` dimension of every metric (lambdas/observability.py)
METRICS_NAMESPACE = "Podium"
AWS_MAX_ATTEMPTS = 3

XRAY_REASON = (
    "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions; AWS "
    "documents Resource '*' as the only form (added by Lambda active tracing)."
)
RUN_FILES_REASON = (
    "Objects are addressed by prefix: source CSVs under the data prefix, and run files under "
    "runs/<run_id>/ where run ids are made per execution; the wildcard stays inside this bucket."
)
BEDROCK_IDS_REASON = (
    "Bedrock assigns job, custom-model and provisioned-model ids at creation, so their ARNs "
    "can only be named by type within this account and region."
)


def state_machine_name(settings: StackSettings) -> str:
    """Fixed, so functions can be granted on the machine's ARN without depending on it."""
    return f"{settings.name_prefix}-finetune"


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


def _arn(stack: Stack, service: str, resource: str, name: str, *, account: bool = True) -> str:
    return stack.format_arn(service=service, resource=resource, resource_name=name, account=None if account else "")


def _read_prefix(role: iam.IRole, r: Resources, prefix: str) -> None:
    allow(role, ["s3:GetObject"], [r.storage.objects(f"{prefix}*")], wildcard_reason=RUN_FILES_REASON)
    allow(
        role,
        ["s3:ListBucket"],
        [r.storage.bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
    )
    r.storage.grant_key_via_s3(role, ["kms:Decrypt"])


def _read_data(role: iam.IRole, r: Resources) -> None:
    _read_prefix(role, r, r.settings.defaults.data_prefix)


def _read_runs(role: iam.IRole, r: Resources) -> None:
    _read_prefix(role, r, RUNS_PREFIX)


def _write_runs(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["s3:PutObject", "s3:PutObjectTagging"],  # tagging: scratch files carry a retention tag
        [r.storage.objects(f"{RUNS_PREFIX}*")],
        wildcard_reason=RUN_FILES_REASON,
    )
    r.storage.grant_key_via_s3(role, ["kms:GenerateDataKey"])


def state_machine_arn(stack: Stack, settings: StackSettings) -> str:
    """Formatted from the fixed name: functions may name the machine without depending on it."""
    return stack.format_arn(
        service="states", resource="stateMachine", resource_name=state_machine_name(settings), arn_format=_COLON
    )


def executions_arn(stack: Stack, settings: StackSettings) -> str:
    """Every execution of the state machine (their names are chosen at each start)."""
    return stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine_name(settings)}:*",
        arn_format=_COLON,
    )


def _list_executions(role: iam.IRole, r: Resources) -> None:
    allow(role, ["states:ListExecutions"], [state_machine_arn(Stack.of(role), r.settings)])


def _read_execution_history(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["states:GetExecutionHistory"],
        [executions_arn(Stack.of(role), r.settings)],
        wildcard_reason="Execution names are chosen at each start; the wildcard covers only this state "
        "machine's executions.",
    )


def _run_lock(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["s3:GetObject", "s3:PutObject"],
        [r.storage.objects(f"{LOCKS_PREFIX}*")],
        wildcard_reason="The run lock is one object under locks/ of this bucket (podium.adapters.run_lock).",
    )
    r.storage.grant_key_via_s3(role, ["kms:Decrypt", "kms:GenerateDataKey"])
    _describe_executions(role, r)  # is the lock's holder still running?


def _start_execution(role: iam.IRole, r: Resources) -> None:
    allow(role, ["states:StartExecution"], [state_machine_arn(Stack.of(role), r.settings)])


def _notify(role: iam.IRole, r: Resources) -> None:
    allow(role, ["sns:Publish"], [r.topic.topic_arn])
    allow(
        role,
        ["kms:GenerateDataKey", "kms:Decrypt"],
        [r.storage.key.key_arn],
        conditions={"StringEquals": {"kms:ViaService": f"sns.{r.settings.region}.amazonaws.com"}},
    )


def _databricks_secret(role: iam.IRole, r: Resources) -> None:
    name = r.settings.defaults.databricks.secret_name
    if not name:
        return  # generator=builtin by default: no secret exists, so nothing is granted
    secret = Stack.of(role).format_arn(
        service="secretsmanager", resource="secret", resource_name=f"{name}-??????", arn_format=_COLON
    )
    allow(
        role,
        ["secretsmanager:GetSecretValue"],
        [secret],
        wildcard_reason="Secrets Manager appends 6 random characters to a secret's ARN; '-??????' "
        "matches exactly those for the one configured secret name.",
    )


def tags_this_stack_writes(settings: StackSettings) -> dict[str, Any]:
    """The IAM conditions on every Bedrock Create-with-tags and TagResource a role may do: the
    request tags the resource as this stack's (aws:RequestTag) and carries Podium's tag keys
    only (aws:TagKeys), so a role can neither mislabel a resource (say, another stack's, or
    with a longer ttl) nor add tags of its own; and a resource that already says it belongs
    to another stack is never retagged (aws:ResourceTag, when the resource has that tag)."""
    return {
        "StringEquals": {f"aws:RequestTag/{TAG_STACK}": settings.name_prefix},
        "ForAllValues:StringEquals": {"aws:TagKeys": list(TAG_KEYS)},
        "StringEqualsIfExists": {f"aws:ResourceTag/{TAG_STACK}": settings.name_prefix},
    }


def _bedrock_start_job(role: iam.IRole, r: Resources) -> None:
    stack = Stack.of(role)
    model = get_model(r.settings.defaults.base_model, r.settings.region)
    foundation_model = _arn(stack, "bedrock", "foundation-model", model.model_id, account=False)
    # The job and its custom model are created with their tags (jobTags, customModelTags), which
    # Bedrock authorises as TagResource too (model-customization-iam-role.html).
    allow(
        role,
        ["bedrock:CreateModelCustomizationJob", "bedrock:TagResource"],
        [
            customization_job_arn(stack),
            _arn(stack, "bedrock", "custom-model", "*"),
            foundation_model,
        ],
        wildcard_reason=BEDROCK_IDS_REASON,
        conditions=tags_this_stack_writes(r.settings),
    )
    allow(
        role,
        ["iam:PassRole"],
        [r.bedrock_role.role_arn],
        conditions={"StringEquals": {"iam:PassedToService": BEDROCK}},
    )
    _key_via_bedrock(role, r, ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"])


def _key_via_bedrock(role: iam.IRole, r: Resources, actions: list[str]) -> None:
    """Custom models are encrypted with the project key; Bedrock uses it on the caller's behalf."""
    allow(
        role,
        actions,
        [r.storage.key.key_arn],
        conditions={"StringEquals": {"kms:ViaService": f"bedrock.{r.settings.region}.amazonaws.com"}},
    )


def _bedrock_read_job(role: iam.IRole, r: Resources) -> None:
    stack = Stack.of(role)
    allow(
        role,
        ["bedrock:GetModelCustomizationJob", "bedrock:GetCustomModel"],
        [customization_job_arn(stack), _arn(stack, "bedrock", "custom-model", "*")],
        wildcard_reason=BEDROCK_IDS_REASON,
    )


def this_stack_only(settings: StackSettings) -> dict[str, Any]:
    """The IAM condition that limits a destructive action to resources this stack tagged."""
    return {"StringEquals": {f"aws:ResourceTag/{TAG_STACK}": settings.name_prefix}}


def _bedrock_stop_job(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["bedrock:StopModelCustomizationJob"],
        [customization_job_arn(Stack.of(role))],
        wildcard_reason=BEDROCK_IDS_REASON,
        conditions=this_stack_only(r.settings),
    )


def _bedrock_read_tags(role: iam.IRole, r: Resources) -> None:
    stack = Stack.of(role)
    allow(
        role,
        ["bedrock:ListTagsForResource"],
        [
            customization_job_arn(stack),
            _arn(stack, "bedrock", "custom-model", "*"),
            _arn(stack, "bedrock", "provisioned-model", "*"),
        ],
        wildcard_reason=BEDROCK_IDS_REASON,
    )


def _bedrock_create_throughput(role: iam.IRole, r: Resources) -> None:
    stack = Stack.of(role)
    provisioned = _arn(stack, "bedrock", "provisioned-model", "*")
    # Created with its tags: the same conditions as every tag this stack writes.
    allow(
        role,
        ["bedrock:CreateProvisionedModelThroughput", "bedrock:TagResource"],
        [provisioned, _arn(stack, "bedrock", "custom-model", "*")],
        wildcard_reason=BEDROCK_IDS_REASON,
        conditions=tags_this_stack_writes(r.settings),
    )
    allow(role, ["bedrock:GetProvisionedModelThroughput"], [provisioned], wildcard_reason=BEDROCK_IDS_REASON)
    _key_via_bedrock(role, r, ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"])


def _bedrock_read_throughput(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["bedrock:GetProvisionedModelThroughput"],
        [_arn(Stack.of(role), "bedrock", "provisioned-model", "*")],
        wildcard_reason=BEDROCK_IDS_REASON,
    )


def _bedrock_delete_throughput(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["bedrock:DeleteProvisionedModelThroughput"],
        [_arn(Stack.of(role), "bedrock", "provisioned-model", "*")],
        wildcard_reason=BEDROCK_IDS_REASON,
        conditions=this_stack_only(r.settings),
    )


def _bedrock_tag_promoted(role: iam.IRole, r: Resources) -> None:
    """Promote tags the promoted model and its throughput `podium:promoted` (with podium:stack, which
    the request-tag condition needs): only resources already tagged as this stack's."""
    stack = Stack.of(role)
    conditions = tags_this_stack_writes(r.settings)
    conditions["StringEquals"] = {
        **conditions["StringEquals"],
        f"aws:ResourceTag/{TAG_STACK}": r.settings.name_prefix,  # exists: no IfExists here
    }
    del conditions["StringEqualsIfExists"]
    allow(
        role,
        ["bedrock:TagResource"],
        [_arn(stack, "bedrock", "custom-model", "*"), _arn(stack, "bedrock", "provisioned-model", "*")],
        wildcard_reason=BEDROCK_IDS_REASON,
        conditions=conditions,
    )


def _describe_executions(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["states:DescribeExecution"],
        [executions_arn(Stack.of(role), r.settings)],
        wildcard_reason="Execution names are chosen at each start; the wildcard covers only this state "
        "machine's executions.",
    )


def _bedrock_list(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["bedrock:ListProvisionedModelThroughputs", "bedrock:ListCustomModels"],
        ["*"],
        wildcard_reason="Bedrock's List actions have no resource-level permissions (AWS documents Resource "
        "'*'); the janitor then acts only on resources tagged with this stack.",
    )


def _bedrock_delete_model(role: iam.IRole, r: Resources) -> None:
    allow(
        role,
        ["bedrock:DeleteCustomModel"],
        [_arn(Stack.of(role), "bedrock", "custom-model", "*")],
        wildcard_reason=BEDROCK_IDS_REASON,
        conditions=this_stack_only(r.settings),
    )


# Geography prefixes of Bedrock's cross-region inference profile ids ("us.meta.llama3-2-…").
_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.")


def base_model_invoke_arns(stack: Stack, settings: StackSettings) -> list[str]:
    """What invoking the deployed base model on demand needs: its foundation model in this region,
    or, when it is served through a cross-region inference profile, the profile and the
    foundation model in every region the profile may route to (bedrock.md, "inference profiles")."""
    invocation_id = get_model(settings.defaults.base_model, settings.region).invocation_id
    if not invocation_id.startswith(_PROFILE_PREFIXES):
        return [_arn(stack, "bedrock", "foundation-model", invocation_id, account=False)]
    underlying = invocation_id.split(".", 1)[1]
    return [
        _arn(stack, "bedrock", "inference-profile", invocation_id),
        f"arn:{stack.partition}:bedrock:*::foundation-model/{underlying}",
    ]


def _bedrock_invoke(role: iam.IRole, r: Resources) -> None:
    """Converse is authorised as bedrock:InvokeModel: the new model through this stack's provisioned
    throughputs (tagged podium:stack), and the deployed base model only (Prepare refuses any other)."""
    stack = Stack.of(role)
    allow(
        role,
        ["bedrock:InvokeModel"],
        [_arn(stack, "bedrock", "provisioned-model", "*")],
        wildcard_reason=BEDROCK_IDS_REASON,
        conditions=this_stack_only(r.settings),
    )
    allow(
        role,
        ["bedrock:InvokeModel"],
        base_model_invoke_arns(stack, r.settings),
        wildcard_reason="An inference profile routes to its foundation model in any region of its geography.",
    )


def _active_model_read(role: iam.IRole, r: Resources) -> None:
    allow(role, ["ssm:GetParameter"], [r.active_model.parameter_arn])


def _active_model_write(role: iam.IRole, r: Resources) -> None:
    allow(role, ["ssm:PutParameter"], [r.active_model.parameter_arn])


def _read_quotas(role: iam.IRole, r: Resources) -> None:
    # Read-only. GetServiceQuota would accept a quota ARN, but Bedrock's customization quota
    # codes are not published per model, so the quotas are found by listing them by name.
    allow(
        role,
        ["servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas"],
        ["*"],
        wildcard_reason="ListServiceQuotas and ListAWSDefaultServiceQuotas define no resource type in the "
        "Service Authorization Reference, so IAM accepts only '*'; both only read quota values.",
    )


# Every Access must map to a grant; tests check the mapping is complete.
GRANTS: Mapping[Access, Callable[[iam.IRole, Resources], None]] = {
    Access.READ_DATA: _read_data,
    Access.READ_RUNS: _read_runs,
    Access.WRITE_RUNS: _write_runs,
    Access.LIST_EXECUTIONS: _list_executions,
    Access.DATABRICKS_SECRET: _databricks_secret,
    Access.BEDROCK_START_JOB: _bedrock_start_job,
    Access.BEDROCK_READ_JOB: _bedrock_read_job,
    Access.BEDROCK_STOP_JOB: _bedrock_stop_job,
    Access.BEDROCK_READ_TAGS: _bedrock_read_tags,
    Access.BEDROCK_CREATE_THROUGHPUT: _bedrock_create_throughput,
    Access.BEDROCK_READ_THROUGHPUT: _bedrock_read_throughput,
    Access.BEDROCK_DELETE_THROUGHPUT: _bedrock_delete_throughput,
    Access.BEDROCK_LIST: _bedrock_list,
    Access.BEDROCK_DELETE_MODEL: _bedrock_delete_model,
    Access.READ_EXECUTION_HISTORY: _read_execution_history,
    Access.START_EXECUTION: _start_execution,
    Access.RUN_LOCK: _run_lock,
    Access.NOTIFY: _notify,
    Access.BEDROCK_INVOKE: _bedrock_invoke,
    Access.ACTIVE_MODEL_READ: _active_model_read,
    Access.ACTIVE_MODEL_WRITE: _active_model_write,
    Access.READ_QUOTAS: _read_quotas,
    Access.DESCRIBE_EXECUTIONS: _describe_executions,
    Access.BEDROCK_TAG_PROMOTED: _bedrock_tag_promoted,
}


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
        "PODIUM_SERVICE_NAME": METRICS_SERVICE_NAME,
        "PODIUM_METRICS_NAMESPACE": METRICS_NAMESPACE,
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
        # Instead of the AWSLambdaBasicExecutionRole managed policy (any log group): this one.
        allow(role, ["logs:CreateLogStream", "logs:PutLogEvents"], [log_group.log_group_arn])
        for access in sorted(step.access, key=lambda a: a.value):
            grant = GRANTS.get(access)
            if grant is None:
                raise ValueError(
                    f"step {step.name} needs access {access.value!r}, which stacks/functions.py "
                    "does not know how to grant: add it to GRANTS"
                )
            grant(role, resources)
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
            # Lambda writes each log record as JSON (requestId, level, extra keys) and filters
            # by level itself: the handlers log with the standard library (lambdas/observability.py).
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
