"""Where runs live, seen from a laptop: the CLI's `ask`, `runs` and `report` read a deployed
stack (Deployment) or a rehearsal's output folder (podium.rehearsal.folder) the same way.

The stack is found by its CloudFormation outputs (BucketName, StateMachineArn,
ActiveModelParameterName; DashboardUrl when the stack has one); every call is a plain boto3
client, so AWS_ENDPOINT_URL_* points the same code at moto and the Bedrock emulator in tests.
Whatever keeps AWS from answering (no credentials, an unknown AWS_PROFILE, no network, expired
or refused credentials, no such stack) becomes one DeploymentError sentence that says how to
fix it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from podium.adapters.ports import ActiveModel
from podium.dataset.files import run_prefix
from podium.errors import PodiumError
from podium.evaluation.report import REPORT_HTML

_OUTPUTS = ("BucketName", "StateMachineArn", "ActiveModelParameterName")
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_REFUSED = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException"}


class DeploymentError(PodiumError):
    """No stack, no active model, no such run, no way to reach AWS: what is missing and how to get it."""


class RunSource(Protocol):
    """A deployed stack or a rehearsal folder: what `podium ask / runs / report` read."""

    where: str  # e.g. "stack 'podium' in us-west-2", "rehearsal folder out/rehearsal"
    console_url: str | None  # where to start a run (None: a rehearsal folder)

    def ask(self, question: str, *, base: bool = False) -> tuple[str, str, bool]: ...
    def runs(self, limit: int = 10) -> list[dict[str, Any]]: ...
    def report(self, run_id: str | None) -> tuple[str, str]: ...


def cloudformation_client(region: str | None) -> Any:
    import boto3

    return boto3.client("cloudformation", region_name=region)


@contextmanager
def reaching_aws(what: str, region: str | None) -> Iterator[None]:
    """Turn whatever keeps AWS from answering into one sentence with the fix."""
    from botocore import exceptions as aws

    where = region or "the default region"
    try:
        yield
    except aws.ProfileNotFound as error:
        raise DeploymentError(
            f"{error}: AWS_PROFILE names a profile that is not configured; list them with "
            "`aws configure list-profiles`, or unset AWS_PROFILE"
        ) from None
    except (aws.NoCredentialsError, aws.PartialCredentialsError):
        raise DeploymentError(
            f"no AWS credentials to {what}: run `aws configure` (or `aws sso login`), or set AWS_PROFILE"
        ) from None
    except (aws.TokenRetrievalError, aws.SSOError) as error:
        raise DeploymentError(f"the AWS SSO session cannot be used ({error}); run `aws sso login`") from None
    except aws.NoRegionError:
        raise DeploymentError(f"no AWS region to {what}: give --region, or set region in cdk.json") from None
    except (aws.EndpointConnectionError, aws.ConnectTimeoutError, aws.ReadTimeoutError, aws.ConnectionClosedError,
            aws.ProxyConnectionError, aws.SSLError) as error:  # fmt: skip
        raise DeploymentError(
            f"cannot reach AWS in {where} to {what} ({type(error).__name__}); check the network connection "
            "(and any proxy), then try again"
        ) from None
    except aws.ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", "")) or str(error)
        if code in _EXPIRED:
            raise DeploymentError(
                f"the AWS credentials have expired ({code}); refresh them, e.g. `aws sso login`"
            ) from None
        if code in _REFUSED:
            raise DeploymentError(
                f"AWS refused the credentials ({code}: {message}); check `aws configure` or AWS_PROFILE"
            ) from None
        if "AccessDenied" in code or code == "UnauthorizedOperation":
            raise DeploymentError(f"AWS denied the permission to {what} ({code}: {message})") from None
        raise DeploymentError(f"AWS answered {code or 'an error'} to {what}: {message}") from None


def execution_console_url(region: str, execution_arn: str) -> str:
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"


def run_row(
    *,
    name: str,
    started: datetime,
    status: str,
    state: Mapping[str, Any],
    error: str | None = None,
    current_state: str | None = None,
    console_url: str | None = None,
) -> dict[str, Any]:
    """One line of `podium runs` from an execution's last known state: outcome, rows, scores
    (new, base and the champion it was compared with), estimated cost, the state it is in."""
    outcome = state.get("failure") or state.get("outcome") or {}
    dataset = state.get("dataset") or {}
    gate = state.get("gate") or {}
    if status == "RUNNING":
        word = f"running ({current_state})" if current_state else "running"
    elif status == "SUCCEEDED":
        word = str(outcome.get("status") or "succeeded")
    else:
        word = f"{status.lower()}: {outcome.get('error') or error or 'see the execution'}"
    return {
        "name": name,
        "run_id": (state.get("run") or {}).get("run_id"),
        "started": started,
        "status": status,
        "outcome": word,
        "current_state": current_state,
        "train_rows": dataset.get("train_rows"),
        "validation_rows": dataset.get("validation_rows"),
        "paraphrase_accuracy": gate.get("paraphrase_accuracy"),
        "base_paraphrase_accuracy": gate.get("base_paraphrase_accuracy"),
        "champion_run_id": gate.get("champion_run_id"),
        "champion_accuracy": gate.get("champion_accuracy"),
        "challenger_accuracy": gate.get("challenger_accuracy"),
        "unseen_hallucination": gate.get("unseen_hallucination"),
        "simulated": bool(gate.get("simulated")),
        "estimated_cost_usd": dataset.get("estimated_cost_usd"),
        "serving": _serving(state.get("throughput") or {}, outcome),
        "console_url": console_url,
    }


def _serving(made: Mapping[str, Any], outcome: Mapping[str, Any]) -> str | None:
    """What the run made to ask its model through — "provisioned throughput" (per hour) or "custom
    model deployment" (deployment on_demand, per token) — and whether it still serves the model;
    None when it made neither."""
    if not made.get("created"):
        return None
    kind = str(made.get("kind") or "provisioned throughput")
    kept = made.get("arn") and made.get("arn") in (outcome.get("throughput_arn"), outcome.get("deployment_arn"))
    return f"{kind}{' (serves it)' if kept else ''}"


def ask_model(asker: Any, model_id: str, question: str, base_model_id: str, region: str) -> tuple[str, bool]:
    """One question, asked as the evaluation asks it (podium.workflow.evaluate.framing_for):
    the training rows' framing, the same asker. Returns (answer, SIMULATED)."""
    from podium.evaluation.runner import Throttled
    from podium.workflow.evaluate import framing_for

    try:
        reply = asker.ask(model_id, framing_for(base_model_id, region).prompt(question))
    except Throttled as error:
        raise DeploymentError(f"Bedrock throttled the question ({error}); try again in a moment") from None
    return reply.text, reply.simulated


