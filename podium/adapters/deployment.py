"""A deployed Podium stack, seen from a laptop: the CLI's `ask`, `runs` and `report`.

The stack is found by its CloudFormation outputs (BucketName, StateMachineArn,
ActiveModelParameterName; DashboardUrl when the stack has one); every call is a plain boto3
client, so AWS_ENDPOINT_URL_* points the same code at moto and the Bedrock emulator in tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

from podium.adapters.active_model import SsmActiveModelStore
from podium.adapters.bedrock_runtime import BedrockRuntimeAsker
from podium.adapters.ports import ActiveModel
from podium.adapters.s3 import S3ObjectStore
from podium.dataset.files import run_prefix
from podium.errors import PodiumError
from podium.evaluation.report import REPORT_HTML

_OUTPUTS = ("BucketName", "StateMachineArn", "ActiveModelParameterName")


class DeploymentError(PodiumError):
    """No stack, no active model, no such run: what is missing and how to get it."""


def cloudformation_client(region: str | None) -> Any:
    import boto3

    return boto3.client("cloudformation", region_name=region)


@dataclass(frozen=True)
class Deployment:
    stack: str
    region: str
    bucket: str
    state_machine_arn: str
    active_model_parameter: str
    dashboard_url: str | None = None  # the CloudWatch dashboard of runs (stacks deployed before it: none)

    @classmethod
    def find(cls, stack: str, region: str | None) -> Deployment:
        try:
            client = cloudformation_client(region)
            described = client.describe_stacks(StackName=stack)["Stacks"][0]
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", str(error))
            raise DeploymentError(
                f"no Podium stack {stack!r} in {region or 'the default region'} ({message}); deploy it with "
                "`cdk deploy`, or name it with --stack and --region"
            ) from None
        except (NoCredentialsError, NoRegionError) as error:
            raise DeploymentError(f"cannot reach AWS ({error}); configure credentials and a region") from None
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
            dashboard_url=outputs.get("DashboardUrl"),
        )

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region)

    # -- the active model -----------------------------------------------------------------

    def active_model(self) -> ActiveModel:
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
        from podium.workflow.evaluate import framing_for

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
        prompt = framing_for(active.base_model_id, self.region).prompt(question)
        reply = BedrockRuntimeAsker(self._client("bedrock-runtime")).ask(target, prompt)
        return reply.text, target, reply.simulated

    # -- runs --------------------------------------------------------------------------------

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent executions, newest first: outcome, rows, scores, estimated cost."""
        sfn = self._client("stepfunctions")
        executions = sfn.list_executions(stateMachineArn=self.state_machine_arn, maxResults=limit)["executions"]
        rows = []
        for execution in sorted(executions, key=lambda e: e["startDate"], reverse=True)[:limit]:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            try:
                state = json.loads(described.get("output") or "null")
            except ValueError:
                state = None
            state = state if isinstance(state, dict) else {}
            outcome = state.get("outcome") or {}
            dataset = state.get("dataset") or {}
            gate = state.get("gate") or {}
            status = described["status"]
            rows.append(
                {
                    "name": execution["name"],
                    "run_id": (state.get("run") or {}).get("run_id"),
                    "started": execution["startDate"],
                    "status": status,
                    "outcome": outcome.get("status") or (described.get("error") or status).lower(),
                    "train_rows": dataset.get("train_rows"),
                    "validation_rows": dataset.get("validation_rows"),
                    "paraphrase_accuracy": gate.get("paraphrase_accuracy"),
                    "base_paraphrase_accuracy": gate.get("base_paraphrase_accuracy"),
                    "unseen_hallucination": gate.get("unseen_hallucination"),
                    "simulated": bool(gate.get("simulated")),
                    "estimated_cost_usd": dataset.get("estimated_cost_usd"),
                }
            )
        return rows

    def report(self, run_id: str) -> str:
        """The run's report.html."""
        try:
            return S3ObjectStore(self.bucket, client=self._client("s3")).read_text(run_prefix(run_id) + REPORT_HTML)
        except FileNotFoundError as missing:
            raise DeploymentError(
                f"{missing}: the run id is wrong (see `podium runs`), or the run stopped before it was evaluated"
            ) from None


__all__ = ["Deployment", "DeploymentError"]
