"""What Bedrock authorizes for each call, judged on arrival by the caller's role (the access key
the request is signed with) through the rehearsal's Authorizer (podium.rehearsal.iam).

Actions and resources: the Service Authorization Reference for Amazon Bedrock
(list_amazonbedrock.html); Converse is authorized as bedrock:InvokeModel
(API_runtime_Converse.html). Condition keys: aws:RequestTag/<key> and aws:TagKeys for the tags
a Create carries, aws:ResourceTag/<key> for an existing resource's tags. Extra permissions AWS
documents beyond the call's own action, each required here:
- creating with tags also needs bedrock:TagResource (tagging.html, "Tag resources at creation");
- CreateModelCustomizationJob needs iam:PassRole on its roleArn, with iam:PassedToService
  bedrock.amazonaws.com (model-customization-iam-role.html);
- with customModelKmsKeyId, the caller needs kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey
  and kms:CreateGrant on the key, through Bedrock (encryption-custom-job.html; Nova user guide,
  customize-fine-tune-encrypt.html "PermissionsModelCustomization");
- using a custom model encrypted with a customer key — provisioning a throughput for it, deploying
  it on demand, or invoking it — needs kms:Decrypt on the key through Bedrock
  (encryption-custom-job.html, "Allow access to an encrypted model"; deploy-custom-model-on-demand.html,
  "Prerequisites": permission to use the model's key);
- CreateCustomModelDeployment is authorized on the custom model it deploys, with the tag condition
  keys; Get, Update, Delete and InvokeModel on the custom-model-deployment resource (Update also on
  the custom model it swaps in);
- an inference profile is authorized on the profile and on the foundation model in every Region
  it routes to (inference-profiles-prereq.html).

Like the rest of the emulator this module imports none of Podium's rules; the Regions each US
inference profile routes to are its own reading of inference-profiles-support.html.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from podium.rehearsal.iam.evaluator import Request

if TYPE_CHECKING:
    from podium.rehearsal.bedrock_emulator.state import EmulatorState

BEDROCK_SERVICE = "bedrock.amazonaws.com"
CREATE_KMS = "encryption-custom-job.html: the job's caller uses the custom model's key through Bedrock"
USE_KMS = "encryption-custom-job.html: using a custom model encrypted with a customer key"
TAG_ON_CREATE = "tagging.html: tags given at creation are authorized as bedrock:TagResource too"
PASS_ROLE = "model-customization-iam-role.html: the caller passes the service role to Bedrock"
PROFILE = "inference-profiles-prereq.html: the profile and its foundation model in each Region"
# US cross-Region inference profiles and the Regions they route to (inference-profiles-support.html).
US_PROFILE_REGIONS = {
    "us.meta.llama3-2-1b-instruct-v1:0": ("us-east-1", "us-west-2"),
    "us.meta.llama3-2-3b-instruct-v1:0": ("us-east-1", "us-west-2"),
    "us.meta.llama3-2-11b-instruct-v1:0": ("us-east-1", "us-west-2"),
    "us.meta.llama3-2-90b-instruct-v1:0": ("us-east-1", "us-west-2"),
    "us.meta.llama3-3-70b-instruct-v1:0": ("us-east-1", "us-east-2", "us-west-2"),
    "us.amazon.nova-2-lite-v1:0": ("us-east-1", "us-east-2", "us-west-2"),
}


def _tag_context(tags: Any) -> dict[str, Any]:
    pairs = {str(t["key"]): str(t["value"]) for t in tags or []}
    context: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in pairs.items()}
    if pairs:
        context["aws:TagKeys"] = sorted(pairs)
    return context


def _resource_context(state: EmulatorState, arn: str) -> dict[str, Any]:
    return {f"aws:ResourceTag/{k}": v for k, v in state.tags.get(arn, {}).items()}


def _via(state: EmulatorState) -> dict[str, str]:
    return {"kms:ViaService": f"bedrock.{state.region}.amazonaws.com", "kms:CallerAccount": state.account}


def _arn(state: EmulatorState, resource: str, *, account: bool = True) -> str:
    return f"arn:aws:bedrock:{state.region}:{state.account if account else ''}:{resource}"


def _named(state: EmulatorState, kind: str, identifier: str) -> str:
    """The ARN of a resource that does not exist (yet): what IAM judges a not-found call on."""
    return identifier if identifier.startswith("arn:") else _arn(state, f"{kind}/{identifier}")


def _job_arn(state: EmulatorState, identifier: str) -> str:
    job = state.jobs.get(identifier) or next((j for j in state.jobs.values() if j.name == identifier), None)
    return job.arn if job else _named(state, "model-customization-job", identifier)


def _model_arn(state: EmulatorState, identifier: str) -> str:
    model = state.custom_models.get(identifier) or next(
        (m for m in state.custom_models.values() if m.name == identifier), None
    )
    return model.arn if model else _named(state, "custom-model", identifier)


def _throughput_arn(state: EmulatorState, identifier: str) -> str:
    found = state.throughputs.get(identifier) or next(
        (t for t in state.throughputs.values() if t.name == identifier), None
    )
    return found.arn if found else _named(state, "provisioned-model", identifier)


def _deployment_arn(state: EmulatorState, identifier: str) -> str:
    found = state.deployments.get(identifier) or next(
        (d for d in state.deployments.values() if d.name == identifier), None
    )
    return found.arn if found else _named(state, "custom-model-deployment", identifier)


def _model_key(state: EmulatorState, model_arn: str) -> str | None:
    model = state.custom_models.get(model_arn)
    job = state.jobs.get(model.job_arn) if model else None
    return str(job.request.get("customModelKmsKeyId") or "") or None if job else None


def _key_requests(key: str | None, actions: tuple[str, ...], state: EmulatorState, why: str) -> list[Request]:
    return [Request(action, key, _via(state), why) for action in actions] if key else []


def _create_job(state: EmulatorState, body: Mapping[str, Any]) -> list[Request]:
    base = str(body.get("baseModelIdentifier") or "")
    base_arn = base if base.startswith("arn:") else _arn(state, f"foundation-model/{base}", account=False)
    new = uuid.uuid4().hex[:12]
    job, model = _arn(state, f"model-customization-job/{base}/{new}"), _arn(state, f"custom-model/{base}/{new}")
    tags = [*(body.get("jobTags") or []), *(body.get("customModelTags") or [])]
    context = _tag_context(tags)
    requests = [Request("bedrock:CreateModelCustomizationJob", arn, context) for arn in (job, model, base_arn)]
    if body.get("jobTags"):
        requests.append(Request("bedrock:TagResource", job, _tag_context(body["jobTags"]), TAG_ON_CREATE))
    if body.get("customModelTags"):
        requests.append(Request("bedrock:TagResource", model, _tag_context(body["customModelTags"]), TAG_ON_CREATE))
    if body.get("roleArn"):
        requests.append(
            Request("iam:PassRole", str(body["roleArn"]), {"iam:PassedToService": BEDROCK_SERVICE}, PASS_ROLE)
        )
    key = str(body.get("customModelKmsKeyId") or "") or None
    actions = ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant")
    return requests + _key_requests(key, actions, state, CREATE_KMS)


def _create_throughput(state: EmulatorState, body: Mapping[str, Any]) -> list[Request]:
    model = _model_arn(state, str(body.get("modelId") or ""))
    new = _arn(state, f"provisioned-model/{uuid.uuid4().hex[:12]}")
    context = _tag_context(body.get("tags"))
    requests = [Request("bedrock:CreateProvisionedModelThroughput", arn, context) for arn in (new, model)]
    if body.get("tags"):
        requests.append(Request("bedrock:TagResource", new, context, TAG_ON_CREATE))
    return requests + _key_requests(_model_key(state, model), ("kms:Decrypt",), state, USE_KMS)


def _create_deployment(state: EmulatorState, body: Mapping[str, Any]) -> list[Request]:
    model = _model_arn(state, str(body.get("modelArn") or ""))
    context = _tag_context(body.get("tags"))
    requests = [Request("bedrock:CreateCustomModelDeployment", model, context)]
    if body.get("tags"):
        new = _arn(state, f"custom-model-deployment/{uuid.uuid4().hex[:12]}")
        requests.append(Request("bedrock:TagResource", new, context, TAG_ON_CREATE))
    return requests + _key_requests(_model_key(state, model), ("kms:Decrypt",), state, USE_KMS)


def _update_deployment(state: EmulatorState, identifier: str, body: Mapping[str, Any]) -> list[Request]:
    arn = _deployment_arn(state, identifier)
    model = _model_arn(state, str(body.get("modelArn") or ""))
    return [
        Request("bedrock:UpdateCustomModelDeployment", arn, _resource_context(state, arn)),
        Request("bedrock:UpdateCustomModelDeployment", model, _resource_context(state, model)),
    ] + _key_requests(_model_key(state, model), ("kms:Decrypt",), state, USE_KMS)


def _invoke(state: EmulatorState, model_id: str) -> list[Request]:
    if ":custom-model-deployment/" in model_id:
        deployment = state.deployments.get(model_id)
        key = _model_key(state, deployment.model_arn) if deployment else None
        invoke = Request("bedrock:InvokeModel", model_id, _resource_context(state, model_id))
        return [invoke] + _key_requests(key, ("kms:Decrypt",), state, USE_KMS)
    if ":provisioned-model/" in model_id or model_id in {t.name for t in state.throughputs.values()}:
        arn = _throughput_arn(state, model_id)
        throughput = state.throughputs.get(arn)
        key = _model_key(state, throughput.model_arn) if throughput else None
        invoke = Request("bedrock:InvokeModel", arn, _resource_context(state, arn))
        return [invoke] + _key_requests(key, ("kms:Decrypt",), state, USE_KMS)
    if model_id.startswith("arn:"):
        return [Request("bedrock:InvokeModel", model_id)]
    regions = US_PROFILE_REGIONS.get(model_id)
    if regions:
        profile = _arn(state, f"inference-profile/{model_id}")
        foundation = model_id.split(".", 1)[1]
        return [Request("bedrock:InvokeModel", profile)] + [
            Request("bedrock:InvokeModel", f"arn:aws:bedrock:{region}::foundation-model/{foundation}", why=PROFILE)
            for region in regions
        ]
    return [Request("bedrock:InvokeModel", _arn(state, f"foundation-model/{model_id}", account=False))]


def _on(action: str, arn_of: Any) -> Any:
    def requests(state: EmulatorState, identifier: str) -> list[Request]:
        arn = arn_of(state, identifier)
        return [Request(action, arn, _resource_context(state, arn))]

    return requests


def requests_for(state: EmulatorState, operation: str, args: tuple[str, ...], body: Mapping[str, Any]) -> list[Request]:
    """What Bedrock checks before answering `operation` (args: the path's members, decoded)."""
    if operation == "CreateModelCustomizationJob":
        return _create_job(state, body)
    if operation == "CreateProvisionedModelThroughput":
        return _create_throughput(state, body)
    if operation == "CreateCustomModelDeployment":
        return _create_deployment(state, body)
    if operation == "UpdateCustomModelDeployment":
        return _update_deployment(state, args[0], body)
    if operation in ("Converse", "InvokeModel"):
        return _invoke(state, args[0])
    if operation in ("ListServiceQuotas", "ListAWSDefaultServiceQuotas"):
        # no resource type (list_servicequotas.html): "*"
        return [Request(f"servicequotas:{operation}", "*")]
    if operation == "TagResource":  # the resource's own tags and the ones asked for (tagging.html)
        arn = str(body.get("resourceARN") or "")
        return [
            Request("bedrock:TagResource", arn, {**_resource_context(state, arn), **_tag_context(body.get("tags"))})
        ]
    if operation == "ListTagsForResource":
        arn = str(body.get("resourceARN") or "")
        return [Request("bedrock:ListTagsForResource", arn, _resource_context(state, arn))]
    if operation.startswith("List"):
        # List actions define no resource type: authorized on "*" (list_amazonbedrock.html)
        return [Request(f"bedrock:{operation}", "*")]
    by_identifier = {
        "GetModelCustomizationJob": _job_arn,
        "StopModelCustomizationJob": _job_arn,
        "GetCustomModel": _model_arn,
        "DeleteCustomModel": _model_arn,
        "GetProvisionedModelThroughput": _throughput_arn,
        "DeleteProvisionedModelThroughput": _throughput_arn,
        "GetCustomModelDeployment": _deployment_arn,
        "DeleteCustomModelDeployment": _deployment_arn,
    }
    if operation in by_identifier:
        return _on(f"bedrock:{operation}", by_identifier[operation])(state, args[0])
    return [Request(f"bedrock:{operation}", "*")]


__all__ = ["US_PROFILE_REGIONS", "requests_for"]
