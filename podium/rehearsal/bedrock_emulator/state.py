"""The emulated service's records (jobs, custom models, provisioned throughputs, custom model
deployments, tags) and
the state every operation shares; each concern's operations are a mixin over it."""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.simulated_model import SimulatedModel, TrainingIndex

S3_URI = re.compile(r"^s3://([^/]+)/?(.*)$")


@dataclass
class Job:
    arn: str
    name: str
    request: dict[str, Any]
    token: str | None
    created: str
    status: str = "InProgress"
    ticks: int = 0
    failure_message: str = ""
    output_model_arn: str | None = None
    end_time: str | None = None
    data_failure: str | None = None  # what the validation phase will say, None: the data is valid
    s3: Any = None  # S3 as the job's service role (the roleArn Bedrock assumed)


@dataclass
class Throughput:
    arn: str
    name: str
    model_arn: str
    model_units: int
    commitment: str | None
    token: str | None
    created: str
    status: str = "Creating"
    ticks: int = 0
    failure_message: str = ""


@dataclass
class Deployment:
    """A custom model deployment (on-demand inference)."""

    arn: str
    name: str
    model_arn: str
    token: str | None
    created: str
    description: str = ""
    status: str = "Creating"
    ticks: int = 0
    failure_message: str = ""
    updated: str = ""
    update_model_arn: str | None = None  # UpdateCustomModelDeployment's model, while it is Updating
    update_status: str | None = None  # Updating | UpdateCompleted | UpdateFailed


@dataclass
class CustomModel:
    arn: str
    name: str
    job_arn: str
    job_name: str
    base_model_id: str
    created: str


def tag_map(tags: Any) -> dict[str, str]:
    return {str(tag["key"]): str(tag["value"]) for tag in tags or []}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class EmulatorState:
    """The emulated service state. `s3` is a boto3 S3 client (moto's, in rehearsal) used to
    read training data and write the job's output metrics."""

    def __init__(
        self,
        *,
        s3: Any,
        region: str = "us-west-2",
        account: str = "123456789012",
        script: Script | None = None,
        authorizer: Any = None,
        assume_role: Any = None,
    ) -> None:
        self.s3, self.region, self.account = s3, region, account
        # IAM (podium.rehearsal.iam): `authorizer` judges each call by the caller's role;
        # `assume_role(role_arn, context)` gives the S3 client a job uses as its service role.
        self.authorizer, self.assume_role = authorizer, assume_role
        self.script = script or Script()
        self.jobs: dict[str, Job] = {}  # by ARN
        self.throughputs: dict[str, Throughput] = {}  # by ARN
        self.custom_models: dict[str, CustomModel] = {}  # by ARN
        self.deployments: dict[str, Deployment] = {}  # by ARN
        self.deleted_throughputs: list[str] = []
        self.deleted_deployments: list[str] = []
        self.deleted_custom_models: list[str] = []
        self.tags: dict[str, dict[str, str]] = {}  # resource ARN → tags (jobTags, customModelTags, tags)
        self.answers: list[dict[str, Any]] = []  # every Converse call: model, question, answer, kind
        self._models: dict[str, SimulatedModel] = {}  # by custom model ARN or base model id
        self._indexes: dict[str, Future[TrainingIndex]] = {}  # by the jobs whose training files they index
        self._lock = threading.RLock()

    def reset(self, script: Script | None = None) -> None:
        """Forget every job, model, throughput and deployment; start over with `script`."""
        with self._lock:
            self.script = script or Script()
            self.jobs.clear()
            self.throughputs.clear()
            self.custom_models.clear()
            self.deployments.clear()
            self.deleted_throughputs.clear()
            self.deleted_deployments.clear()
            self.deleted_custom_models.clear()
            self.tags.clear()
            self.answers.clear()
            self._models.clear()
            self._indexes.clear()

    def learned(self, job: Job) -> None:
        """A job completed (the runtime indexes its training file: runtime.Runtime.learned)."""

    def _foundation_arn(self, model_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}::foundation-model/{model_id}"

    def export_model(self, model_arn: str) -> dict[str, Any]:
        """What a later rehearsal needs to serve this custom model again, as JSON: its job
        (with the training file's URI it learned from), the model, its throughputs and custom
        model deployments, and their tags."""
        with self._lock:
            model = self.custom_models[model_arn]
            job = self.jobs[model.job_arn]
            throughputs = [t for t in self.throughputs.values() if t.model_arn == model_arn]
            deployments = [d for d in self.deployments.values() if d.model_arn == model_arn]
            arns = [job.arn, model.arn, *(t.arn for t in throughputs), *(d.arn for d in deployments)]
            return {
                # the job's S3 client (its service role's) is not state: the importer gives its own
                "job": {f.name: getattr(job, f.name) for f in fields(job) if f.name != "s3"},
                "model": asdict(model),
                "throughputs": [asdict(t) for t in throughputs],
                "deployments": [asdict(d) for d in deployments],
                "tags": {arn: dict(self.tags[arn]) for arn in arns if arn in self.tags},
            }

    def import_model(self, record: dict[str, Any]) -> None:
        """Serve a custom model exported by an earlier rehearsal (export_model)."""
        with self._lock:
            job, model = Job(**record["job"], s3=self.s3), CustomModel(**record["model"])
            self.jobs[job.arn] = job
            self.custom_models[model.arn] = model
            for fields in record.get("throughputs") or []:
                throughput = Throughput(**fields)
                self.throughputs[throughput.arn] = throughput
            for fields in record.get("deployments") or []:
                deployment = Deployment(**fields)
                self.deployments[deployment.arn] = deployment
            for arn, tags in (record.get("tags") or {}).items():
                self.tags[arn] = dict(tags)
