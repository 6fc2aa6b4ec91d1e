"""What every role of the deployment may do, as plain IAM statements: the one source both the
stack and the rehearsal read. The statements' language is podium.workflow.statements; the grants
on Bedrock are podium.workflow.bedrock_grants; this module holds the other services' grants, the
map from each Access to its statements, and every role.

stacks/ turns each Statement into a CDK PolicyStatement on the role (the names below are CDK
tokens there); the rehearsal (podium.rehearsal.iam) creates the same roles in its local account,
with concrete names, and judges every AWS call of a function by its role. A test compares the
synthesized template's policies with these, statement for statement.

Every statement says why it is there; one that no rehearsal can reach says why in `unreachable`
(tests/workflow/test_statement_replay.py replays a tour of rehearsals against each role, one action of
one statement removed at a time, and shows each of the others is needed by some call;
tests/workflow/test_rehearsal_on_demand.py does the same for the deployment grants of an on-demand stack).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from podium.config import StackSettings
from podium.models import get_model
from podium.workflow.bedrock_grants import (
    BEDROCK_GRANTS,
    BEDROCK_SERVICE,
    base_model_invocation_arns,
    bedrock_arn,
    on_demand_allowed,
)
from podium.workflow.statements import Names, Statement, merged, policy_document, this_stack_only, via
from podium.workflow.steps import Access, Step

LAMBDA_SERVICE = "lambda.amazonaws.com"
STATES_SERVICE = "states.amazonaws.com"
RUNS_PREFIX = "runs/"
LOCKS_PREFIX = "locks/"  # podium.adapters.run_lock: one run at a time

RUN_FILES_REASON = (
    "Objects are addressed by prefix: source CSVs under the data prefix, and run files under "
    "runs/<run_id>/ where run ids are made per execution; the wildcard stays inside this bucket."
)
LAMBDA_RUNTIME = (
    "Used by the Lambda service on the function's behalf (its log stream); the handlers make no "
    "CloudWatch Logs call, and the rehearsal prints their logs instead"
)


def state_machine_name(settings: StackSettings) -> str:
    """Fixed, so functions can be granted on the machine's ARN without depending on it."""
    return f"{settings.name_prefix}-finetune"


def state_machine_arn(names: Names, settings: StackSettings) -> str:
    return names.arn("states", f"stateMachine:{state_machine_name(settings)}")


def executions_arn(names: Names, settings: StackSettings) -> str:
    """Every execution of the state machine (their names are chosen at each start)."""
    return names.arn("states", f"execution:{state_machine_name(settings)}:*")


def _key_via_s3(names: Names, settings: StackSettings, actions: Sequence[str]) -> Statement:
    """SSE-KMS: S3 uses the bucket key with the caller's rights (UsingKMSEncryption.html)."""
    return Statement(tuple(actions), (names.key_arn,), via("s3", settings))


def _list_prefix(names: Names, prefix: str) -> Statement:
    return Statement(("s3:ListBucket",), (names.bucket_arn,), {"StringLike": {"s3:prefix": [f"{prefix}*"]}})


def _read_prefix(names: Names, settings: StackSettings, prefix: str) -> list[Statement]:
    return [
        Statement(("s3:GetObject",), (names.objects(f"{prefix}*"),), wildcard_reason=RUN_FILES_REASON),
        # also what makes S3 answer 404 rather than 403 for a file not written yet (API_GetObject.html)
        _list_prefix(names, prefix),
        _key_via_s3(names, settings, ["kms:Decrypt"]),
    ]


def _read_data(names: Names, settings: StackSettings) -> list[Statement]:
    return _read_prefix(names, settings, settings.defaults.data_prefix)


def _list_data(names: Names, settings: StackSettings) -> list[Statement]:
    return [_list_prefix(names, settings.defaults.data_prefix)]


def _read_runs(names: Names, settings: StackSettings) -> list[Statement]:
    return _read_prefix(names, settings, RUNS_PREFIX)


def _list_runs(names: Names, settings: StackSettings) -> list[Statement]:
    return [_list_prefix(names, RUNS_PREFIX)]


def _reread_runs(names: Names, settings: StackSettings) -> list[Statement]:
    """Read back a file the step wrote itself: it exists, so no listing is needed to tell 404 from 403."""
    return [
        Statement(("s3:GetObject",), (names.objects(f"{RUNS_PREFIX}*"),), wildcard_reason=RUN_FILES_REASON),
        _key_via_s3(names, settings, ["kms:Decrypt"]),
    ]