@dataclass(frozen=True)
class Deployment:
    stack: str
    region: str
    bucket: str
    state_machine_arn: str
    active_model_parameter: str
    console_url: str | None = None
    dashboard_url: str | None = None  # the CloudWatch dashboard of runs (stacks deployed before it: none)

    @property
    def where(self) -> str:
        return f"stack {self.stack!r} in {self.region}"

    @classmethod
    def find(cls, stack: str, region: str | None) -> Deployment:
        from botocore.exceptions import ClientError

        with reaching_aws(f"find stack {stack!r}", region):
            client = cloudformation_client(region)
            try:
                described = client.describe_stacks(StackName=stack)["Stacks"][0]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ValidationError":
                    raise
                raise DeploymentError(
                    f"no Podium stack {stack!r} in {region or client.meta.region_name}: deploy it with `cdk deploy`, "
                    "or name it with --stack and --region (cdk.json's name_prefix and region are the defaults)"
                ) from None
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        missing = [name for name in _OUTPUTS if name not in outputs]
        if missing:
            raise DeploymentError(
                f"stack {stack!r} has no output {', '.join(missing)}: it is not a Podium stack, or it was "
                "deployed by an older version (run `cdk deploy` again)"
            )
        return cls(
            stack=stack,
            region=client.meta.region_name,
            bucket=outputs["BucketName"],
            state_machine_arn=outputs["StateMachineArn"],
            active_model_parameter=outputs["ActiveModelParameterName"],
            console_url=outputs.get("StateMachineConsoleUrl")
            or f"https://{client.meta.region_name}.console.aws.amazon.com/states/home?region="
            f"{client.meta.region_name}#/v2/statemachines/view/{outputs['StateMachineArn']}",
            dashboard_url=outputs.get("DashboardUrl"),
        )

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region)

    # -- the active model -----------------------------------------------------------------

    def active_model(self) -> ActiveModel:
        from podium.adapters.active_model import SsmActiveModelStore

        with reaching_aws("read the active model", self.region):
            model = SsmActiveModelStore(self.active_model_parameter, client=self._client("ssm")).get()
        if model is None:
            raise DeploymentError(
                f"no model is active in stack {self.stack!r} (ssm:{self.active_model_parameter} names none): "
                "run the state machine until a model is promoted"
            )
        return model

    def ask(self, question: str, *, base: bool = False) -> tuple[str, str, bool]:
        """Ask the active model (or its base model) one question, framed as in training.
        Returns (answer, the model id asked, whether the answer is SIMULATED)."""
        from podium.models import get_model

        active = self.active_model()
        model = get_model(active.base_model_id, self.region)
        if base:
            target = model.invocation_id
        elif active.serving_arn:
            target = active.serving_arn  # its provisioned throughput, or its custom model deployment
        else:
            raise DeploymentError(
                f"the active model {active.model_arn} has no provisioned throughput or custom model deployment to "
                "answer through (throughput.enabled was off when it was promoted); start a run with "
                '{"throughput": {"enabled": true}} or ask the base model with --base'
            )
        from podium.adapters.bedrock_runtime import BedrockRuntimeAsker

        with reaching_aws(f"ask {target}", self.region):
            answer, simulated = ask_model(
                BedrockRuntimeAsker(self._client("bedrock-runtime")),
                target,
                question,
                active.base_model_id,
                self.region,
            )
        return answer, target, simulated

    # -- runs --------------------------------------------------------------------------------

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent executions, newest first: outcome, rows, scores, estimated cost, and
        the state a running one is in."""
        with reaching_aws("list the runs", self.region):
            sfn = self._client("stepfunctions")
            executions = sfn.list_executions(stateMachineArn=self.state_machine_arn, maxResults=limit)["executions"]
            rows = []
            for execution in sorted(executions, key=lambda e: e["startDate"], reverse=True)[:limit]:
                described = sfn.describe_execution(executionArn=execution["executionArn"])
                state, current = _parsed(described.get("output")), None
                if described["status"] != "SUCCEEDED":  # no output: the last state it left, the one it is in
                    state, current = _last_state(sfn, execution["executionArn"])
                rows.append(
                    run_row(
                        name=execution["name"],
                        started=execution["startDate"],
                        status=described["status"],
                        state=state,
                        error=described.get("error"),
                        current_state=current,
                        console_url=execution_console_url(self.region, execution["executionArn"]),
                    )
                )
        return rows

    def report(self, run_id: str | None) -> tuple[str, str]:
        """(the run id, its report.html); the latest run's when `run_id` is None."""
        from podium.adapters.s3 import S3ObjectStore

        if run_id is None:
            found = [row["run_id"] for row in self.runs(10) if row["run_id"]]
            if not found:
                raise DeploymentError(f"no run of {self.where} has a run id yet: see `podium runs`")
            run_id = found[0]
        with reaching_aws(f"read the report of run {run_id}", self.region):
            try:
                store = S3ObjectStore(self.bucket, client=self._client("s3"))
                return run_id, store.read_text(run_prefix(run_id) + REPORT_HTML)
            except FileNotFoundError as missing:
                raise DeploymentError(
                    f"{missing}: no such run (see `podium runs`), or it ended before its Report step"
                ) from None


def _parsed(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "null")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _last_state(sfn: Any, execution_arn: str) -> tuple[dict[str, Any], str | None]:
    """(the state as the last state it left wrote it, the state it is in now) from its history."""
    from podium.adapters.stepfunctions import execution_history

    events = sorted(execution_history(execution_arn, client=sfn), key=lambda e: e.get("id", 0), reverse=True)
    current = next((e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e), None)
    for event in events:
        output = (event.get("stateExitedEventDetails") or {}).get("output")
        if output:
            return _parsed(output), current
    return {}, current


__all__ = [
    "Deployment",
    "DeploymentError",
    "RunSource",
    "ask_model",
    "execution_console_url",
    "reaching_aws",
    "run_row",
]
