"""Small interfaces the workflow logic depends on. Adapters implement them against AWS
and Databricks; tests of logic use in-memory fakes; adapter tests use moto / HTTP stubs."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from podium.dataset.records import QAPair


class ObjectStore(Protocol):
    """Keys are relative to the project bucket, e.g. "runs/<run_id>/train.jsonl"."""

    def read_text(self, key: str) -> str: ...
    def write_text(self, key: str, text: str, content_type: str = "application/json", *, scratch: bool = False) -> str:
        """Write (atomically: S3 puts are all-or-nothing) and return the s3:// URI.
        `scratch` marks an intermediate file that the bucket expires early."""
        ...

    def list_keys(self, prefix: str) -> list[str]: ...
    def download_prefix(self, prefix: str, destination: str) -> list[str]:
        """Copy every object under `prefix` into the local folder; returns local paths."""
        ...

    def uri(self, key: str) -> str: ...


class GenerationState(str, enum.Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class GenerationStatus:
    state: GenerationState
    message: str = ""  # the generator's own words on failure (e.g. Databricks' state_message)


class Generator(Protocol):
    """Makes question–answer pairs for a run. `handle` is JSON-serialisable state the
    workflow carries between Start/Check/Build steps."""

    name: str
    # Why candidate pairs were dropped, filled while read_pairs is consumed (for the report).
    rejections: Counter[str]
    # The source tables' disagreements (podium.dataset.reconcile, as dicts), known once
    # read_pairs is consumed; None when this generator does not cross-check the tables.
    disagreements: list[dict[str, Any]] | None

    def start(self, run_id: str) -> dict[str, Any]: ...
    def status(self, handle: Mapping[str, Any]) -> GenerationStatus: ...
    def read_pairs(self, handle: Mapping[str, Any]) -> Iterator[QAPair]: ...
    def cancel(self, handle: Mapping[str, Any]) -> bool:
        """Stop the generation if it is still going; True when something was stopped."""
        ...


# Tags every billable resource carries (job, custom model, throughput). A resource is adopted
# by a retried step, or deleted by Cleanup, Promote and the janitor, only when they say it is
# ours; the stack's IAM conditions on aws:ResourceTag use the same keys.
TAG_STACK = "podium:stack"  # the deployment's name_prefix
TAG_EXECUTION = "podium:execution"  # the Step Functions execution ARN that created it
TAG_RUN_ID = "podium:run_id"
TAG_TTL_HOURS = "podium:ttl_hours"  # how long it may live unpromoted before the janitor deletes it
# Set by Promote on the model and its throughput: the janitor never deletes what carries it
# (unlike run files and the active-model record, a tag lives as long as the resource).
TAG_PROMOTED = "podium:promoted"
# Every tag key Podium writes: the only keys its roles may set (IAM aws:TagKeys).
TAG_KEYS = (TAG_STACK, TAG_EXECUTION, TAG_RUN_ID, TAG_TTL_HOURS, TAG_PROMOTED)
# Bedrock's TagValue: at most 256 of these characters (botocore's bedrock model, shape TagValue).
# Step Functions allows more in an execution name ("(", "!", non-ASCII): see tag_value().
TAG_VALUE_PATTERN = r"[a-zA-Z0-9\s._:/=+@-]*"
TAG_VALUE_MAX = 256


def tag_value(text: str) -> str:
    """`text` as Bedrock accepts a tag value: each other character becomes "_", cut to 256. A value
    that already fits (every execution ARN of a plainly named execution) is unchanged, so owners
    compare as equal on both sides; the execution's name is also in its run id tag."""
    import re

    return re.sub(r"[^a-zA-Z0-9\s._:/=+@-]", "_", text)[:TAG_VALUE_MAX]