def _write_runs(names: Names, settings: StackSettings, *, tagged: bool = False) -> list[Statement]:
    # tagged: scratch files carry a retention tag (PutObject with Tagging needs s3:PutObjectTagging)
    return [
        Statement(
            ("s3:PutObject", "s3:PutObjectTagging") if tagged else ("s3:PutObject",),
            (names.objects(f"{RUNS_PREFIX}*"),),
            wildcard_reason=RUN_FILES_REASON,
        ),
        _key_via_s3(names, settings, ["kms:GenerateDataKey"]),
    ]


def _write_scratch(names: Names, settings: StackSettings) -> list[Statement]:
    return _write_runs(names, settings, tagged=True)


def _list_executions(names: Names, settings: StackSettings) -> list[Statement]:
    return [Statement(("states:ListExecutions",), (state_machine_arn(names, settings),))]


def _read_execution_history(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("states:GetExecutionHistory",),
            (executions_arn(names, settings),),
            wildcard_reason="Execution names are chosen at each start; the wildcard covers only this state "
            "machine's executions.",
        )
    ]


def _run_lock(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("s3:GetObject", "s3:PutObject"),
            (names.objects(f"{LOCKS_PREFIX}*"),),
            wildcard_reason="The run lock is one object under locks/ of this bucket (podium.adapters.run_lock).",
        ),
        _key_via_s3(names, settings, ["kms:Decrypt", "kms:GenerateDataKey"]),
        Statement(
            ("states:DescribeExecution",),
            (executions_arn(names, settings),),
            wildcard_reason="The lock's holder is one of this state machine's executions, named at its start.",
        ),
    ]


def _start_execution(names: Names, settings: StackSettings) -> list[Statement]:
    return [Statement(("states:StartExecution",), (state_machine_arn(names, settings),))]


def _notify(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(("sns:Publish",), (names.topic_arn,)),
        # The topic is encrypted with the project key (sns-key-management.html: publishers need both).
        Statement(("kms:GenerateDataKey", "kms:Decrypt"), (names.key_arn,), via("sns", settings)),
    ]


def _databricks_secret(names: Names, settings: StackSettings) -> list[Statement]:
    name = settings.defaults.databricks.secret_name
    if not name:
        return []  # generator=builtin by default: no secret exists, so nothing is granted
    return [
        Statement(
            ("secretsmanager:GetSecretValue",),
            (names.arn("secretsmanager", f"secret:{name}-??????"),),
            wildcard_reason="Secrets Manager appends 6 random characters to a secret's ARN; '-??????' "
            "matches exactly those for the one configured secret name.",
        )
    ]


def _describe_executions(names: Names, settings: StackSettings) -> list[Statement]:
    """The janitor leaves whatever a RUNNING execution made alone (podium.workflow.janitor)."""
    return [
        Statement(
            ("states:DescribeExecution",),
            (executions_arn(names, settings),),
            wildcard_reason="Execution names are chosen at each start; the wildcard covers only this state "
            "machine's executions.",
        )
    ]


def _active_model_read(names: Names, settings: StackSettings) -> list[Statement]:
    return [Statement(("ssm:GetParameter",), (names.active_model_parameter_arn,))]


def _active_model_write(names: Names, settings: StackSettings) -> list[Statement]:
    return [Statement(("ssm:PutParameter",), (names.active_model_parameter_arn,))]


def _read_quotas(names: Names, settings: StackSettings) -> list[Statement]:
    # Read-only. GetServiceQuota would accept a quota ARN, but Bedrock's customization quota
    # codes are not published per model, so the quotas are found by listing them by name.
    return [
        Statement(
            ("servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas"),
            ("*",),
            wildcard_reason="ListServiceQuotas and ListAWSDefaultServiceQuotas define no resource type in the "
            "Service Authorization Reference, so IAM accepts only '*'; both only read quota values.",
        )
    ]


# Every Access maps to its statements; tests check the mapping is complete.
GRANTS: Mapping[Access, Callable[[Names, StackSettings], list[Statement]]] = {
    **BEDROCK_GRANTS,
    Access.READ_DATA: _read_data,
    Access.LIST_DATA: _list_data,
    Access.READ_RUNS: _read_runs,
    Access.LIST_RUNS: _list_runs,
    Access.REREAD_RUNS: _reread_runs,
    Access.WRITE_RUNS: _write_runs,
    Access.WRITE_SCRATCH: _write_scratch,
    Access.LIST_EXECUTIONS: _list_executions,
    Access.DATABRICKS_SECRET: _databricks_secret,
    Access.READ_EXECUTION_HISTORY: _read_execution_history,
    Access.START_EXECUTION: _start_execution,
    Access.RUN_LOCK: _run_lock,
    Access.NOTIFY: _notify,
    Access.ACTIVE_MODEL_READ: _active_model_read,
    Access.ACTIVE_MODEL_WRITE: _active_model_write,
    Access.READ_QUOTAS: _read_quotas,
    Access.DESCRIBE_EXECUTIONS: _describe_executions,
}


