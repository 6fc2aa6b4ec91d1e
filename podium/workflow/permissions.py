"""What every role of the deployment may do, as plain IAM statements: the one source both the
stack and the rehearsal read.

stacks/ turns each Statement into a CDK PolicyStatement on the role (the names below are CDK
tokens there); the rehearsal (podium.rehearsal.iam) creates the same roles in its local account,
with concrete names, and judges every AWS call of a function by its role. A test compares the
synthesized template's policies with these, statement for statement.

Every statement says why it is there; one that no rehearsal can reach says why in `unreachable`
(tests/workflow/test_rehearsal_iam.py replays a tour of rehearsals against each role, one action of
one statement removed at a time, and shows each of the others is needed by some call).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from podium.adapters.ports import TAG_KEYS, TAG_STACK
from podium.config import StackSettings
from podium.models import get_model
from podium.workflow.steps import Access, Step

BEDROCK_SERVICE = "bedrock.amazonaws.com"
LAMBDA_SERVICE = "lambda.amazonaws.com"
STATES_SERVICE = "states.amazonaws.com"
RUNS_PREFIX = "runs/"
LOCKS_PREFIX = "locks/"  # podium.adapters.run_lock: one run at a time

RUN_FILES_REASON = (
    "Objects are addressed by prefix: source CSVs under the data prefix, and run files under "
    "runs/<run_id>/ where run ids are made per execution; the wildcard stays inside this bucket."
)
BEDROCK_IDS_REASON = (
    "Bedrock assigns job, custom-model, provisioned-model and custom-model-deployment ids at creation, so "
    "their ARNs can only be named by type within this account and region."
)
LAMBDA_RUNTIME = (
    "Used by the Lambda service on the function's behalf (its log stream); the handlers make no "
    "CloudWatch Logs call, and the rehearsal prints their logs instead"
)


@dataclass(frozen=True, eq=True)
class Statement:
    """One Allow statement. `wildcard_reason`: why a resource needs '*' (the cdk-nag
    acknowledgement); `unreachable`: why no rehearsal scenario makes a call that needs it."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]] | None = field(default=None, hash=False)
    wildcard_reason: str | None = field(default=None, compare=False)
    unreachable: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "Effect": "Allow",
            "Action": list(self.actions),
            "Resource": list(self.resources),
        }
        if self.conditions:
            document["Condition"] = {op: dict(values) for op, values in self.conditions.items()}
        return document

    def describe(self) -> str:
        condition = f" if {json.dumps(self.conditions, sort_keys=True)}" if self.conditions else ""
        return f"{', '.join(self.actions)} on {', '.join(self.resources)}{condition}"


def policy_document(statements: Iterable[Statement]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [s.to_json() for s in statements]}


@dataclass(frozen=True)
class Names:
    """What the statements name. Concrete in the rehearsal; CDK tokens (strings) at synth, so
    the same f-strings become the template's Fn::Join."""

    partition: str
    region: str
    account: str
    bucket_arn: str
    key_arn: str
    topic_arn: str
    active_model_parameter_arn: str
    bedrock_role_arn: str

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region is None else region}:"
            f"{self.account if account is None else account}:{resource}"
        )

    def objects(self, pattern: str) -> str:
        return f"{self.bucket_arn}/{pattern}"


def state_machine_name(settings: StackSettings) -> str:
    """Fixed, so functions can be granted on the machine's ARN without depending on it."""
    return f"{settings.name_prefix}-finetune"


def state_machine_arn(names: Names, settings: StackSettings) -> str:
    return names.arn("states", f"stateMachine:{state_machine_name(settings)}")


def executions_arn(names: Names, settings: StackSettings) -> str:
    """Every execution of the state machine (their names are chosen at each start)."""
    return names.arn("states", f"execution:{state_machine_name(settings)}:*")


def via(service: str, settings: StackSettings) -> dict[str, dict[str, str]]:
    """kms:ViaService: the key may be used only through `service` in this region."""
    return {"StringEquals": {"kms:ViaService": f"{service}.{settings.region}.amazonaws.com"}}


def this_stack_only(settings: StackSettings) -> dict[str, Any]:
    """The IAM condition that limits a destructive action to resources this stack tagged."""
    return {"StringEquals": {f"aws:ResourceTag/{TAG_STACK}": settings.name_prefix}}