class JobStatus(str, enum.Enum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


@dataclass(frozen=True)
class FineTuneRequest:
    job_name: str  # ≤ 63 chars, derived from run_id
    custom_model_name: str
    client_request_token: str  # derived from run_id: a retried call never makes a second job
    role_arn: str
    base_model_id: str
    training_uri: str
    validation_uri: str | None
    output_uri: str
    hyperparameters: Mapping[str, str]
    tags: Mapping[str, str] = field(default_factory=dict)
    kms_key_id: str | None = None


@dataclass(frozen=True)
class FineTuneJob:
    job_arn: str
    status: JobStatus
    failure_message: str = ""
    output_model_arn: str | None = None
    training_loss: float | None = None
    validation_loss: float | None = None


class ThroughputStatus(str, enum.Enum):
    CREATING = "Creating"
    IN_SERVICE = "InService"
    UPDATING = "Updating"
    FAILED = "Failed"


@dataclass(frozen=True)
class Throughput:
    arn: str
    status: ThroughputStatus
    model_arn: str = ""
    failure_message: str = ""
    name: str = ""
    commitment: str | None = None
    created_at: str = ""  # ISO-8601, when listed
    model_units: int = 0  # what it bills for, per hour


class DeploymentStatus(str, enum.Enum):
    """A custom model deployment's status (botocore: CustomModelDeploymentStatus)."""

    CREATING = "Creating"
    ACTIVE = "Active"
    FAILED = "Failed"


@dataclass(frozen=True)
class ModelDeployment:
    """A custom model deployment: the custom model served on demand, invoked with this ARN as the
    modelId and billed per token (deploy-custom-model-on-demand.html)."""

    arn: str
    status: DeploymentStatus
    model_arn: str = ""
    failure_message: str = ""
    name: str = ""
    created_at: str = ""  # ISO-8601, when listed


class ServingKind(str, enum.Enum):
    """What answers for a custom model (model-customization-use.html): a provisioned throughput,
    billed per model unit and hour, or a custom model deployment, billed per token."""

    PROVISIONED_THROUGHPUT = "provisioned throughput"
    CUSTOM_MODEL_DEPLOYMENT = "custom model deployment"

    @classmethod
    def of_arn(cls, arn: str) -> ServingKind:
        """Which kind an ARN names (a deployment's is …:custom-model-deployment/<id>)."""
        return cls.CUSTOM_MODEL_DEPLOYMENT if ":custom-model-deployment/" in arn else cls.PROVISIONED_THROUGHPUT


@dataclass(frozen=True)
class CustomModel:
    arn: str
    name: str
    created_at: str  # ISO-8601


class FineTuner(Protocol):
    def start_job(self, request: FineTuneRequest) -> FineTuneJob: ...
    def get_job(self, job_arn: str) -> FineTuneJob: ...
    def stop_job(self, job_arn: str) -> None: ...
    def create_throughput(
        self, name: str, model_arn: str, model_units: int, commitment: str | None, tags: Mapping[str, str]
    ) -> Throughput:
        """Idempotent by name: an existing throughput of that name is returned, not duplicated."""
        ...

    def get_throughput(self, arn: str) -> Throughput: ...
    def delete_throughput(self, arn: str) -> None:
        """Delete it; a throughput that is already gone counts as deleted."""
        ...

    def tags(self, arn: str) -> Mapping[str, str]:
        """The tags of a job, custom model or throughput (empty when it has none)."""
        ...

    def list_throughputs(self) -> list[Throughput]: ...
    def get_custom_model(self, arn: str) -> CustomModel: ...
    def list_custom_models(self) -> list[CustomModel]: ...
    def delete_custom_model(self, arn: str) -> None: ...
    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add (or overwrite) tags on a custom model, throughput or deployment."""
        ...

    def create_deployment(self, name: str, model_arn: str, tags: Mapping[str, str]) -> ModelDeployment:
        """Deploy the custom model for on-demand inference. Idempotent by name: an existing deployment
        of that name is returned when its tags name the same execution, else refused."""
        ...

    def get_deployment(self, arn: str) -> ModelDeployment: ...
    def delete_deployment(self, arn: str) -> None:
        """Delete it; a deployment that is already gone counts as deleted."""
        ...

    def list_deployments(self) -> list[ModelDeployment]: ...


@dataclass(frozen=True)
class ActiveModel:
    run_id: str
    model_arn: str
    base_model_id: str
    dataset_hash: str
    throughput_arn: str | None = None
    promoted_at: str = ""
    # The promotion gate's decision ("promote" or "not_evaluated") and the scores behind it
    decision: str = ""
    scores: Mapping[str, Any] | None = None
    # The custom model deployment it answers through on demand (deployment on_demand); None otherwise
    deployment_arn: str | None = None

    @property
    def serving_arn(self) -> str | None:
        """What answers for this model when it is asked: its provisioned throughput or its custom
        model deployment (the modelId either is invoked with); None when neither serves it."""
        return self.deployment_arn or self.throughput_arn

    def to_record(self) -> dict[str, Any]:
        """Its fields as JSON-ready values: the SSM record, and a run's promotion record."""
        record = {name: getattr(self, name) for name in self.__dataclass_fields__}
        record["scores"] = dict(self.scores) if self.scores is not None else None
        return record


class ActiveModelStore(Protocol):
    def get(self) -> ActiveModel | None: ...
    def put(self, model: ActiveModel) -> None: ...
