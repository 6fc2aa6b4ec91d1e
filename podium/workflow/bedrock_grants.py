"""What a role may do on Amazon Bedrock, one grant per Access: jobs, custom models, provisioned
throughputs, custom model deployments (only when the deployed base model is one AWS deploys on
demand in the deployed Region: else nothing names them), invocation and tags.
podium.workflow.permissions joins these to the other services' grants."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from podium.adapters.ports import TAG_STACK
from podium.config import StackSettings
from podium.models import get_model
from podium.workflow.statements import Names, Statement, tags_this_stack_writes, this_stack_only, via
from podium.workflow.steps import Access

BEDROCK_SERVICE = "bedrock.amazonaws.com"
BEDROCK_IDS_REASON = (
    "Bedrock assigns job, custom-model, provisioned-model and custom-model-deployment ids at creation, so "
    "their ARNs can only be named by type within this account and region."
)


def bedrock_arn(names: Names, kind: str, name: str = "*") -> str:
    return names.arn("bedrock", f"{kind}/{name}")


def _key_via_bedrock(names: Names, settings: StackSettings, actions: Sequence[str]) -> Statement:
    """Custom models are encrypted with the project key; Bedrock uses it with the caller's rights
    (encryption-custom-job.html)."""
    return Statement(tuple(actions), (names.key_arn,), via("bedrock", settings))


def foundation_model_arn(names: Names, model_id: str, region: str | None = None) -> str:
    return names.arn("bedrock", f"foundation-model/{model_id}", region=region, account="")


def _bedrock_start_job(names: Names, settings: StackSettings) -> list[Statement]:
    model = get_model(settings.defaults.base_model, settings.region)
    return [
        Statement(
            # TagResource: creating with jobTags/customModelTags is also authorized as TagResource
            ("bedrock:CreateModelCustomizationJob", "bedrock:TagResource"),
            (
                bedrock_arn(names, "model-customization-job"),
                bedrock_arn(names, "custom-model"),
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
            (bedrock_arn(names, "model-customization-job"),),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
    ]


def _bedrock_read_model(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:GetCustomModel",), (bedrock_arn(names, "custom-model"),), wildcard_reason=BEDROCK_IDS_REASON
        )
    ]


def _bedrock_stop_job(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:StopModelCustomizationJob",),
            (bedrock_arn(names, "model-customization-job"),),
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
    return (bedrock_arn(names, "custom-model-deployment"),) if on_demand_allowed(settings) else ()


def _bedrock_read_tags(kind: str) -> Callable[[Names, StackSettings], list[Statement]]:
    def grant(names: Names, settings: StackSettings) -> list[Statement]:
        return [
            Statement(("bedrock:ListTagsForResource",), (bedrock_arn(names, kind),), wildcard_reason=BEDROCK_IDS_REASON)
        ]

    return grant


def _bedrock_read_deployment_tags(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(("bedrock:ListTagsForResource",), (deployment,), wildcard_reason=BEDROCK_IDS_REASON)
        for deployment in _deployments(names, settings)
    ]


def _bedrock_create_throughput(names: Names, settings: StackSettings) -> list[Statement]:
    provisioned = bedrock_arn(names, "provisioned-model")
    return [
        Statement(
            # created with its tags: the same conditions as every tag this stack writes
            ("bedrock:CreateProvisionedModelThroughput", "bedrock:TagResource"),
            (provisioned, bedrock_arn(names, "custom-model")),
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
            (bedrock_arn(names, "provisioned-model"),),
            wildcard_reason=BEDROCK_IDS_REASON,
        )
    ]


def _bedrock_delete_throughput(names: Names, settings: StackSettings) -> list[Statement]:
    return [
        Statement(
            ("bedrock:DeleteProvisionedModelThroughput",),
            (bedrock_arn(names, "provisioned-model"),),
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
    deployments = bedrock_arn(names, "custom-model-deployment")
    return [
        Statement(
            ("bedrock:CreateCustomModelDeployment", "bedrock:TagResource"),
            (bedrock_arn(names, "custom-model"), deployments),
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
            (
                bedrock_arn(names, "custom-model"),
                bedrock_arn(names, "provisioned-model"),
                *_deployments(names, settings),
            ),
            conditions,
            wildcard_reason=BEDROCK_IDS_REASON,
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
            (bedrock_arn(names, "custom-model"),),
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
            (bedrock_arn(names, "provisioned-model"), *_deployments(names, settings)),
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


BEDROCK_GRANTS: Mapping[Access, Callable[[Names, StackSettings], list[Statement]]] = {
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
    Access.BEDROCK_INVOKE: _bedrock_invoke,
    Access.BEDROCK_TAG_PROMOTED: _bedrock_tag_promoted,
    Access.BEDROCK_CREATE_DEPLOYMENT: _bedrock_create_deployment,
    Access.BEDROCK_READ_DEPLOYMENT: _bedrock_read_deployment,
    Access.BEDROCK_DELETE_DEPLOYMENT: _bedrock_delete_deployment,
    Access.BEDROCK_LIST_DEPLOYMENTS: _bedrock_list_deployments,
    Access.BEDROCK_READ_DEPLOYMENT_TAGS: _bedrock_read_deployment_tags,
}


__all__ = [
    "BEDROCK_GRANTS",
    "BEDROCK_IDS_REASON",
    "BEDROCK_SERVICE",
    "bedrock_arn",
    "base_model_invocation_arns",
    "foundation_model_arn",
    "on_demand_allowed",
]
