"""BedrockEmulator: every concern's operations over one shared state, the table of
operations (service, name, action), errors injected by the Script, and routing one REST call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from podium.rehearsal import service_model
from podium.rehearsal.bedrock_emulator import authorization
from podium.rehearsal.bedrock_emulator.custom_models import CustomModels
from podium.rehearsal.bedrock_emulator.deployments import CustomModelDeployments
from podium.rehearsal.bedrock_emulator.errors import BedrockError
from podium.rehearsal.bedrock_emulator.jobs import CustomizationJobs
from podium.rehearsal.bedrock_emulator.quotas import SERVICE_QUOTAS_TARGET
from podium.rehearsal.bedrock_emulator.runtime import Runtime
from podium.rehearsal.bedrock_emulator.script import InjectedError
from podium.rehearsal.bedrock_emulator.throughputs import ProvisionedThroughputs


class BedrockEmulator(CustomizationJobs, CustomModels, ProvisionedThroughputs, CustomModelDeployments, Runtime):
    """The emulated Bedrock control plane and runtime (state: EmulatorState). `s3` is a boto3
    S3 client (moto's, in rehearsal) used to read training data and write the job's output
    metrics."""

    def _operations(
        self, body: Mapping[str, Any], query: Mapping[str, str]
    ) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            ("bedrock", "CreateModelCustomizationJob", lambda: self.create_job(body)),
            ("bedrock", "ListModelCustomizationJobs", lambda: self.list_jobs(query)),
            ("bedrock", "GetModelCustomizationJob", self.get_job),
            ("bedrock", "StopModelCustomizationJob", self.stop_job),
            ("bedrock", "GetCustomModel", self.get_custom_model),
            ("bedrock", "ListCustomModels", lambda: self.list_custom_models(query)),
            ("bedrock", "DeleteCustomModel", self.delete_custom_model),
            ("bedrock", "ListTagsForResource", lambda: self.list_tags(body)),
            ("bedrock", "TagResource", lambda: self.tag_resource(body)),
            ("bedrock", "CreateProvisionedModelThroughput", lambda: self.create_throughput(body)),
            ("bedrock", "GetProvisionedModelThroughput", self.get_throughput),
            ("bedrock", "DeleteProvisionedModelThroughput", self.delete_throughput),
            ("bedrock", "ListProvisionedModelThroughputs", lambda: self.list_throughputs(query)),
            ("bedrock", "CreateCustomModelDeployment", lambda: self.create_deployment(body)),
            ("bedrock", "GetCustomModelDeployment", self.get_deployment),
            ("bedrock", "UpdateCustomModelDeployment", lambda identifier: self.update_deployment(identifier, body)),
            ("bedrock", "DeleteCustomModelDeployment", self.delete_deployment),
            ("bedrock", "ListCustomModelDeployments", lambda: self.list_deployments(query)),
            ("bedrock-runtime", "InvokeModel", lambda model_id: self.invoke_model(model_id, body)),
            ("bedrock-runtime", "Converse", lambda model_id: self.converse(model_id, body)),
        ]

    def handle_json(self, target: str, body: Mapping[str, Any], access_key: str | None = None) -> tuple[int, Any]:
        """A JSON 1.1 call (X-Amz-Target): Service Quotas, for Bedrock's quotas."""
        service, _, operation = target.partition(".")
        if service + "." != SERVICE_QUOTAS_TARGET:
            return 400, {"__type": "UnknownOperationException", "message": f"{target} is not emulated"}
        try:
            self._authorize(access_key, "service-quotas", operation, (), body)
            return 200, self.service_quotas(operation, body)
        except BedrockError as error:
            return error.status, {"__type": error.code, "message": error.message}

    def _authorize(
        self, access_key: str | None, service: str, operation: str, args: tuple[str, ...], body: Mapping[str, Any]
    ) -> None:
        """Judge the call by the caller's role, as Bedrock does before anything else (AccessDeniedException)."""
        principal = self.authorizer.principal_for(access_key) if self.authorizer is not None else None
        if principal is None:
            return  # no IAM in this emulator, or the operator's own credentials
        from podium.rehearsal.iam.account import AccessDenied

        with self._lock:
            requests = authorization.requests_for(self, operation, args, body)
        try:
            self.authorizer.check(principal, f"{service}:{operation}", requests)  # type: ignore[union-attr]
        except AccessDenied as denied:
            raise BedrockError("AccessDeniedException", str(denied), service) from None

    def _injected(self, operation: str) -> InjectedError | None:
        with self._lock:
            for error in self.script.errors:
                if error.operation == operation and (error.times is None or error.times > 0):
                    if error.times is not None:
                        error.times -= 1
                    return error
        return None

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Mapping[str, Any],
        access_key: str | None = None,
    ) -> tuple[int, Any]:
        """Route one REST call signed with `access_key`; returns (HTTP status, JSON body)."""
        for service, operation, action in self._operations(body, query):
            route = service_model.route(service, operation)
            match = route.pattern.match(path) if route.method == method else None
            if match is None:
                continue
            args = tuple(unquote(value) for value in match.groups())
            try:
                self._authorize(access_key, service, operation, args, body)
                injected = self._injected(operation)
                if injected is not None:
                    raise BedrockError(injected.code, injected.message, service)
                return route.status, action(*args)
            except BedrockError as error:
                return error.status, {"__type": error.code, "message": error.message}
        return 404, {"__type": "UnknownOperationException", "message": f"{method} {path} is not emulated"}
