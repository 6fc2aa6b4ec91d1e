"""What AWS authorizes for each call a function makes to the services moto serves: the action, the
resource ARN, the condition keys, and the extra permissions AWS documents for the call.

Sources: the Service Authorization Reference (list_amazons3.html, list_amazonsns.html,
list_awssystemsmanager.html, list_awsstepfunctions.html, list_awssecretsmanager.html,
list_awslambda.html); S3's "Policy actions for S3 API operations" (ListObjectsV2 is s3:ListBucket
on the bucket with s3:prefix; HeadObject is s3:GetObject; PutObject with Tagging also needs
s3:PutObjectTagging); API_GetObject.html (a missing object is 404 only to a caller who may
s3:ListBucket the bucket, 403 AccessDenied otherwise); SSE-KMS (UsingKMSEncryption.html: a GET
needs kms:Decrypt and a PUT kms:GenerateDataKey on the object's key, through S3); SNS server-side encryption
(sns-key-management.html: a publisher needs kms:GenerateDataKey and kms:Decrypt on the topic's key).

A call this table does not know is refused with a message naming it: a new call gets its
authorization written here, never a free pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from podium.rehearsal.iam.evaluator import Request

S3_KMS = "UsingKMSEncryption.html: SSE-KMS objects are encrypted and decrypted with the caller's rights"
S3_MISSING = (
    "API_GetObject.html: for a missing object S3 answers 404 NoSuchKey only to a caller who may "
    "s3:ListBucket the bucket, and 403 AccessDenied otherwise"
)
SNS_KMS = "sns-key-management.html: publishing to an encrypted topic uses its key with the publisher's rights"


class UnknownCall(LookupError):
    """A call whose authorization the rehearsal has not been taught."""


@dataclass
class CallContext:
    """Where the call goes and how to look up what the service knows (with operator rights)."""

    region: str
    account: str
    operator_client: Callable[[str], Any]
    partition: str = "aws"

    def __post_init__(self) -> None:
        self._cache: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def cached(self, kind: str, key: str, read: Callable[[], Any]) -> Any:
        with self._lock:
            if (kind, key) in self._cache:
                return self._cache[(kind, key)]
        value = read()
        with self._lock:
            self._cache[(kind, key)] = value
        return value

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def key_arn(self, key_id: str) -> str:
        return key_id if key_id.startswith("arn:") else self.arn("kms", f"key/{key_id}")

    def via(self, service: str) -> dict[str, str]:
        return {"kms:ViaService": f"{service}.{self.region}.amazonaws.com", "kms:CallerAccount": self.account}


# ---- S3 -------------------------------------------------------------------------------------------


def _object(ctx: CallContext, params: Mapping[str, Any]) -> str:
    return f"arn:{ctx.partition}:s3:::{params['Bucket']}/{params['Key']}"


def _object_head(ctx: CallContext, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return dict(ctx.operator_client("s3").head_object(Bucket=bucket, Key=key))
    except ClientError:
        return None


def _bucket_key_id(ctx: CallContext, bucket: str) -> str | None:
    def read() -> str | None:
        try:
            rules = ctx.operator_client("s3").get_bucket_encryption(Bucket=bucket)
        except ClientError:
            return None
        for rule in rules["ServerSideEncryptionConfiguration"]["Rules"]:
            default = rule.get("ApplyServerSideEncryptionByDefault") or {}
            if default.get("SSEAlgorithm") == "aws:kms":
                return str(default.get("KMSMasterKeyID") or "") or None
        return None

    return ctx.cached("bucket-key", bucket, read)


def _get_object(ctx: CallContext, params: Mapping[str, Any]) -> list[Request]:
    requests = [Request("s3:GetObject", _object(ctx, params))]
    head = _object_head(ctx, params["Bucket"], params["Key"])
    if head is None:
        # Which request context S3 judges this listing in is not documented: the rehearsal takes a
        # listing of the object's own key (s3:prefix = the key).
        bucket = f"arn:{ctx.partition}:s3:::{params['Bucket']}"
        requests.append(Request("s3:ListBucket", bucket, {"s3:prefix": str(params["Key"])}, S3_MISSING))
    elif head.get("ServerSideEncryption") == "aws:kms" and head.get("SSEKMSKeyId"):
        requests.append(Request("kms:Decrypt", ctx.key_arn(str(head["SSEKMSKeyId"])), ctx.via("s3"), S3_KMS))
    return requests


def _put_object(ctx: CallContext, params: Mapping[str, Any]) -> list[Request]:
    requests = [Request("s3:PutObject", _object(ctx, params))]
    if params.get("Tagging"):
        requests.append(Request("s3:PutObjectTagging", _object(ctx, params), why="PutObject with Tagging"))
    key_id = params.get("SSEKMSKeyId") or _bucket_key_id(ctx, params["Bucket"])
    if key_id:
        requests.append(Request("kms:GenerateDataKey", ctx.key_arn(key_id), ctx.via("s3"), S3_KMS))
    return requests


def _list_objects(ctx: CallContext, params: Mapping[str, Any]) -> list[Request]:
    context: dict[str, str] = {}
    for param, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter"), ("MaxKeys", "s3:max-keys")):
        if params.get(param) is not None:
            context[key] = str(params[param])
    return [Request("s3:ListBucket", f"arn:{ctx.partition}:s3:::{params['Bucket']}", context)]


# ---- the other services -----------------------------------------------------------------------------


def _publish(ctx: CallContext, params: Mapping[str, Any]) -> list[Request]:
    topic = str(params.get("TopicArn") or params.get("TargetArn") or "")
    requests = [Request("sns:Publish", topic)]

    def read() -> str | None:
        try:
            attributes = ctx.operator_client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
        except ClientError:
            return None
        return attributes.get("KmsMasterKeyId") or None

    key_id = ctx.cached("topic-key", topic, read)
    if key_id:
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            requests.append(Request(action, ctx.key_arn(key_id), ctx.via("sns"), SNS_KMS))
    return requests


def _parameter(ctx: CallContext, params: Mapping[str, Any]) -> str:
    return ctx.arn("ssm", "parameter/" + str(params["Name"]).lstrip("/"))


def _secret(ctx: CallContext, params: Mapping[str, Any]) -> str:
    secret_id = str(params["SecretId"])

    def read() -> str:
        try:
            return str(ctx.operator_client("secretsmanager").describe_secret(SecretId=secret_id)["ARN"])
        except ClientError:
            return ctx.arn("secretsmanager", f"secret:{secret_id}")

    return ctx.cached("secret", secret_id, read) if not secret_id.startswith("arn:") else secret_id


def _function(ctx: CallContext, params: Mapping[str, Any]) -> str:
    name = str(params["FunctionName"])
    return name if name.startswith("arn:") else ctx.arn("lambda", f"function:{name}")


Rule = Callable[[CallContext, Mapping[str, Any]], list[Request]]


def _one(action: str, resource: Callable[[CallContext, Mapping[str, Any]], str]) -> Rule:
    return lambda ctx, params: [Request(action, resource(ctx, params))]


_RULES: dict[tuple[str, str], Rule] = {
    ("s3", "GetObject"): _get_object,
    ("s3", "HeadObject"): _get_object,
    ("s3", "PutObject"): _put_object,
    ("s3", "ListObjectsV2"): _list_objects,
    ("s3", "ListObjects"): _list_objects,
    ("sns", "Publish"): _publish,
    ("ssm", "GetParameter"): _one("ssm:GetParameter", _parameter),
    ("ssm", "PutParameter"): _one("ssm:PutParameter", _parameter),
    ("stepfunctions", "ListExecutions"): _one("states:ListExecutions", lambda c, p: p["stateMachineArn"]),
    ("stepfunctions", "StartExecution"): _one("states:StartExecution", lambda c, p: p["stateMachineArn"]),
    ("stepfunctions", "DescribeExecution"): _one("states:DescribeExecution", lambda c, p: p["executionArn"]),
    ("stepfunctions", "GetExecutionHistory"): _one("states:GetExecutionHistory", lambda c, p: p["executionArn"]),
    ("secretsmanager", "GetSecretValue"): _one("secretsmanager:GetSecretValue", _secret),
    ("lambda", "Invoke"): _one("lambda:InvokeFunction", _function),
}


def requests_for(ctx: CallContext, service: str, operation: str, params: Mapping[str, Any]) -> list[Request]:
    """What AWS checks before answering `operation` of `service` (botocore's names)."""
    rule = _RULES.get((service, operation))
    if rule is None:
        raise UnknownCall(
            f"the rehearsal does not know how AWS authorizes {service} {operation}: add its action, "
            "resource and condition keys to podium/rehearsal/iam/calls.py"
        )
    return rule(ctx, params)


__all__ = ["CallContext", "UnknownCall", "requests_for"]