def tags_this_stack_writes(settings: StackSettings) -> dict[str, Any]:
    """The conditions on every Bedrock Create-with-tags and TagResource a role may do: the request
    tags the resource as this stack's (aws:RequestTag) and carries Podium's tag keys only
    (aws:TagKeys), so a role can neither label a resource as another stack's (or with a ttl of
    its own making) nor add tags of its own; and a resource already tagged as another stack's is
    never retagged (aws:ResourceTag, when the resource has that tag: a new one has none)."""
    return {
        "StringEquals": {f"aws:RequestTag/{TAG_STACK}": settings.name_prefix},
        "ForAllValues:StringEquals": {"aws:TagKeys": list(TAG_KEYS)},
        "StringEqualsIfExists": {f"aws:ResourceTag/{TAG_STACK}": settings.name_prefix},
    }


def _bedrock(names: Names, kind: str, name: str = "*") -> str:
    return names.arn("bedrock", f"{kind}/{name}")


def _key_via_s3(names: Names, settings: StackSettings, actions: Sequence[str]) -> Statement:
    """SSE-KMS: S3 uses the bucket key with the caller's rights (UsingKMSEncryption.html)."""
    return Statement(tuple(actions), (names.key_arn,), via("s3", settings))


def _key_via_bedrock(names: Names, settings: StackSettings, actions: Sequence[str]) -> Statement:
    """Custom models are encrypted with the project key; Bedrock uses it with the caller's rights
    (encryption-custom-job.html)."""
    return Statement(tuple(actions), (names.key_arn,), via("bedrock", settings))


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


def foundation_model_arn(names: Names, model_id: str, region: str | None = None) -> str:
    return names.arn("bedrock", f"foundation-model/{model_id}", region=region, account="")


