"""The rehearsal's boto3 session: each function's clients sign with its role's credentials, and
calls to the services moto serves are judged before they reach moto.

On AWS a function's container hands its role's credentials to every client made in it (the
Lambda environment's AWS_ACCESS_KEY_ID…). Here the functions share one process, so the Lambda
endpoint sets the invoked function's credentials for the invocation's thread
(`invocation_credentials`), and this session gives them to every client made there — only
credentials are swapped, never a code path. A client keeps the credentials it was made with, so
the threads a handler starts (Evaluate's pool) call as its function too.

Calls are judged in botocore's `before-call` event, the same layer moto's own interception
(`before-send`) uses: the caller is the access key the call is signed with. Calls to Bedrock
(bedrock, bedrock-runtime, and Service Quotas, which the emulator serves for Bedrock's quotas)
are left to the emulator, which judges them on arrival by the same Authorizer.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse

from podium.rehearsal.iam.account import AccessDenied, Authorizer
from podium.rehearsal.iam.calls import CallContext, UnknownCall, requests_for
from podium.rehearsal.iam.evaluator import Decision, Request

invocation_credentials: contextvars.ContextVar[Any] = contextvars.ContextVar("invocation_credentials", default=None)
JUDGED_BY_THE_EMULATOR = frozenset({"bedrock", "bedrock-runtime", "service-quotas"})
_PARAMS = "podium_api_params"
# What each service answers a refused call with (its botocore model's error shape).
_DENIED: dict[str, tuple[str, int]] = {"s3": ("AccessDenied", 403), "sns": ("AuthorizationError", 403)}


@contextmanager
def calling_as(credentials: Any) -> Iterator[None]:
    """Clients made inside sign with `credentials` (a function's, for one invocation)."""
    token = invocation_credentials.set(credentials)
    try:
        yield
    finally:
        invocation_credentials.reset(token)


class _InvocationSession(botocore.session.Session):
    def get_credentials(self) -> Any:
        credentials = invocation_credentials.get()
        return credentials if credentials is not None else super().get_credentials()


def denial_response(service: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    code, status = _DENIED.get(service, ("AccessDeniedException", 400))
    request_id = str(uuid.uuid4())
    http = AWSResponse("https://rehearsal.invalid", status, {"x-amzn-RequestId": request_id}, None)
    parsed = {
        "Error": {"Code": code, "Message": message, "Type": "Sender"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": request_id, "HTTPHeaders": {}},
    }
    return http, parsed


def install(authorizer: Authorizer, calls: CallContext) -> boto3.Session:
    """Make the rehearsal's session boto3's default (boto3.client uses it) and return it."""

    def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)

    def judge(model: Any, request_signer: Any, context: dict[str, Any], **_: Any) -> Any:
        service = model.service_model.service_name
        if service in JUDGED_BY_THE_EMULATOR:
            return None
        credentials = getattr(request_signer, "_credentials", None)
        principal = authorizer.principal_for(getattr(credentials, "access_key", None))
        if principal is None:
            return None  # the operator: not judged
        try:
            requests = requests_for(calls, service, model.name, context.get(_PARAMS) or {})
            authorizer.check(principal, f"{service}:{model.name}", requests)
        except AccessDenied as denied:
            return denial_response(service, str(denied))
        except UnknownCall as unknown:
            refusal = AccessDenied(
                principal, Request(f"{service}:{model.name}", "*"), Decision(False, f"because {unknown}")
            )
            return denial_response(service, str(refusal))
        return None

    core = _InvocationSession()
    core.register("before-parameter-build", keep_params)
    core.register("before-call", judge)
    session = boto3.Session(botocore_session=core, region_name=calls.region)
    boto3.DEFAULT_SESSION = session
    return session


__all__ = ["calling_as", "denial_response", "install", "invocation_credentials"]
