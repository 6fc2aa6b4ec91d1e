"""In-memory implementations of podium.adapters.ports for logic tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from podium.adapters.errors import BedrockRejected, BedrockThrottled
from podium.adapters.ports import (
    ActiveModel,
    CustomModel,
    DeploymentStatus,
    FineTuneJob,
    FineTuneRequest,
    GenerationState,
    GenerationStatus,
    JobStatus,
    ModelDeployment,
    Throughput,
    ThroughputStatus,
)
from podium.dataset.records import QAPair


class MemoryStore:
    def __init__(self, files: Mapping[str, str] | None = None) -> None:
        self.files = dict(files or {})

    def read_text(self, key: str) -> str:
        if key not in self.files:
            raise FileNotFoundError(key)
        return self.files[key]

    def write_text(self, key: str, text: str, content_type: str = "application/json", *, scratch: bool = False) -> str:
        self.files[key] = text
        return self.uri(key)

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.files if k.startswith(prefix))

    def download_prefix(self, prefix: str, destination: str) -> list[str]:
        raise NotImplementedError

    def uri(self, key: str) -> str:
        return f"s3://bucket/{key}"


class MemoryActiveModels:
    def __init__(self, model: ActiveModel | None = None) -> None:
        self.model = model
        self.puts = 0

    def get(self) -> ActiveModel | None:
        return self.model

    def put(self, model: ActiveModel) -> None:
        self.model = model
        self.puts += 1


def _not_found(what: str) -> BedrockRejected:
    return BedrockRejected(f"read {what}", "ResourceNotFoundException", f"{what} not found")


class MemoryFineTuner:
    def __init__(self) -> None:
        self.jobs: dict[str, FineTuneJob] = {}
        self.requests: dict[str, FineTuneRequest] = {}
        self.throughputs: dict[str, Throughput] = {}
        self.names: dict[str, str] = {}  # throughput name → arn
        self.stopped: list[str] = []
        self.deleted: list[str] = []
        self.refuse_delete: str | None = None
        self.refuse_tag: str | None = None
        self.resource_tags: dict[str, dict[str, str]] = {}  # ARN → tags, as Bedrock keeps them
        self.models: dict[str, CustomModel] = {}
        self.deleted_models: list[str] = []
        self.throttle_reads = 0  # the next N status reads raise BedrockThrottled
        self.deployments: dict[str, ModelDeployment] = {}

    def start_job(self, request: FineTuneRequest) -> FineTuneJob:
        arn = f"arn:job/{request.job_name}"
        if arn not in self.jobs:
            self.jobs[arn] = FineTuneJob(arn, JobStatus.IN_PROGRESS)
            self.requests[arn] = request
            self.resource_tags[arn] = dict(request.tags)
        return self.jobs[arn]

    def _maybe_throttle(self, what: str) -> None:
        if self.throttle_reads > 0:
            self.throttle_reads -= 1
            raise BedrockThrottled(f"read {what}", "ThrottlingException", "Rate exceeded")

    def get_job(self, job_arn: str) -> FineTuneJob:
        self._maybe_throttle(job_arn)
        arn = job_arn if job_arn in self.jobs else f"arn:job/{job_arn}"
        if arn not in self.jobs:
            raise _not_found(job_arn)
        return self.jobs[arn]

    def set_job(self, arn: str, **changes: Any) -> None:
        self.jobs[arn] = replace(self.jobs[arn], **changes)

    def stop_job(self, job_arn: str) -> None:
        self.stopped.append(job_arn)
        self.set_job(job_arn, status=JobStatus.STOPPING)

    def create_throughput(self, name, model_arn, model_units, commitment, tags) -> Throughput:
        arn = self.names.setdefault(name, f"arn:pt/{name}")
        if arn not in self.throughputs:
            self.throughputs[arn] = Throughput(
                arn, ThroughputStatus.CREATING, model_arn, name=name, commitment=commitment
            )
            self.resource_tags[arn] = dict(tags)
        return self.throughputs[arn]

    def get_throughput(self, arn: str) -> Throughput:
        self._maybe_throttle(arn)
        arn = self.names.get(arn, arn)
        if arn not in self.throughputs:
            raise _not_found(arn)
        return self.throughputs[arn]

    def delete_throughput(self, arn: str) -> None:
        if self.refuse_delete:
            raise BedrockRejected(f"delete {arn}", "ValidationException", self.refuse_delete)
        self.throughputs.pop(arn, None)
        self.deleted.append(arn)

    def create_deployment(self, name: str, model_arn: str, tags: Mapping[str, str]) -> ModelDeployment:
        arn = self.names.setdefault(name, f"arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/{name}")
        if arn not in self.deployments:
            self.deployments[arn] = ModelDeployment(arn, DeploymentStatus.CREATING, model_arn, name=name)
            self.resource_tags[arn] = dict(tags)
        return self.deployments[arn]

    def get_deployment(self, arn: str) -> ModelDeployment:
        self._maybe_throttle(arn)
        arn = self.names.get(arn, arn)
        if arn not in self.deployments:
            raise _not_found(arn)
        return self.deployments[arn]

    def delete_deployment(self, arn: str) -> None:
        if self.refuse_delete:
            raise BedrockRejected(f"delete {arn}", "ValidationException", self.refuse_delete)
        self.deployments.pop(arn, None)
        self.deleted.append(arn)

    def list_deployments(self) -> list[ModelDeployment]:
        return list(self.deployments.values())

    def tags(self, arn: str) -> dict[str, str]:
        return dict(self.resource_tags.get(arn, {}))

    def list_throughputs(self) -> list[Throughput]:
        return list(self.throughputs.values())

    def get_custom_model(self, arn: str) -> CustomModel:
        if arn not in self.models:
            raise _not_found(arn)
        return self.models[arn]

    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        if self.refuse_tag:
            raise BedrockRejected(f"tag {arn}", "AccessDeniedException", self.refuse_tag)
        self.resource_tags.setdefault(arn, {}).update(tags)

    def list_custom_models(self) -> list[CustomModel]:
        return list(self.models.values())

    def delete_custom_model(self, arn: str) -> None:
        self.models.pop(arn, None)
        self.deleted_models.append(arn)


class ListGenerator:
    name = "memory"

    def __init__(
        self,
        pairs: list[QAPair],
        status: GenerationStatus | None = None,
        rejections: Counter[str] | None = None,
        disagreements: list[dict[str, Any]] | None = None,
    ) -> None:
        self.pairs = pairs
        self.disagreements = disagreements
        self.state = status or GenerationStatus(GenerationState.SUCCEEDED)
        self.rejections: Counter[str] = Counter(rejections or {})
        self.cancelled: list[dict[str, Any]] = []

    def start(self, run_id: str) -> dict[str, Any]:
        return {"run_id": run_id}

    def status(self, handle: Mapping[str, Any]) -> GenerationStatus:
        return self.state

    def read_pairs(self, handle: Mapping[str, Any]) -> Iterator[QAPair]:
        return iter(self.pairs)

    def cancel(self, handle: Mapping[str, Any]) -> bool:
        self.cancelled.append(dict(handle))
        return self.state.state is GenerationState.RUNNING


def sample_pairs(facts: int = 40, paraphrases: int = 3) -> list[QAPair]:
    """Synthetic pairs (not Olympic data): each fact asked several ways; 120 by default, as Llama 3.x
    needs 100 training and validation rows together."""
    return [
        QAPair(
            f"demo:{i}",
            "demo",
            f"In the demo table, what value does item {i} have (wording {j})?",
            f"Item {i} has the value {i * 7}.",
            f"template:{j}",
        )
        for i in range(facts)
        for j in range(paraphrases)
    ]
