"""A rehearsal's output folder as a place runs live (podium.adapters.deployment.RunSource):
`podium runs`, `report` and `ask --rehearsal DIR` read what `podium rehearse --out DIR` left,
with no AWS account and no network.

`ask` starts the local cloud again (moto and the Bedrock emulator), puts the folder's active
model back (podium.rehearsal.workspace) and asks the SIMULATED model that run trained through
the same code the evaluation uses. A model promoted with nothing serving it is served in the
emulator for the question as its run's evaluation served it: a custom model deployment when
the run deployed on demand, else a provisioned throughput (never billed: no AWS account).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from podium.adapters.deployment import DeploymentError, ask_model, run_row
from podium.rehearsal import workspace

_SERVING_NAME = "podium-ask"


class RehearsalFolder:
    console_url: str | None = None

    def __init__(self, path: Path) -> None:
        if not Path(path).is_dir() or not workspace.is_rehearsal_folder(path):
            raise DeploymentError(
                f"{path} is not a rehearsal's output folder (it has no {workspace.STATE_FILE} and no run with "
                f"{workspace.EXECUTION_FILE}): run `podium rehearse --data DIR --out {path}` first"
            )
        self.path = Path(path)
        self.region, self.name_prefix = workspace.rehearsed_place(self.path)

    @property
    def where(self) -> str:
        return f"rehearsal folder {self.path}"

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        return [
            run_row(
                name=execution.name,
                started=execution.started,
                status=execution.status,
                state=execution.state,
                error=execution.error,
            )
            for execution in workspace.recorded_executions(self.path)[:limit]
        ]

    def report(self, run_id: str | None) -> tuple[str, str]:
        executions = workspace.recorded_executions(self.path)
        if run_id is None:
            if not executions:
                raise DeploymentError(f"no run in {self.where} yet: run `podium rehearse --out {self.path}`")
            run_id = executions[0].folder.name
        page = self.path / run_id / "report.html"
        if not page.is_file():
            known = ", ".join(e.folder.name for e in executions[:5]) or "none"
            raise DeploymentError(f"{page} does not exist: no such run in {self.where} (its runs: {known})")
        return run_id, page.read_text(encoding="utf-8")

    def ask(self, question: str, *, base: bool = False) -> tuple[str, str, bool]:
        """Ask the folder's active model (or its base model) through the local Bedrock emulator."""
        import boto3

        from podium.adapters.bedrock_runtime import BedrockRuntimeAsker
        from podium.models import get_model
        from podium.rehearsal.harness import Rehearsal, RehearsalOptions

        active = workspace.active_record(self.path)
        if active is None:
            raise DeploymentError(
                f"no model is active in {self.where}: rehearse until a model is promoted "
                f"(`podium rehearse --data DIR --out {self.path}`), or ask the base model of a deployed stack"
            )
        base_model = str(active["base_model_id"])
        # deployed for the active model's base (a Nova model in us-east-1, say), as the folder's rehearsal was
        options = RehearsalOptions(
            region=self.region,
            name_prefix=self.name_prefix,
            publish_metrics=False,
            defaults={"base_model": base_model},
        )
        with Rehearsal(options) as rehearsal:
            workspace.restore(rehearsal, self.path)
            if base:
                target = get_model(base_model, self.region).invocation_id
            else:
                # what serves it (a deployment, deployment on_demand, or a throughput), else one made here
                served = active.get("deployment_arn") or active.get("throughput_arn")
                target = served or self._serve(
                    str(active["model_arn"]), workspace.served_on_demand(self.path, str(active.get("run_id", "")))
                )
            answer, simulated = ask_model(
                BedrockRuntimeAsker(boto3.client("bedrock-runtime")), target, question, base_model, self.region
            )
        return answer, target, simulated

    @staticmethod
    def _serve(model_arn: str, on_demand: bool) -> str:
        """A deployment or a throughput in the emulator for a model promoted without one."""
        import boto3

        bedrock = boto3.client("bedrock")
        if on_demand:
            arn = bedrock.create_custom_model_deployment(modelDeploymentName=_SERVING_NAME, modelArn=model_arn)[
                "customModelDeploymentArn"
            ]

            def status() -> str:
                return bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)["status"]

            ready = "Active"
        else:
            arn = bedrock.create_provisioned_model_throughput(
                modelUnits=1, provisionedModelName=_SERVING_NAME, modelId=model_arn
            )["provisionedModelArn"]

            def status() -> str:
                return bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["status"]

            ready = "InService"
        for _ in range(50):
            if status() == ready:
                return str(arn)
            time.sleep(0.01)
        raise DeploymentError(f"the emulator's {arn} for {model_arn} did not become {ready}")


__all__ = ["RehearsalFolder"]
