"""The synthesized template: storage, roles, functions, workflow, alerts, triggers, outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from podium.config import parse_run_settings
from podium.config_context import settings_from_context
from podium.workflow.environment import ENV_VARS
from podium.workflow.permissions import GRANTS
from podium.workflow.steps import DEFINITION_STEPS, STEPS, STEPS_BY_NAME, TOPIC_SUBSTITUTION, Access
from stacks.application import cdk_json_context
from stacks.workflow import ASL_PATH, asl_placeholders
from tests.infra.conftest import VARIANTS, Synthesized

DEFAULTS = settings_from_context(cdk_json_context())


# ---------------------------------------------------------------- helpers


def _ref_id(value: Any) -> str:
    """Logical id behind a {"Ref": X} or {"Fn::GetAtt": [X, ...]}."""
    if "Ref" in value:
        return value["Ref"]
    return value["Fn::GetAtt"][0]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    props = resource["Properties"]
    if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        return props["PolicyDocument"]["Statement"]
    if resource["Type"] == "AWS::IAM::Role":
        return [s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    return []


def _role_statements(s: Synthesized, role_id: str) -> list[dict[str, Any]]:
    statements = _statements(s.resources[role_id])
    for resource in s.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in resource["Properties"].get("Roles", []):
            statements += _statements(resource)
    return statements


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for st in statements if st["Effect"] == "Allow" for a in _as_list(st["Action"])}


def _single(s: Synthesized, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = s.of_type(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def _project_bucket(s: Synthesized) -> tuple[str, dict[str, Any]]:
    buckets = {k: r for k, r in s.of_type("AWS::S3::Bucket").items() if "VersioningConfiguration" in r["Properties"]}
    assert len(buckets) == 1
    return next(iter(buckets.items()))


def _log_bucket(s: Synthesized) -> tuple[str, dict[str, Any]]:
    project_id, _ = _project_bucket(s)
    others = {k: r for k, r in s.of_type("AWS::S3::Bucket").items() if k != project_id}
    assert len(others) == 1
    return next(iter(others.items()))


def _function_by_step(s: Synthesized) -> dict[str, dict[str, Any]]:
    by_handler = {r["Properties"]["Handler"]: r for r in s.of_type("AWS::Lambda::Function").values()}
    return {step.name: by_handler[step.handler] for step in STEPS}


# ---------------------------------------------------------------- storage


def test_bucket_is_encrypted_with_the_rotating_customer_key(synthesized: Synthesized) -> None:
    key_id, key = _single(synthesized, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    _, bucket = _project_bucket(synthesized)
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True


@pytest.mark.parametrize("which", ["project", "access-log"])
def test_buckets_block_public_access_deny_plain_http_and_are_retained(synthesized: Synthesized, which: str) -> None:
    bucket_id, bucket = (_project_bucket if which == "project" else _log_bucket)(synthesized)
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    policies = [
        p
        for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1
    denies = [
        st
        for st in policies[0]["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert denies and denies[0]["Principal"] == {"AWS": "*"} and denies[0]["Action"] == "s3:*"


def test_project_bucket_versioning_access_logs_events_and_lifecycle(synthesized: Synthesized) -> None:
    _, bucket = _project_bucket(synthesized)
    log_id, log_bucket = _log_bucket(synthesized)
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_id}
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert rules["expire-run-scratch"]["Prefix"] == "runs/"
    # The tag the adapters write on scratch files (podium.adapters.s3) is the one the rule matches.
    assert rules["expire-run-scratch"]["TagFilters"] == [{"Key": "podium:retention", "Value": "scratch"}]
    assert rules["expire-run-scratch"]["ExpirationInDays"] < rules["expire-run-history"]["ExpirationInDays"]
    assert all(r["Status"] == "Enabled" for r in rules.values())
    (log_rule,) = log_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert log_rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    _, key = _single(synthesized, "AWS::KMS::Key")
    assert key["DeletionPolicy"] == "Retain"


def test_no_custom_resource_lambdas_sneak_in(synthesized: Synthesized) -> None:
    # Bucket notifications and log retention are native properties, not CDK helper Lambdas.
    assert len(synthesized.of_type("AWS::Lambda::Function")) == len(STEPS)
    assert not [r for r in synthesized.resources.values() if r["Type"].startswith("Custom::")]


# ---------------------------------------------------------------- IAM


def test_bedrock_role_trusts_only_bedrock_customization_jobs_of_this_account(
    synthesized: Synthesized,
) -> None:
    roles = {
        k: r
        for k, r in synthesized.of_type("AWS::IAM::Role").items()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "bedrock.amazonaws.com"}
    }
    assert len(roles) == 1
    role_id, role = next(iter(roles.items()))
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert trust["Condition"]["ArnEquals"] == {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                ["arn:aws:bedrock:us-west-2:", {"Ref": "AWS::AccountId"}, ":model-customization-job/*"],
            ]
        }
    }
    statements = _role_statements(synthesized, role_id)
    assert _actions(statements) == {
        "s3:GetObject", "s3:ListBucket", "s3:PutObject",
        "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant",
    }  # fmt: skip
    rendered = json.dumps(statements)
    assert "/runs/*/train*" in rendered and "/runs/*/validation*" in rendered and "/runs/*/output/*" in rendered
    (listing,) = [st for st in statements if st["Action"] == "s3:ListBucket"]
    # As model-customization-iam-role.html grants it: the bucket, no prefix condition (which prefix
    # Bedrock lists with is not documented, and a refused listing fails the job).
    assert "Condition" not in listing


# (action, why AWS offers nothing narrower than Resource "*")
WILDCARD_ALLOWED = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
    "xray:GetSamplingRules": "X-Ray has no resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray has no resource-level permissions",
    "servicequotas:ListServiceQuotas": "Service Quotas' List actions define no resource type",
    "servicequotas:ListAWSDefaultServiceQuotas": "Service Quotas' List actions define no resource type",
    "logs:CreateLogDelivery": "vended log delivery (Step Functions logging) is account-wide",
    "logs:GetLogDelivery": "vended log delivery (Step Functions logging) is account-wide",
    "logs:UpdateLogDelivery": "vended log delivery (Step Functions logging) is account-wide",
    "logs:DeleteLogDelivery": "vended log delivery (Step Functions logging) is account-wide",
    "logs:ListLogDeliveries": "vended log delivery (Step Functions logging) is account-wide",
    "logs:PutResourcePolicy": "Step Functions logging sets the account's log resource policy",
    "logs:DescribeResourcePolicies": "Step Functions logging reads the account's log resource policies",
    "logs:DescribeLogGroups": "Step Functions logging lists log groups; no resource form",
    "bedrock:ListProvisionedModelThroughputs": "Bedrock List actions have no resource form",
    "bedrock:ListCustomModels": "Bedrock List actions have no resource form",
    "bedrock:ListCustomModelDeployments": "Bedrock List actions have no resource form",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_iam_policy_allows_everything(variant: str, request: pytest.FixtureRequest) -> None:
    s: Synthesized = request.getfixturevalue(variant)
    checked = 0
    for logical_id, resource in s.resources.items():
        for st in _statements(resource):
            checked += 1
            actions = _as_list(st["Action"])
            assert "*" not in actions, f"{logical_id}: Action '*'"
            assert not [a for a in actions if a.endswith(":*")], f"{logical_id}: service-wide action in {actions}"
            if "*" in _as_list(st.get("Resource", [])):
                unexpected = sorted(set(actions) - set(WILDCARD_ALLOWED))
                assert not unexpected, f"{logical_id}: Resource '*' for {unexpected}"
    assert checked > 50


def test_each_function_has_its_own_role(synthesized: Synthesized) -> None:
    roles = [_ref_id(f["Properties"]["Role"]) for f in synthesized.of_type("AWS::Lambda::Function").values()]
    assert len(roles) == len(set(roles)) == len(STEPS)
    for role_id in roles:
        principal = synthesized.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0][
            "Principal"
        ]
        assert principal == {"Service": "lambda.amazonaws.com"}
        assert "ManagedPolicyArns" not in synthesized.resources[role_id]["Properties"]


# What each Access may add to a step role: written out here, independently of stacks/.
EXPECTED_ACTIONS = {
    Access.READ_DATA: {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"},
    Access.LIST_DATA: {"s3:ListBucket"},
    Access.READ_RUNS: {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"},
    Access.LIST_RUNS: {"s3:ListBucket"},
    Access.REREAD_RUNS: {"s3:GetObject", "kms:Decrypt"},
    Access.WRITE_RUNS: {"s3:PutObject", "kms:GenerateDataKey"},
    Access.WRITE_SCRATCH: {"s3:PutObject", "s3:PutObjectTagging", "kms:GenerateDataKey"},
    Access.LIST_EXECUTIONS: {"states:ListExecutions"},
    Access.DATABRICKS_SECRET: {"secretsmanager:GetSecretValue"},
    Access.BEDROCK_START_JOB: {
        "bedrock:CreateModelCustomizationJob", "bedrock:TagResource", "iam:PassRole",
        "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant",
    },
    Access.BEDROCK_READ_JOB: {"bedrock:GetModelCustomizationJob"},
    Access.BEDROCK_READ_MODEL: {"bedrock:GetCustomModel"},
    Access.BEDROCK_STOP_JOB: {"bedrock:StopModelCustomizationJob"},
    Access.BEDROCK_READ_JOB_TAGS: {"bedrock:ListTagsForResource"},
    Access.BEDROCK_READ_MODEL_TAGS: {"bedrock:ListTagsForResource"},
    Access.BEDROCK_READ_THROUGHPUT_TAGS: {"bedrock:ListTagsForResource"},
    Access.BEDROCK_LIST: {"bedrock:ListProvisionedModelThroughputs", "bedrock:ListCustomModels"},
    Access.BEDROCK_LIST_THROUGHPUTS: {"bedrock:ListProvisionedModelThroughputs"},
    Access.BEDROCK_DELETE_MODEL: {"bedrock:DeleteCustomModel"},
    Access.READ_EXECUTION_HISTORY: {"states:GetExecutionHistory"},
    Access.START_EXECUTION: {"states:StartExecution"},
    Access.RUN_LOCK: {"s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey", "states:DescribeExecution"},
    Access.NOTIFY: {"sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"},
    Access.BEDROCK_READ_THROUGHPUT: {"bedrock:GetProvisionedModelThroughput"},
    Access.BEDROCK_CREATE_THROUGHPUT: {
        "bedrock:CreateProvisionedModelThroughput", "bedrock:GetProvisionedModelThroughput",
        "bedrock:TagResource", "kms:Decrypt",
    },
    Access.BEDROCK_DELETE_THROUGHPUT: {"bedrock:DeleteProvisionedModelThroughput"},
    Access.BEDROCK_INVOKE: {"bedrock:InvokeModel", "kms:Decrypt"},
    Access.ACTIVE_MODEL_READ: {"ssm:GetParameter"},
    Access.ACTIVE_MODEL_WRITE: {"ssm:PutParameter"},
    Access.READ_QUOTAS: {"servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas"},
    Access.DESCRIBE_EXECUTIONS: {"states:DescribeExecution"},
    Access.BEDROCK_TAG_PROMOTED: {"bedrock:TagResource"},
    # granted only by a stack whose base model AWS deploys on demand in its Region (ON_DEMAND_ACTIONS)
    Access.BEDROCK_CREATE_DEPLOYMENT: set(),
    Access.BEDROCK_READ_DEPLOYMENT: set(),
    Access.BEDROCK_DELETE_DEPLOYMENT: set(),
    Access.BEDROCK_LIST_DEPLOYMENTS: set(),
    Access.BEDROCK_READ_DEPLOYMENT_TAGS: set(),
}  # fmt: skip
# What an Access adds besides in a stack deployed for a model AWS deploys on demand (Nova in us-east-1)
ON_DEMAND_ACTIONS = {
    Access.BEDROCK_CREATE_DEPLOYMENT: {
        "bedrock:CreateCustomModelDeployment", "bedrock:GetCustomModelDeployment", "bedrock:TagResource",
        "kms:Decrypt",
    },
    Access.BEDROCK_READ_DEPLOYMENT: {"bedrock:GetCustomModelDeployment"},
    Access.BEDROCK_DELETE_DEPLOYMENT: {"bedrock:DeleteCustomModelDeployment"},
    Access.BEDROCK_LIST_DEPLOYMENTS: {"bedrock:ListCustomModelDeployments"},
    Access.BEDROCK_READ_DEPLOYMENT_TAGS: {"bedrock:ListTagsForResource"},
    Access.BEDROCK_LIST: {"bedrock:ListCustomModelDeployments"},
}  # fmt: skip
EVERY_FUNCTION = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


def test_every_access_has_a_grant() -> None:
    assert set(GRANTS) == set(Access) == set(EXPECTED_ACTIONS)


@pytest.mark.parametrize("variant", VARIANTS)
def test_step_roles_get_exactly_what_their_access_set_says(variant: str, request: pytest.FixtureRequest) -> None:
    s: Synthesized = request.getfixturevalue(variant)
    databricks = s.stack.settings.defaults.databricks.secret_name is not None
    on_demand = s.stack.settings.defaults.deployment == "on_demand"
    for step, function in _function_by_step(s).items():
        access = next(st for st in STEPS if st.name == step).access
        expected = set(EVERY_FUNCTION)
        for a in access:
            if a is Access.DATABRICKS_SECRET and not databricks:
                continue  # no secret configured: nothing to read
            expected |= EXPECTED_ACTIONS[a] | (ON_DEMAND_ACTIONS.get(a, set()) if on_demand else set())
        statements = _role_statements(s, _ref_id(function["Properties"]["Role"]))
        assert _actions(statements) == expected, step


@pytest.mark.parametrize("variant", ["synthesized", "synthesized_on_demand"])
def test_bedrock_deletes_and_stops_carry_this_stacks_tag_condition(variant: str, request) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant)
    destructive = {
        "bedrock:DeleteProvisionedModelThroughput",
        "bedrock:StopModelCustomizationJob",
        "bedrock:DeleteCustomModel",
    }
    if synthesized.stack.settings.defaults.deployment == "on_demand":
        destructive.add("bedrock:DeleteCustomModelDeployment")
    found = [
        (logical_id, st)
        for logical_id, r in synthesized.resources.items()
        for st in _statements(r)
        if destructive & set(_as_list(st["Action"]))
    ]
    granted = {a for _, st in found for a in _as_list(st["Action"])}
    assert destructive <= granted
    for logical_id, st in found:
        assert st["Condition"] == {"StringEquals": {"aws:ResourceTag/podium:stack": "podium"}}, logical_id


def test_only_evaluate_chunk_may_invoke_and_only_this_stacks_throughputs_and_the_deployed_base_model(
    synthesized: Synthesized,
) -> None:
    invoking = {
        step
        for step, function in _function_by_step(synthesized).items()
        if "bedrock:InvokeModel" in _actions(_role_statements(synthesized, _ref_id(function["Properties"]["Role"])))
    }
    assert invoking == {"EvaluateChunk"}
    statements = [
        st
        for r in synthesized.resources.values()
        for st in _statements(r)
        if "bedrock:InvokeModel" in _as_list(st["Action"])
    ]
    by_kind = {}
    for st in statements:
        for resource in _as_list(st["Resource"]):
            by_kind[json.dumps(resource).split(":bedrock:")[1].split("/")[0].split(":")[-1]] = (resource, st)
    assert set(by_kind) == {"provisioned-model", "foundation-model"}
    _, throughputs = by_kind["provisioned-model"]
    assert throughputs["Condition"] == {"StringEquals": {"aws:ResourceTag/podium:stack": "podium"}}
    base, _ = by_kind["foundation-model"]
    # the deployed base model's on-demand id, never every foundation model
    assert base == "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0"


def test_only_a_stack_for_a_model_aws_deploys_on_demand_grants_anything_on_custom_model_deployments(
    synthesized: Synthesized, synthesized_on_demand: Synthesized
) -> None:
    policies = json.dumps([_statements(r) for r in synthesized.resources.values()])
    # Llama 3.1 8B: no deployment may be made, so none is named
    assert "custom-model-deployment" not in policies and "CustomModelDeployment" not in policies
    s = synthesized_on_demand
    functions = _function_by_step(s)

    def granted(action: str) -> set[str]:
        return {
            step
            for step, function in functions.items()
            if action in _actions(_role_statements(s, _ref_id(function["Properties"]["Role"])))
        }

    assert granted("bedrock:CreateCustomModelDeployment") == {"CreateThroughput"}
    assert granted("bedrock:DeleteCustomModelDeployment") == {
        "ScoreEvaluation", "Promote", "Cleanup", "ExecutionEnded", "Janitor",
    }  # fmt: skip
    assert granted("bedrock:ListCustomModelDeployments") == {"Prepare", "Janitor"}
    # EvaluateChunk asks the new model through this stack's deployments (their ARN is the modelId)
    invoke = [
        st
        for st in _role_statements(s, _ref_id(functions["EvaluateChunk"]["Properties"]["Role"]))
        if st["Action"] == "bedrock:InvokeModel" and "Condition" in st
    ]
    (new_model,) = invoke
    resources = json.dumps(new_model["Resource"])
    assert ":custom-model-deployment/*" in resources and ":provisioned-model/*" in resources
    assert new_model["Condition"] == {"StringEquals": {"aws:ResourceTag/podium:stack": "podium"}}
    # created with this stack's tags only, from this stack's custom model only
    (create,) = [
        st
        for st in _role_statements(s, _ref_id(functions["CreateThroughput"]["Properties"]["Role"]))
        if "bedrock:CreateCustomModelDeployment" in _as_list(st["Action"])
    ]
    assert create["Condition"]["StringEquals"]["aws:RequestTag/podium:stack"] == "podium"
    assert create["Condition"]["StringEqualsIfExists"] == {"aws:ResourceTag/podium:stack": "podium"}
    resources = json.dumps(create["Resource"])
    assert ':custom-model/*"' in resources and ':custom-model-deployment/*"' in resources


def test_evaluate_chunk_may_decrypt_the_custom_model_through_bedrock_only(synthesized: Synthesized) -> None:
    """StartFineTune encrypts the custom model with the project key (customModelKmsKeyId): invoking it
    needs kms:Decrypt through Bedrock (encryption-custom-job.html)."""
    function = _function_by_step(synthesized)["EvaluateChunk"]
    statements = _role_statements(synthesized, _ref_id(function["Properties"]["Role"]))
    decrypts = [st for st in statements if "kms:Decrypt" in _as_list(st["Action"])]
    via = {json.dumps(st.get("Condition"), sort_keys=True) for st in decrypts}
    assert json.dumps({"StringEquals": {"kms:ViaService": "bedrock.us-west-2.amazonaws.com"}}) in via
    (bedrock,) = [st for st in decrypts if "bedrock." in json.dumps(st.get("Condition"))]
    assert bedrock["Resource"]["Fn::GetAtt"][1] == "Arn"
    assert synthesized.resources[bedrock["Resource"]["Fn::GetAtt"][0]]["Type"] == "AWS::KMS::Key"


def test_every_tag_a_role_may_write_says_this_stack_with_podiums_keys_only(synthesized: Synthesized) -> None:
    tagging = [
        (logical_id, st)
        for logical_id, r in synthesized.resources.items()
        for st in _statements(r)
        if {"bedrock:TagResource", "bedrock:CreateModelCustomizationJob", "bedrock:CreateProvisionedModelThroughput"}
        & set(_as_list(st["Action"]))
    ]
    # StartFineTune, CreateThroughput (create with tags) and Promote (podium:promoted)
    assert {a for _, st in tagging for a in _as_list(st["Action"])} == {
        "bedrock:TagResource", "bedrock:CreateModelCustomizationJob", "bedrock:CreateProvisionedModelThroughput",
    }  # fmt: skip
    keys = ["podium:stack", "podium:execution", "podium:run_id", "podium:ttl_hours", "podium:promoted"]
    for logical_id, st in tagging:
        condition = st["Condition"]
        assert condition["StringEquals"]["aws:RequestTag/podium:stack"] == "podium", logical_id
        assert sorted(condition["ForAllValues:StringEquals"]["aws:TagKeys"]) == sorted(keys), logical_id
        # a resource tagged as another stack's is never retagged (Promote: only ours, which exist)
        resource_tag = condition.get("StringEqualsIfExists", condition["StringEquals"])
        assert resource_tag["aws:ResourceTag/podium:stack"] == "podium", logical_id
    promote = [st for _, st in tagging if _as_list(st["Action"]) == ["bedrock:TagResource"]]
    assert promote and all(st["Condition"]["StringEquals"]["aws:ResourceTag/podium:stack"] for st in promote)


def test_pass_role_only_to_bedrock_and_only_the_bedrock_role(synthesized: Synthesized) -> None:
    passes = [
        st for r in synthesized.resources.values() for st in _statements(r) if "iam:PassRole" in _as_list(st["Action"])
    ]
    assert len(passes) == 1
    (st,) = passes
    assert st["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
    bedrock_role = st["Resource"]["Fn::GetAtt"][0]
    assert synthesized.resources[bedrock_role]["Type"] == "AWS::IAM::Role"
    assert "bedrock.amazonaws.com" in json.dumps(
        synthesized.resources[bedrock_role]["Properties"]["AssumeRolePolicyDocument"]
    )


def test_foundation_model_and_state_machine_arns_are_exact(synthesized: Synthesized) -> None:
    rendered = json.dumps({k: _statements(r) for k, r in synthesized.resources.items()})
    assert "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0:128k" in rendered
    assert ':stateMachine:podium-finetune"' in rendered
    assert "secretsmanager" not in rendered  # builtin generator: no secret to read


def test_only_prepare_reads_service_quotas_and_only_by_listing(synthesized: Synthesized) -> None:
    granted = {
        (key, action): st["Resource"]
        for key, r in synthesized.resources.items()
        for st in _statements(r)
        for action in _as_list(st["Action"])
        if action.startswith("servicequotas:")
    }
    # The List actions define no resource type (Service Authorization Reference): '*' is all IAM accepts.
    assert set(granted.values()) == {"*"}
    assert {action for _, action in granted} == EXPECTED_ACTIONS[Access.READ_QUOTAS]
    assert [st.name for st in STEPS if Access.READ_QUOTAS in st.access] == ["Prepare"]


def test_databricks_secret_is_granted_by_name_pattern(synthesized_full: Synthesized) -> None:
    rendered = json.dumps([_statements(r) for r in synthesized_full.resources.values()])
    assert ':secret:podium/databricks-??????"' in rendered


# ---------------------------------------------------------------- functions


def test_functions_follow_the_step_registry(synthesized: Synthesized) -> None:
    functions = _function_by_step(synthesized)
    log_groups = synthesized.of_type("AWS::Logs::LogGroup")
    for step in STEPS:
        props = functions[step.name]["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["x86_64"]
        assert props["Timeout"] == step.timeout_seconds
        assert props["MemorySize"] == step.memory_mb
        assert props["TracingConfig"] == {"Mode": "Active"}
        group = log_groups[_ref_id(props["LoggingConfig"]["LogGroup"])]
        assert group["Properties"]["RetentionInDays"] == DEFAULTS.log_retention_days
        # Powertools' JSON lines, kept as they are by Lambda's JSON format and filtered by level
        logging = {k: v for k, v in props["LoggingConfig"].items() if k != "LogGroup"}
        assert logging == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"}, step.name


def test_function_environment_is_the_podium_contract(synthesized: Synthesized) -> None:
    for step, function in _function_by_step(synthesized).items():
        env = function["Properties"]["Environment"]["Variables"]
        assert set(ENV_VARS) <= set(env), step
        # lambdas/observability.py: Powertools' Logger and Metrics read these
        assert env["POWERTOOLS_SERVICE_NAME"] == "podium" and env["POWERTOOLS_METRICS_NAMESPACE"] == "Podium"
        assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert parse_run_settings(json.loads(env["PODIUM_DEFAULTS"])) == DEFAULTS.defaults
        assert env["PODIUM_NAME_PREFIX"] == DEFAULTS.name_prefix


# ---------------------------------------------------------------- workflow


def _machine(s: Synthesized) -> dict[str, Any]:
    return _single(s, "AWS::StepFunctions::StateMachine")[1]["Properties"]


def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(
    synthesized: Synthesized,
) -> None:
    substitutions = _machine(synthesized)["DefinitionSubstitutions"]
    placeholders = asl_placeholders(ASL_PATH)
    assert placeholders, "the ASL refers to nothing: is it the real definition?"
    assert set(substitutions) == placeholders
    assert {step.substitution for step in DEFINITION_STEPS} | {TOPIC_SUBSTITUTION} <= placeholders


def test_every_lambda_the_asl_names_exists(synthesized: Synthesized) -> None:
    substitutions = _machine(synthesized)["DefinitionSubstitutions"]
    definition = json.loads(ASL_PATH.read_text())
    tasks = []

    def walk(states: dict[str, Any]) -> None:
        for state in states.values():
            if state.get("Type") == "Task" and "lambda:invoke" in state.get("Resource", ""):
                tasks.append(state)
            for branch in state.get("Branches", []):
                walk(branch["States"])
            if "ItemProcessor" in state or "Iterator" in state:
                walk((state.get("ItemProcessor") or state["Iterator"])["States"])

    walk(definition["States"])
    assert len(tasks) >= len(DEFINITION_STEPS)
    for task in tasks:
        name = task["Parameters"]["FunctionName"]
        assert name.startswith("${") and name.endswith("}"), name
        target = substitutions[name[2:-1]]
        assert synthesized.resources[target["Fn::GetAtt"][0]]["Type"] == "AWS::Lambda::Function"


def test_deployed_definition_is_the_asl_file_itself(synthesized: Synthesized) -> None:
    location = _machine(synthesized)["DefinitionS3Location"]
    asset = synthesized.outdir / f"asset.{location['Key']}"
    assert asset.read_bytes() == ASL_PATH.read_bytes()


def test_state_machine_logs_without_execution_data_and_traces(synthesized: Synthesized) -> None:
    props = _machine(synthesized)
    assert props["StateMachineName"] == "podium-finetune"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_state_machine_role_invokes_exactly_the_step_functions_and_publishes_to_the_topic(
    synthesized: Synthesized,
) -> None:
    statements = _role_statements(synthesized, _ref_id(_machine(synthesized)["RoleArn"]))
    (invoke,) = [st for st in statements if st["Action"] == "lambda:InvokeFunction"]
    invoked = {_ref_id(r) for r in invoke["Resource"]}
    functions = {
        logical_id: f
        for logical_id, f in synthesized.of_type("AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] in {step.handler for step in DEFINITION_STEPS}
    }
    assert invoked == set(functions) and len(functions) == len(DEFINITION_STEPS)  # not the EventBridge ones
    (publish,) = [st for st in statements if st["Action"] == "sns:Publish"]
    assert publish["Resource"] == {"Ref": _topic(synthesized, "Podium runs")[0]}
    assert _actions(statements) - set(WILDCARD_ALLOWED) == {
        "lambda:InvokeFunction", "sns:Publish", "kms:GenerateDataKey", "kms:Decrypt",
    }  # fmt: skip


def test_active_model_parameter_starts_with_no_model(synthesized: Synthesized) -> None:
    _, parameter = _single(synthesized, "AWS::SSM::Parameter")
    assert parameter["Properties"]["Name"] == "/podium/active-model"
    assert json.loads(parameter["Properties"]["Value"]).get("model_arn") is None


# ---------------------------------------------------------------- alerts and triggers


def _topic(s: Synthesized, display_name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, r) for k, r in s.of_type("AWS::SNS::Topic").items() if r["Properties"]["DisplayName"] == display_name
    ]
    return found


def test_topics_are_encrypted_and_tls_only(synthesized: Synthesized) -> None:
    key_id, _ = _single(synthesized, "AWS::KMS::Key")
    topics = synthesized.of_type("AWS::SNS::Topic")
    assert {t["Properties"]["DisplayName"] for t in topics.values()} == {"Podium runs", "Podium alarms"}
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    policies = synthesized.of_type("AWS::SNS::TopicPolicy").values()
    assert len(policies) == 2
    for policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for st in statements
        )
    assert not synthesized.of_type("AWS::SNS::Subscription")  # no e-mail configured


def test_key_lets_cloudwatch_alarms_publish_to_the_encrypted_topic(synthesized: Synthesized) -> None:
    _, key = _single(synthesized, "AWS::KMS::Key")
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    (alarms,) = [st for st in statements if st["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(alarms["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_alarms_on_failed_timed_out_and_stopped_runs_go_to_their_own_topic_and_the_run_topic(
    synthesized: Synthesized,
) -> None:
    alarm_topic, _ = _topic(synthesized, "Podium alarms")
    run_topic, _ = _topic(synthesized, "Podium runs")
    alarms = list(synthesized.of_type("AWS::CloudWatch::Alarm").values())
    runs = [a for a in alarms if a["Properties"]["Namespace"] == "AWS/States"]
    assert {a["Properties"]["MetricName"] for a in runs} == {
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
    }
    functions = [a for a in alarms if a["Properties"]["Namespace"] == "AWS/Lambda"]
    assert {a["Properties"]["MetricName"] for a in functions} == {"Errors"} and len(functions) == 2
    for alarm in alarms:  # the run topic too: the e-mail address is subscribed to it alone
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": alarm_topic}, {"Ref": run_topic}]


def _rule(s: Synthesized, source: str) -> dict[str, Any]:
    (rule,) = [
        r
        for r in s.of_type("AWS::Events::Rule").values()
        if source in r["Properties"].get("EventPattern", {}).get("source", [])
    ]
    return rule


def test_a_stopped_timed_out_or_uncleaned_execution_of_this_machine_runs_execution_ended(
    synthesized: Synthesized,
) -> None:
    machine_id, _ = _single(synthesized, "AWS::StepFunctions::StateMachine")
    rule = _rule(synthesized, "aws.states")
    assert rule["Properties"]["EventPattern"]["detail"] == {
        "stateMachineArn": [{"Ref": machine_id}],
        "status": ["ABORTED", "TIMED_OUT", "FAILED"],
    }
    (target,) = rule["Properties"]["Targets"]
    function = synthesized.resources[target["Arn"]["Fn::GetAtt"][0]]
    assert function["Properties"]["Handler"] == STEPS_BY_NAME["ExecutionEnded"].handler


def test_the_janitor_runs_on_its_schedule(synthesized: Synthesized) -> None:
    (rule,) = [
        r for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("ScheduleExpression") == "rate(1 hour)"
    ]  # fmt: skip
    (target,) = rule["Properties"]["Targets"]
    function = synthesized.resources[target["Arn"]["Fn::GetAtt"][0]]
    assert function["Properties"]["Handler"] == STEPS_BY_NAME["Janitor"].handler


def test_uploads_start_the_machine_through_start_on_upload_and_no_schedule_by_default(
    synthesized: Synthesized,
) -> None:
    machine_id, _ = _single(synthesized, "AWS::StepFunctions::StateMachine")
    bucket_id, _ = _project_bucket(synthesized)
    rule = _rule(synthesized, "aws.s3")
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"] == {
        "bucket": {"name": [{"Ref": bucket_id}]},
        "object": {"key": [{"prefix": "incoming/"}]},
    }
    (target,) = rule["Properties"]["Targets"]
    function = synthesized.resources[target["Arn"]["Fn::GetAtt"][0]]
    assert function["Properties"]["Handler"] == STEPS_BY_NAME["StartOnUpload"].handler
    starts = [
        st
        for r in synthesized.resources.values()
        for st in _statements(r)
        if "states:StartExecution" in _as_list(st["Action"])
    ]
    (start,) = starts
    assert ":stateMachine:podium-finetune" in json.dumps(start["Resource"])
    assert not [r for r in synthesized.of_type("AWS::Events::Rule").values() if "rate(7 days)" in json.dumps(r)]


def test_optional_parts_appear_when_configured(synthesized_full: Synthesized) -> None:
    rules = synthesized_full.of_type("AWS::Events::Rule").values()
    assert {r["Properties"].get("ScheduleExpression") for r in rules} == {"rate(7 days)", "rate(1 hour)", None}
    # one subscription, one confirmation mail: the run topic carries the alarms as well
    (subscription,) = synthesized_full.of_type("AWS::SNS::Subscription").values()
    run_topic, _ = _topic(synthesized_full, "Podium runs")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ml-team@example.com"
    assert subscription["Properties"]["TopicArn"] == {"Ref": run_topic}


def test_outputs_name_the_entry_points_and_nothing_secret(synthesized_full: Synthesized) -> None:
    assert set(synthesized_full.outputs) == {
        "BucketName", "StateMachineArn", "NotificationTopicArn", "AlarmTopicArn", "ActiveModelParameterName",
        "StateMachineConsoleUrl", "DashboardUrl",
    }  # fmt: skip
    rendered = json.dumps(synthesized_full.outputs).lower()
    assert "databricks" not in rendered and "token" not in rendered


def test_template_assertions_api_agrees(synthesized: Synthesized) -> None:
    # One check through aws_cdk.assertions itself, so the JSON helpers above are not the only reader.
    synthesized.template.has_resource_properties(
        "AWS::S3::Bucket",
        {"BucketEncryption": {"ServerSideEncryptionConfiguration": [Match.object_like({"BucketKeyEnabled": True})]}},
    )
    synthesized.template.resource_count_is("AWS::Lambda::Function", len(STEPS))