def step_statements(step: Step, names: Names, settings: StackSettings, log_group_arn: str) -> list[Statement]:
    """The role of `step`'s function: its log group, then what its access set says, merged."""
    statements = [
        Statement(("logs:CreateLogStream", "logs:PutLogEvents"), (log_group_arn,), unreachable=LAMBDA_RUNTIME)
    ]
    for access in sorted(step.access, key=lambda a: a.value):
        statements += GRANTS[access](names, settings)
    return merged(statements)


def bedrock_service_role_statements(names: Names, settings: StackSettings) -> list[Statement]:
    """The role Bedrock assumes to run a customization job (model-customization-iam-role.html):
    read the training and validation files, list the bucket, write the job's output, use the key."""
    reason = (
        "Run ids are generated per execution, so a job's files can only be named by the "
        "runs/<run_id>/ pattern; the wildcard stays inside this bucket's runs/ prefix."
    )
    return [
        Statement(
            ("s3:GetObject",),
            (names.objects(f"{RUNS_PREFIX}*/train*"), names.objects(f"{RUNS_PREFIX}*/validation*")),
            wildcard_reason=reason,
        ),
        # As AWS's example grants it: on the bucket, with no prefix condition, since which prefix
        # Bedrock lists with is not documented.
        Statement(("s3:ListBucket",), (names.bucket_arn,)),
        Statement(("s3:PutObject",), (names.objects(f"{RUNS_PREFIX}*/output/*"),), wildcard_reason=reason),
        # Reading and writing SSE-KMS objects.
        Statement(("kms:Decrypt", "kms:GenerateDataKey"), (names.key_arn,)),
        # DescribeKey and CreateGrant (for AWS resources only): Bedrock hands the key to the training
        # service it runs the job on.
        Statement(
            ("kms:DescribeKey",),
            (names.key_arn,),
            unreachable="Bedrock's training service describes the key inside AWS; the emulator trains nothing",
        ),
        Statement(
            ("kms:CreateGrant",),
            (names.key_arn,),
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            unreachable="Bedrock's training service creates the grant inside AWS; the emulator trains nothing",
        ),
    ]


def bedrock_trust_policy(names: Names) -> dict[str, Any]:
    """Only Bedrock, only for customization jobs of this account and region (confused deputy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": BEDROCK_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": names.account},
                    "ArnEquals": {"aws:SourceArn": bedrock_arn(names, "model-customization-job")},
                },
            }
        ],
    }


def state_machine_statements(names: Names, settings: StackSettings, function_arns: Sequence[str]) -> list[Statement]:
    """The state machine's role: invoke exactly the step functions (unqualified ARNs: the ASL
    invokes them without a version) and publish to the topic, which is encrypted with the key."""
    return [
        Statement(("lambda:InvokeFunction",), tuple(function_arns)),
        Statement(("sns:Publish",), (names.topic_arn,)),
        Statement(("kms:GenerateDataKey", "kms:Decrypt"), (names.key_arn,), via("sns", settings)),
    ]


def schedule_role_statements(machine_arn: str) -> list[Statement]:
    """The role EventBridge starts scheduled runs with (retrain_schedule): start this state machine."""
    return [
        Statement(
            ("states:StartExecution",),
            (machine_arn,),
            unreachable="EventBridge starts the scheduled execution with this role; the rehearsal starts its own",
        )
    ]


def nova_key_policy_statement(names: Names, settings: StackSettings) -> dict[str, Any] | None:
    """A Nova custom model on provisioned throughput is decrypted by Bedrock itself: the key policy
    must let the Bedrock service principal use the key (Nova user guide, customize-fine-tune-encrypt).
    None for the other models."""
    if get_model(settings.defaults.base_model, settings.region).provider != "Amazon":
        return None
    return {
        "Sid": "BedrockServesNovaCustomModels",
        "Effect": "Allow",
        "Principal": {"Service": BEDROCK_SERVICE},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": names.account}},
    }


__all__ = [
    "BEDROCK_SERVICE",
    "GRANTS",
    "Names",
    "Statement",
    "base_model_invocation_arns",
    "bedrock_service_role_statements",
    "bedrock_trust_policy",
    "executions_arn",
    "merged",
    "nova_key_policy_statement",
    "on_demand_allowed",
    "policy_document",
    "schedule_role_statements",
    "state_machine_arn",
    "state_machine_name",
    "state_machine_statements",
    "step_statements",
    "this_stack_only",
]