def _bedrock_start_job(names: Names, settings: StackSettings) -> list[Statement]:
    model = get_model(settings.defaults.base_model, settings.region)
    return [
        Statement(
            # TagResource: creating with jobTags/customModelTags is also authorized as TagResource
            ("bedrock:CreateModelCustomizationJob", "bedrock:TagResource"),
            (
                _bedrock(names, "model-customization-job"),
                _bedrock(names, "custom-model"),
                foundation_model_arn(names, model.model_id),
            ),
            tags_this_stack_writes(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        ),
        Statement(
            ("iam:PassRole",),
            (names.bedrock_role_arn,),
            {"StringEquals": {"iam:PassedToService": BEDROCK_SERVICE}},
        ),
        _key_via_bedrock(names, settings, ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"]),
    ]


def _bedrock_read_job(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:GetModelCustomizationJob",),
            (_bedrock(names, "model-customization-job"),),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
    ]


def _bedrock_read_model(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(("bedrock:GetCustomModel",), (_bedrock(names, "custom-model"),), wildcard_reason=BEDROCK_IDS_REASON)
    ]


def _bedrock_stop_job(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:StopModelCustomizationJob",),
            (_bedrock(names, "model-customization-job"),),
            this_stack_only(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
    ]


def on_demand_allowed(settings: StackSettings) -> bool:
    """The deployed base model's custom models can be deployed on demand in the deployed region, so a
    run may create a custom model deployment (deployment on_demand, deployed or from the input)."""
    return get_model(settings.defaults.base_model, settings.region).on_demand_problem(settings.region) is None


def _deployments(names: Names, settings: StackSettings) -> tuple[str, ...]:
    """This account's custom model deployments, when runs can make any (else none: nothing is granted)."""
    return (_bedrock(names, "custom-model-deployment"),) if on_demand_allowed(settings) else ()


def _bedrock_read_tags(kind: str) -> Callable[[Names, StackSettings], list[Statement]]:
    def grant(names: Names, settings: StackSettings) -> list[Statement]:
        return [
            Statement(("bedrock:ListTagsForResource",), (_bedrock(names, kind),), wildcard_reason=BEDROCK_IDS_REASON)
        ]

    return grant


def _bedrock_read_deployment_tags(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(("bedrock:ListTagsForResource",), (deployment,), wildcard_reason=BEDROCK_IDS_REASON)
        for deployment in _deployments(names, settings)
    ]


def _bedrock_create_throughput(names: Names, settings: StackSettings) -> list[Statement]:
    provisioned = _bedrock(names, "provisioned-model")
    return [
        Statement(
            # created with its tags: the same conditions as every tag this stack writes
            ("bedrock:CreateProvisionedModelThroughput", "bedrock:TagResource"),
            (provisioned, _bedrock(names, "custom-model")),
            tags_this_stack_writes(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        ),
        Statement(("bedrock:GetProvisionedModelThroughput",), (provisioned,), wildcard_reason=BEDROCK_IDS_REASON),
        # Using a custom model encrypted with the project key needs kms:Decrypt through Bedrock (encryption-
        # custom-job.html, "Allow access to an encrypted model"); the grants Bedrock needs to provision it
        # come from the primary grant made when the model was created, not from the caller.
        _key_via_bedrock(names, settings, ["kms:Decrypt"]),
    ]


def _bedrock_read_throughput(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:GetProvisionedModelThroughput",),
            (_bedrock(names, "provisioned-model"),),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
    ]


def _bedrock_delete_throughput(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:DeleteProvisionedModelThroughput",),
            (_bedrock(names, "provisioned-model"),),
            this_stack_only(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
    ]


LIST_REASON = (
    "Bedrock's List actions have no resource-level permissions (AWS documents Resource '*'); the "
    "janitor then acts only on resources tagged with this stack."
)


def _bedrock_create_deployment(names: Names, settings: StackSettings) -> list[Statement]:
    """CreateCustomModelDeployment is authorized on the custom model it deploys, with the tag condition
    keys (list_amazonbedrock.html); the tags it carries are authorized as TagResource on the new
    deployment. The model is this stack's (aws:ResourceTag), encrypted with the project key: deploying
    it needs kms:Decrypt through Bedrock (encryption-custom-job.html; deploy-custom-model-on-demand.html,
    "Prerequisites")."""
    if not on_demand_allowed(settings):
        return []
    deployments = _bedrock(names, "custom-model-deployment")
    return [
        Statement(
            ("bedrock:CreateCustomModelDeployment", "bedrock:TagResource"),
            (_bedrock(names, "custom-model"), deployments),
            tags_this_stack_writes(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        ),
        Statement(("bedrock:GetCustomModelDeployment",), (deployments,), wildcard_reason=BEDROCK_IDS_REASON),
        _key_via_bedrock(names, settings, ["kms:Decrypt"]),
    ]


def _bedrock_read_deployment(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(("bedrock:GetCustomModelDeployment",), (deployment,), wildcard_reason=BEDROCK_IDS_REASON)
        for deployment in _deployments(names, settings)
    ]


def _bedrock_delete_deployment(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:DeleteCustomModelDeployment",),
            (deployment,),
            this_stack_only(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
        for deployment in _deployments(names, settings)
    ]


def _bedrock_list_deployments(names: Names, settings: StackSettings) -> list[Statement]:
    if not on_demand_allowed(settings):
        return []
    return [
        Statement(
            ("bedrock:ListCustomModelDeployments",),
            ("*",),
            wildcard_reason="ListCustomModelDeployments has no resource-level permissions (AWS documents Resource "
            "'*'); Prepare only reads how many custom model deployments exist.",
        )
    ]


def _bedrock_tag_promoted(names: Names, settings: StackSettings) -> list[Statement]:
    """Promote tags the promoted model and its throughput or deployment podium:promoted (with podium:stack, which
    the request-tag condition needs), on resources already tagged as this stack's only."""
    conditions = tags_this_stack_writes(settings)
    del conditions["StringEqualsIfExists"]
    conditions["StringEquals"] = {**conditions["StringEquals"], f"aws:ResourceTag/{TAG_STACK}": settings.name_prefix}
    return [
        Statement(
            ("bedrock:TagResource",),
            (_bedrock(names, "custom-model"), _bedrock(names, "provisioned-model"), *_deployments(names, settings)),
            conditions,
            wildcard_reason=BEDROCK_IDS_REASON,
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


def _bedrock_list(names: Names, settings: StackSettings) -> list[Statement]:
    deployments = ("bedrock:ListCustomModelDeployments",) if on_demand_allowed(settings) else ()
    return [
        Statement(
            ("bedrock:ListProvisionedModelThroughputs", *deployments, "bedrock:ListCustomModels"),
            ("*",),
            wildcard_reason=LIST_REASON,
        )
    ]


def _bedrock_list_throughputs(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:ListProvisionedModelThroughputs",),
            ("*",),
            wildcard_reason="ListProvisionedModelThroughputs has no resource-level permissions (AWS documents "
            "Resource '*'); Prepare only reads how many model units are in use.",
        )
    ]


def _bedrock_delete_model(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:DeleteCustomModel",),
            (_bedrock(names, "custom-model"),),
            this_stack_only(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
    ]


def base_model_invocation_arns(names: Names, settings: StackSettings) -> tuple[str, ...]:
    """What asking the deployed base model touches: its foundation model in this region, or, for a
    model served on demand only through a cross-Region inference profile, the profile and the
    foundation model in every Region it routes to (inference-profiles-prereq.html)."""
    model = get_model(settings.defaults.base_model, settings.region)
    if not model.inference_profile_regions:
        return (foundation_model_arn(names, model.invocation_id),)
    profile = names.arn("bedrock", f"inference-profile/{model.invocation_id}")
    regions = model.inference_profile_regions
    return (profile,) + tuple(foundation_model_arn(names, model.foundation_invocation_id, r) for r in regions)


def _bedrock_invoke(names: Names, settings: StackSettings) -> list[Statement]:
    """Converse is authorized as bedrock:InvokeModel (API_runtime_Converse.html): the new model
    through this stack's provisioned throughputs or custom model deployments (invoked with the
    deployment's ARN, which IAM names custom-model-deployment/*), and the deployed base model."""
    return [
        # the new model: through this stack's throughputs and deployments only
        Statement(
            ("bedrock:InvokeModel",),
            (_bedrock(names, "provisioned-model"), *_deployments(names, settings)),
            this_stack_only(settings),
            wildcard_reason=BEDROCK_IDS_REASON,
        ),
        # the base model: the deployed one only (Prepare refuses any other)
        Statement(
            ("bedrock:InvokeModel",),
            base_model_invocation_arns(names, settings),
            wildcard_reason="An inference profile routes to its foundation model in each of its Regions.",
        ),
        # The custom model behind a throughput or deployment is encrypted with the project key: invoking it needs
        # kms:Decrypt through Bedrock (encryption-custom-job.html, "Allow access to an encrypted model").
        _key_via_bedrock(names, settings, ["kms:Decrypt"]),
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
    Access.READ_DATA: _read_data,
    Access.LIST_DATA: _list_data,
    Access.READ_RUNS: _read_runs,
    Access.LIST_RUNS: _list_runs,
    Access.REREAD_RUNS: _reread_runs,
    Access.WRITE_RUNS: _write_runs,
    Access.WRITE_SCRATCH: _write_scratch,
    Access.LIST_EXECUTIONS: _list_executions,
    Access.DATABRICKS_SECRET: _databricks_secret,
    Access.BEDROCK_START_JOB: _bedrock_start_job,
    Access.BEDROCK_READ_JOB: _bedrock_read_job,
    Access.BEDROCK_READ_MODEL: _bedrock_read_model,
    Access.BEDROCK_STOP_JOB: _bedrock_stop_job,
    Access.BEDROCK_READ_JOB_TAGS: _bedrock_read_tags("model-customization-job"),
    Access.BEDROCK_READ_MODEL_TAGS: _bedrock_read_tags("custom-model"),
    Access.BEDROCK_READ_THROUGHPUT_TAGS: _bedrock_read_tags("provisioned-model"),
    Access.BEDROCK_CREATE_THROUGHPUT: _bedrock_create_throughput,
    Access.BEDROCK_READ_THROUGHPUT: _bedrock_read_throughput,
    Access.BEDROCK_DELETE_THROUGHPUT: _bedrock_delete_throughput,
    Access.BEDROCK_LIST: _bedrock_list,
    Access.BEDROCK_LIST_THROUGHPUTS: _bedrock_list_throughputs,
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
    Access.BEDROCK_CREATE_DEPLOYMENT: _bedrock_create_deployment,
    Access.BEDROCK_READ_DEPLOYMENT: _bedrock_read_deployment,
    Access.BEDROCK_DELETE_DEPLOYMENT: _bedrock_delete_deployment,
    Access.BEDROCK_LIST_DEPLOYMENTS: _bedrock_list_deployments,
    Access.BEDROCK_READ_DEPLOYMENT_TAGS: _bedrock_read_deployment_tags,
}


def merged(statements: Iterable[Statement]) -> list[Statement]:
    """One statement per (resources, conditions) with their actions united, then per (actions,
    conditions) with their resources united, as CDK's minimizePolicies does: a role's policy
    then has no statement another one already covers. Unreachable statements stay apart."""

    def condition_key(s: Statement) -> str:
        return json.dumps(s.conditions, sort_keys=True)

    def unite(items: list[Statement], key: Callable[[Statement], tuple[Any, ...]], over: str) -> list[Statement]:
        out: dict[tuple[Any, ...], Statement] = {}
        for s in items:
            k = key(s)
            if s.unreachable or k not in out:
                out[k if not s.unreachable else (id(s),)] = s
                continue
            kept = out[k]
            values = tuple(dict.fromkeys(getattr(kept, over) + getattr(s, over)))
            out[k] = replace(kept, **{over: values}, wildcard_reason=kept.wildcard_reason or s.wildcard_reason)
        return list(out.values())

    items = list(statements)
    items = unite(items, lambda s: (tuple(sorted(s.resources)), condition_key(s)), "actions")
    items = unite(items, lambda s: (tuple(sorted(s.actions)), condition_key(s)), "resources")
    return items


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
                    "ArnEquals": {"aws:SourceArn": _bedrock(names, "model-customization-job")},
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
