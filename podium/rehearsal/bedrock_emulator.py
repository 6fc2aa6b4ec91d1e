"""A local Amazon Bedrock control plane for rehearsal: the REST calls Podium makes.

moto's Bedrock keeps jobs InProgress forever and has no provisioned throughput, so
rehearsal points AWS_ENDPOINT_URL_BEDROCK here. Paths and shapes follow botocore's
service model (botocore/data/bedrock/*/service-2.json):

  POST   /model-customization-jobs                      CreateModelCustomizationJob
  GET    /model-customization-jobs/{jobIdentifier}       GetModelCustomizationJob
  POST   /model-customization-jobs/{jobIdentifier}/stop  StopModelCustomizationJob
  GET    /model-customization-jobs                       ListModelCustomizationJobs
  GET    /custom-models/{modelIdentifier}                GetCustomModel
  POST   /provisioned-model-throughput                   CreateProvisionedModelThroughput
  GET    /provisioned-model-throughput/{id}              GetProvisionedModelThroughput
  DELETE /provisioned-model-throughput/{id}              DeleteProvisionedModelThroughput
  GET    /provisioned-model-throughputs                  ListProvisionedModelThroughputs
  POST   /model/{modelId}/converse                       Converse (bedrock-runtime)

Each operation's method and path are read from botocore's service models at runtime
(podium.rehearsal.service_model), as are the HTTP statuses of errors.

Converse answers with a SIMULATED model (podium.rehearsal.simulated_model): for a
provisioned throughput's ARN, a model that knows `Script.known_share` of the facts in
the training file its job received; for a base model id, one that knows
`Script.base_known_share` of every fact trained on that base model here. Every answer is
labelled: the response header `x-podium-simulated` and
`additionalModelResponseFields.podium_simulated` carry ANSWER_NOTE.

Lifecycles advance one tick per status read (deterministic, independent of wall time).
The emulator is a second opinion, not a mirror of Podium: it judges requests and data
with its own reading of Bedrock's documentation (podium.rehearsal.bedrock_rules) and
botocore's models, and imports nothing from podium.dataset, podium.models,
podium.config or podium.workflow. As on AWS, CreateModelCustomizationJob refuses bad
names, models and hyperparameters with a ValidationException, but accepts a job whose
data is bad: the job goes InProgress (validation phase) and then Failed with a
failureMessage saying what is wrong. A stopped job shows Stopping before Stopped.
Outcomes can be scripted (Script): a job or throughput that fails, a training file
corrupted after upload, errors answered by any operation (InjectedError). The metrics
files a completed job writes to its S3 output prefix are marked as SIMULATED in every row.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from podium.rehearsal import bedrock_rules, service_model
from podium.rehearsal.local_http import LocalHTTPServer
from podium.rehearsal.simulated_model import SimulatedModel, question_text, rows_from_jsonl, words

SIMULATED_NOTE = "SIMULATED by podium rehearsal: not a real training run"
ANSWER_NOTE = "SIMULATED by podium rehearsal: not a real model's answer"
SIMULATED_HEADER = "x-podium-simulated"  # on every Converse response, value ANSWER_NOTE
SIMULATED_FIELD = "podium_simulated"  # in Converse's additionalModelResponseFields
_S3_URI = re.compile(r"^s3://([^/]+)/?(.*)$")


class BedrockError(Exception):
    """An error answered the way Bedrock answers it: HTTP status (from botocore's model of
    `service`) + x-amzn-ErrorType."""

    def __init__(self, code: str, message: str, service: str = "bedrock") -> None:
        super().__init__(message)
        self.code, self.message, self.service = code, message, service

    @property
    def status(self) -> int:
        return service_model.error_status(self.service, self.code)


@dataclass
class InjectedError:
    """Answer `operation` (a Bedrock operation name, e.g. CreateModelCustomizationJob or
    Converse) with `code` for its next `times` calls (None: every call)."""

    operation: str
    code: str
    message: str = "error injected by podium rehearse"
    times: int | None = 1


@dataclass
class Script:
    """What the emulated service will do. Change it between or during runs."""

    job_ticks: int = 2  # status reads a job stays InProgress before it ends
    job_failure: str | None = None  # the failureMessage of jobs that fail; None = jobs complete
    throughput_ticks: int = 2  # status reads a throughput stays Creating
    throughput_failure: str | None = None  # the failureMessage of throughputs that fail
    # A ValidationException message that CreateModelCustomizationJob answers with (e.g. a
    # rule the real service applies that podium does not know yet); None = accept.
    job_rejection: str | None = None
    # Alter the training file after it was uploaded, before Bedrock's validation phase reads
    # it (see CORRUPTIONS): rehearses data that Podium's own checks never saw.
    corrupt_training: str | None = None
    stop_ticks: int = 1  # status reads a stopped job shows Stopping before Stopped
    # Sum of training and validation records per job, an adjustable account quota
    # ("Sum of training and validation records…" in Service Quotas); None: not enforced.
    records_sum_quota: int | None = None
    training_loss: float = 1.25  # simulated final losses
    validation_loss: float = 1.5
    errors: list[InjectedError] = field(default_factory=list)  # answered instead of the operation
    # The simulated models Converse asks (see simulated_model): shares of the trained facts
    # a fine-tuned / base model knows, and of unanswerable questions answered wrongly.
    known_share: float = 0.8
    base_known_share: float = 0.05
    hallucination_share: float = 0.05
    base_hallucination_share: float = 0.2
    seed: str = "0"
    answer_latency_seconds: float = 0.0  # per Converse call (benchmarks: 1.0)


@dataclass
class _Job:
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


@dataclass
class _Throughput:
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
class _CustomModel:
    arn: str
    name: str
    job_arn: str
    job_name: str
    base_model_id: str
    created: str


def _tag_map(tags: Any) -> dict[str, str]:
    return {str(tag["key"]): str(tag["value"]) for tag in tags or []}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class BedrockEmulator:
    """The emulated service state. `s3` is a boto3 S3 client (moto's, in rehearsal) used to
    read training data and write the job's output metrics."""

    def __init__(
        self,
        *,
        s3: Any,
        region: str = "us-west-2",
        account: str = "123456789012",
        script: Script | None = None,
    ) -> None:
        self.s3, self.region, self.account = s3, region, account
        self.script = script or Script()
        self.jobs: dict[str, _Job] = {}  # by ARN
        self.throughputs: dict[str, _Throughput] = {}  # by ARN
        self.custom_models: dict[str, _CustomModel] = {}  # by ARN
        self.deleted_throughputs: list[str] = []
        self.deleted_custom_models: list[str] = []
        self.tags: dict[str, dict[str, str]] = {}  # resource ARN → tags (jobTags, customModelTags, tags)
        self.answers: list[dict[str, Any]] = []  # every Converse call: model, question, answer, kind
        self._models: dict[str, SimulatedModel] = {}  # by custom model ARN or base model id
        self._lock = threading.RLock()

    def reset(self, script: Script | None = None) -> None:
        """Forget every job, model and throughput; start over with `script`."""
        with self._lock:
            self.script = script or Script()
            self.jobs.clear()
            self.throughputs.clear()
            self.custom_models.clear()
            self.deleted_throughputs.clear()
            self.deleted_custom_models.clear()
            self.tags.clear()
            self.answers.clear()
            self._models.clear()

    # -- customization jobs -----------------------------------------------------------

    def create_job(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Checks what Bedrock checks before accepting a job (names, role, model,
        hyperparameters); the data is judged later, in the job's validation phase."""
        with self._lock:
            for required in (
                "jobName",
                "customModelName",
                "roleArn",
                "baseModelIdentifier",
                "trainingDataConfig",
                "outputDataConfig",
            ):
                if not body.get(required):
                    raise BedrockError("ValidationException", f"1 validation error detected: {required} is required")
            name, token = str(body["jobName"]), body.get("clientRequestToken")
            existing = next((job for job in self.jobs.values() if job.name == name), None)
            if existing is not None:
                if token and existing.token == token:
                    return {"jobArn": existing.arn}  # idempotent replay of the same request
                raise BedrockError("ConflictException", f"A job with the name {name} already exists.")
            if self.script.job_rejection is not None:
                raise BedrockError("ValidationException", self.script.job_rejection)
            for member in ("jobName", "customModelName", "roleArn", "clientRequestToken"):
                if body.get(member) is not None:
                    _check_member("CreateModelCustomizationJob", member, str(body[member]))
            if any(m.name == body["customModelName"] for m in self.custom_models.values()):
                raise BedrockError(
                    "ConflictException", f"A model with the name {body['customModelName']} already exists."
                )
            base_id = str(body["baseModelIdentifier"])
            problem = bedrock_rules.model_problem(base_id, self.region)
            if problem:
                raise BedrockError("ValidationException", problem)
            hyperparameters = dict(body.get("hyperParameters") or {})
            if any(not isinstance(value, str) for value in hyperparameters.values()):
                raise BedrockError("ValidationException", "hyperParameters values must be strings")
            problems = bedrock_rules.hyperparameter_problems(base_id, hyperparameters)
            if problems:
                raise BedrockError("ValidationException", "; ".join(problems))
            output = str(body["outputDataConfig"].get("s3Uri") or "")
            if not _S3_URI.match(output):
                raise BedrockError("ValidationException", f"outputDataConfig.s3Uri {output!r} is not an S3 URI")

            job_id = uuid.uuid4().hex[:12]
            arn = f"arn:aws:bedrock:{self.region}:{self.account}:model-customization-job/{base_id}/{job_id}"
            job = self.jobs[arn] = _Job(arn=arn, name=name, request=dict(body), token=token, created=_now())
            if self.script.corrupt_training:
                corrupt(self.s3, str(body["trainingDataConfig"].get("s3Uri") or ""), self.script.corrupt_training)
            job.data_failure = self._validation_phase(body, base_id)
            self.tags[arn] = _tag_map(body.get("jobTags"))
            return {"jobArn": arn}

    def _validation_phase(self, body: Mapping[str, Any], base_id: str) -> str | None:
        """What the job's validation phase will say about its data (None: it passes)."""
        files = [("train", body["trainingDataConfig"].get("s3Uri"))]
        files += [
            ("validation", v.get("s3Uri")) for v in (body.get("validationDataConfig") or {}).get("validators") or []
        ]
        total = 0
        for split, uri in files:
            try:
                text = self._read(uri)
            except BedrockError as error:
                return error.message
            records, problems = bedrock_rules.data_problems(text, base_id, split)
            if problems:
                return bedrock_rules.failure_message(str(uri), split, problems)
            total += records
        quota = self.script.records_sum_quota
        if quota is not None and total > quota:
            return (
                f"Data validation failed: the training and validation data have {total} records together; "
                f"the quota for the sum of training and validation records is {quota}"
            )
        return None

    def _read(self, uri: Any) -> str:
        match = _S3_URI.match(str(uri or ""))
        if not match or not match.group(2):
            raise BedrockError("ValidationException", f"{uri!r} is not an S3 object URI")
        try:
            return self.s3.get_object(Bucket=match.group(1), Key=match.group(2))["Body"].read().decode("utf-8")
        except UnicodeDecodeError:
            raise BedrockError("ValidationException", f"Data validation failed: {uri} is not UTF-8 text") from None
        except Exception as error:  # noqa: BLE001 - any S3 failure is the caller's data problem
            raise BedrockError(
                "ValidationException", f"Data validation failed: unable to read {uri} ({type(error).__name__})"
            ) from None

    def _foundation_arn(self, model_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}::foundation-model/{model_id}"

    def _job(self, identifier: str) -> _Job:
        job = self.jobs.get(identifier) or next((j for j in self.jobs.values() if j.name == identifier), None)
        if job is None:
            raise BedrockError("ResourceNotFoundException", f"Could not find model customization job {identifier}")
        return job

    def get_job(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            job = self._job(identifier)
            self._advance_job(job)
            request = job.request
            response: dict[str, Any] = {
                "jobArn": job.arn,
                "jobName": job.name,
                "outputModelName": request["customModelName"],
                "roleArn": request["roleArn"],
                "status": job.status,
                "creationTime": job.created,
                "lastModifiedTime": _now(),
                "baseModelArn": self._foundation_arn(request["baseModelIdentifier"]),
                "hyperParameters": request.get("hyperParameters") or {},
                "trainingDataConfig": request["trainingDataConfig"],
                "validationDataConfig": request.get("validationDataConfig") or {"validators": []},
                "outputDataConfig": request["outputDataConfig"],
                "customizationType": request.get("customizationType") or "FINE_TUNING",
            }
            response["statusDetails"] = self._status_details(job)
            if job.token:
                response["clientRequestToken"] = job.token
            if job.failure_message:
                response["failureMessage"] = job.failure_message
            if job.end_time:
                response["endTime"] = job.end_time
            if job.status == "Completed":
                response["outputModelArn"] = job.output_model_arn
                response["trainingMetrics"] = {"trainingLoss": self.script.training_loss}
                if request.get("validationDataConfig"):
                    response["validationMetrics"] = [{"validationLoss": self.script.validation_loss}]
            return response

    def _advance_job(self, job: _Job) -> None:
        if job.status == "Stopping":
            job.ticks += 1
            if job.ticks > self.script.stop_ticks:
                job.status, job.end_time = "Stopped", _now()
            return
        if job.status != "InProgress":
            return
        job.ticks += 1
        if job.ticks < self.script.job_ticks:
            return
        job.end_time = _now()
        if job.data_failure is not None:
            job.status, job.failure_message = "Failed", job.data_failure
            return
        if self.script.job_failure is not None:
            job.status, job.failure_message = "Failed", self.script.job_failure
            return
        job.status = "Completed"
        base_id = job.request["baseModelIdentifier"]
        model_id = uuid.uuid4().hex[:12]
        job.output_model_arn = f"arn:aws:bedrock:{self.region}:{self.account}:custom-model/{base_id}/{model_id}"
        self.custom_models[job.output_model_arn] = _CustomModel(
            arn=job.output_model_arn,
            name=job.request["customModelName"],
            job_arn=job.arn,
            job_name=job.name,
            base_model_id=base_id,
            created=_now(),
        )
        self.tags[job.output_model_arn] = _tag_map(job.request.get("customModelTags"))
        self._write_metrics(job)

    def _status_details(self, job: _Job) -> dict[str, Any]:
        """statusDetails: the validation, data processing and training phases."""
        if job.status == "Completed":
            phases = ("Completed", "Completed", "Completed")
        elif job.status == "Failed":
            phases = (
                ("Failed", "NotStarted", "NotStarted") if job.data_failure else ("Completed", "Completed", "Failed")
            )
        elif job.status in ("Stopping", "Stopped"):
            phases = ("Completed", "Completed", job.status)
        elif job.ticks == 0:
            phases = ("InProgress", "NotStarted", "NotStarted")
        else:
            phases = ("Completed", "Completed", "InProgress")
        now = _now()
        return {
            name: {"status": status, "creationTime": job.created, "lastModifiedTime": now}
            for name, status in zip(
                ("validationDetails", "dataProcessingDetails", "trainingDetails"), phases, strict=True
            )
        }

    def _write_metrics(self, job: _Job) -> None:
        """Bedrock's output metric files, every row marked as simulated."""
        match = _S3_URI.match(job.request["outputDataConfig"]["s3Uri"])
        assert match is not None
        bucket, prefix = match.group(1), match.group(2).rstrip("/")
        job_id = job.arn.rsplit("/", 1)[-1]
        base = f"{prefix}/model-customization-job-{job_id}" if prefix else f"model-customization-job-{job_id}"
        epochs = int(float((job.request.get("hyperParameters") or {}).get("epochCount", "1")))
        files = {
            f"{base}/training_artifacts/step_wise_training_metrics.csv": (
                "training_loss",
                self.script.training_loss,
            ),
            f"{base}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv": (
                "validation_loss",
                self.script.validation_loss,
            ),
        }
        for key, (column, final) in files.items():
            rows = [f"step_number,epoch_number,{column},perplexity,note"]
            for epoch in range(1, epochs + 1):
                loss = final * (1 + (epochs - epoch) * 0.5)
                rows.append(f"{epoch * 10},{epoch},{loss:.4f},{2.718281828**loss:.4f},{SIMULATED_NOTE}")
            self.s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(rows) + "\n").encode("utf-8"))
        self.s3.put_object(Bucket=bucket, Key=f"{base}/SIMULATED.txt", Body=SIMULATED_NOTE.encode("utf-8"))

    def stop_job(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            job = self._job(identifier)
            if job.status != "InProgress":
                raise BedrockError(
                    "ValidationException", f"Job {job.name} cannot be stopped: its status is {job.status}"
                )
            job.status, job.ticks = "Stopping", 0
            return {}

    def list_jobs(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            summaries = [
                {
                    "jobArn": job.arn,
                    "jobName": job.name,
                    "baseModelArn": self._foundation_arn(job.request["baseModelIdentifier"]),
                    "status": job.status,
                    "creationTime": job.created,
                    "customModelName": job.request["customModelName"],
                }
                for job in self.jobs.values()
                if (not query.get("statusEquals") or job.status == query["statusEquals"])
                and (not query.get("nameContains") or query["nameContains"] in job.name)
            ]
            return {"modelCustomizationJobSummaries": summaries}

    def get_custom_model(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            model = self.custom_models.get(identifier) or next(
                (m for m in self.custom_models.values() if m.name == identifier), None
            )
            if model is None:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {identifier}")
            return {
                "modelArn": model.arn,
                "modelName": model.name,
                "jobName": model.job_name,
                "jobArn": model.job_arn,
                "baseModelArn": f"arn:aws:bedrock:{self.region}::foundation-model/{model.base_model_id}",
                "customizationType": "FINE_TUNING",
                "creationTime": model.created,
                "modelStatus": "Active",
            }

    # -- provisioned throughput ---------------------------------------------------------------

    def create_throughput(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            name, token = str(body.get("provisionedModelName") or ""), body.get("clientRequestToken")
            existing = next((t for t in self.throughputs.values() if t.name == name), None)
            if existing is not None:
                if token and existing.token == token:
                    return {"provisionedModelArn": existing.arn}
                raise BedrockError("ConflictException", f"A provisioned model with the name {name} already exists.")
            _check_member("CreateProvisionedModelThroughput", "provisionedModelName", name)
            units = body.get("modelUnits")
            if not isinstance(units, int) or units < 1:
                raise BedrockError("ValidationException", f"modelUnits must be a positive integer, got {units!r}")
            commitment = body.get("commitmentDuration")
            if commitment not in (None, "OneMonth", "SixMonths"):
                raise BedrockError("ValidationException", f"commitmentDuration {commitment!r} is not valid")
            model_arn = str(body.get("modelId") or "")
            if model_arn not in self.custom_models:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {model_arn}")
            arn = f"arn:aws:bedrock:{self.region}:{self.account}:provisioned-model/{uuid.uuid4().hex[:12]}"
            self.throughputs[arn] = _Throughput(
                arn=arn,
                name=name,
                model_arn=model_arn,
                model_units=units,
                commitment=commitment,
                token=token,
                created=_now(),
            )
            self.tags[arn] = _tag_map(body.get("tags"))
            return {"provisionedModelArn": arn}

    def _throughput(self, identifier: str) -> _Throughput:
        throughput = self.throughputs.get(identifier) or next(
            (t for t in self.throughputs.values() if t.name == identifier), None
        )
        if throughput is None:
            raise BedrockError("ResourceNotFoundException", f"Could not find provisioned model {identifier}")
        return throughput

    def get_throughput(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            throughput = self._throughput(identifier)
            if throughput.status in ("Creating", "Updating"):
                throughput.ticks += 1
                if throughput.ticks >= self.script.throughput_ticks:
                    if self.script.throughput_failure is not None:
                        throughput.status = "Failed"
                        throughput.failure_message = self.script.throughput_failure
                    else:
                        throughput.status = "InService"
            return self._throughput_response(throughput)

    def _throughput_response(self, throughput: _Throughput) -> dict[str, Any]:
        response: dict[str, Any] = {
            "modelUnits": throughput.model_units,
            "desiredModelUnits": throughput.model_units,
            "provisionedModelName": throughput.name,
            "provisionedModelArn": throughput.arn,
            "modelArn": throughput.model_arn,
            "desiredModelArn": throughput.model_arn,
            "foundationModelArn": (
                f"arn:aws:bedrock:{self.region}::foundation-model/"
                f"{self.custom_models[throughput.model_arn].base_model_id}"
            ),
            "status": throughput.status,
            "creationTime": throughput.created,
            "lastModifiedTime": _now(),
        }
        if throughput.failure_message:
            response["failureMessage"] = throughput.failure_message
        if throughput.commitment:
            response["commitmentDuration"] = throughput.commitment
        return response

    def describe_throughputs(self) -> list[dict[str, Any]]:
        """Every provisioned throughput that exists now (not deleted), as GetProvisionedModelThroughput
        describes it, without advancing its lifecycle."""
        with self._lock:
            return [self._throughput_response(throughput) for throughput in self.throughputs.values()]

    def delete_throughput(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            throughput = self._throughput(identifier)
            if throughput.commitment:
                raise BedrockError(
                    "ValidationException",
                    f"Provisioned model {throughput.name} has a {throughput.commitment} commitment and "
                    "cannot be deleted before the commitment term ends",
                )
            del self.throughputs[throughput.arn]
            self.deleted_throughputs.append(throughput.arn)
            return {}

    def list_throughputs(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            summaries = []
            for throughput in self.throughputs.values():
                if query.get("statusEquals") and throughput.status != query["statusEquals"]:
                    continue
                if query.get("nameContains") and query["nameContains"] not in throughput.name:
                    continue
                if query.get("modelArnEquals") and throughput.model_arn != query["modelArnEquals"]:
                    continue
                full = self._throughput_response(throughput)
                summaries.append(
                    {
                        key: full[key]
                        for key in (
                            "provisionedModelName",
                            "provisionedModelArn",
                            "modelArn",
                            "desiredModelArn",
                            "foundationModelArn",
                            "modelUnits",
                            "desiredModelUnits",
                            "status",
                            "creationTime",
                            "lastModifiedTime",
                        )
                    }
                )
            return {"provisionedModelSummaries": summaries}

    # -- bedrock-runtime Converse ---------------------------------------------------------

    def _training_rows(self, job: _Job) -> list[tuple[str, str]]:
        uri = str((job.request.get("trainingDataConfig") or {}).get("s3Uri") or "")
        match = _S3_URI.match(uri)
        if not match:
            return []
        body = self.s3.get_object(Bucket=match.group(1), Key=match.group(2))["Body"].read()
        return rows_from_jsonl(body.decode("utf-8", errors="replace"))

    def _custom_simulation(self, model: _CustomModel) -> SimulatedModel:
        simulation = self._models.get(model.arn)
        if simulation is None:
            script = self.script
            simulation = self._models[model.arn] = SimulatedModel(
                self._training_rows(self.jobs[model.job_arn]),
                known_share=script.known_share,
                hallucination_share=script.hallucination_share,
                seed=f"{script.seed}/custom",
            )
        return simulation

    def _base_simulation(self, base_id: str) -> SimulatedModel:
        """A base model knows a few of the facts anything here was trained on with it."""
        trained = [job for job in self.jobs.values() if _base_key(job.request["baseModelIdentifier"]) == base_id]
        key = f"{base_id}#{len(trained)}"
        simulation = self._models.get(key)
        if simulation is None:
            script = self.script
            rows = [row for job in trained for row in self._training_rows(job)]
            simulation = self._models[key] = SimulatedModel(
                rows,
                known_share=script.base_known_share,
                hallucination_share=script.base_hallucination_share,
                seed=f"{script.seed}/base",
            )
        return simulation

    def _serving(self, model_id: str) -> tuple[SimulatedModel, str]:
        """The simulated model behind Converse's modelId, and what it is ("custom"/"base")."""
        if ":provisioned-model/" in model_id or model_id in {t.name for t in self.throughputs.values()}:
            throughput = self.throughputs.get(model_id) or next(
                (t for t in self.throughputs.values() if t.name == model_id), None
            )
            if throughput is None:
                raise BedrockError(
                    "ResourceNotFoundException", f"Provisioned model {model_id} not found", "bedrock-runtime"
                )
            if throughput.status != "InService":
                raise BedrockError(
                    "ValidationException",
                    f"The provisioned model {throughput.name} is {throughput.status}, not InService",
                    "bedrock-runtime",
                )
            return self._custom_simulation(self.custom_models[throughput.model_arn]), "custom"
        if ":custom-model/" in model_id:
            raise BedrockError(
                "ValidationException",
                "Invocation of a custom model with on-demand throughput isn't supported: "
                "use a provisioned throughput or custom model deployment",
                "bedrock-runtime",
            )
        base_id = _base_key(model_id.rsplit("foundation-model/", 1)[-1])
        if not re.fullmatch(r"[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63})*", base_id):
            raise BedrockError("ValidationException", "The provided model identifier is invalid.", "bedrock-runtime")
        return self._base_simulation(base_id), "base"

    def converse(self, model_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BedrockError("ValidationException", "messages must be a non-empty list", "bedrock-runtime")
        question = question_text(messages)
        started = time.monotonic()
        with self._lock:
            simulation, kind = self._serving(model_id)
            answer = simulation.answer(question)
            self.answers.append(
                {"model_id": model_id, "model": kind, "question": question, "answer": answer.text, "kind": answer.kind}
            )
        if self.script.answer_latency_seconds > 0:
            time.sleep(self.script.answer_latency_seconds)
        system = " ".join(str(item.get("text", "")) for item in body.get("system") or [] if isinstance(item, dict))
        input_tokens = len(words(system + " " + question)) + 8
        output_tokens = len(answer.text.split()) + 1
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": answer.text}]}},
            "stopReason": "end_turn",
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
            "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
            "additionalModelResponseFields": {SIMULATED_FIELD: {"note": ANSWER_NOTE, "answer": answer.kind}},
        }

    # -- tags and custom models (what ownership checks and the janitor read) ----------------------

    def list_tags(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            arn = str(body.get("resourceARN") or "")
            if arn not in self.tags:
                raise BedrockError("ResourceNotFoundException", f"Could not find resource {arn}")
            return {"tags": [{"key": k, "value": v} for k, v in sorted(self.tags[arn].items())]}

    def tag_resource(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """TagResource: adds or overwrites tags of an existing job, custom model or throughput."""
        with self._lock:
            arn = str(body.get("resourceARN") or "")
            if arn not in self.tags:
                raise BedrockError("ResourceNotFoundException", f"Could not find resource {arn}")
            self.tags[arn].update(_tag_map(body.get("tags")))
            return {}

    def list_custom_models(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            return {
                "modelSummaries": [
                    {
                        "modelArn": model.arn,
                        "modelName": model.name,
                        "creationTime": model.created,
                        "baseModelArn": self._foundation_arn(model.base_model_id),
                        "baseModelName": model.base_model_id,
                        "customizationType": "FINE_TUNING",
                        "modelStatus": "Active",
                    }
                    for model in self.custom_models.values()
                    if not query.get("nameContains") or query["nameContains"] in model.name
                ]
            }

    def delete_custom_model(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            model = self.custom_models.get(identifier) or next(
                (m for m in self.custom_models.values() if m.name == identifier), None
            )
            if model is None:
                raise BedrockError("ResourceNotFoundException", f"Could not find model {identifier}")
            if any(t.model_arn == model.arn for t in self.throughputs.values()):
                raise BedrockError("ConflictException", f"Model {model.name} is in use by a provisioned throughput")
            del self.custom_models[model.arn]
            self.deleted_custom_models.append(model.arn)
            return {}

    # -- routing ---------------------------------------------------------------------------------

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
            ("bedrock-runtime", "Converse", lambda model_id: self.converse(model_id, body)),
        ]

    def _injected(self, operation: str) -> InjectedError | None:
        with self._lock:
            for error in self.script.errors:
                if error.operation == operation and (error.times is None or error.times > 0):
                    if error.times is not None:
                        error.times -= 1
                    return error
        return None

    def handle(self, method: str, path: str, query: Mapping[str, str], body: Mapping[str, Any]) -> tuple[int, Any]:
        """Route one REST call; returns (HTTP status, JSON body)."""
        for service, operation, action in self._operations(body, query):
            route = service_model.route(service, operation)
            match = route.pattern.match(path) if route.method == method else None
            if match is None:
                continue
            try:
                injected = self._injected(operation)
                if injected is not None:
                    raise BedrockError(injected.code, injected.message, service)
                return route.status, action(*(unquote(value) for value in match.groups()))
            except BedrockError as error:
                return error.status, {"__type": error.code, "message": error.message}
        return 404, {"__type": "UnknownOperationException", "message": f"{method} {path} is not emulated"}


# --- corrupting the training file (Script.corrupt_training) -----------------------------------


def _first_record(lines: list[str]) -> tuple[int, dict[str, Any]]:
    for index, line in enumerate(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            return index, record
    raise ValueError("the training file has no JSON record to corrupt")


def _blank_answer(record: dict[str, Any]) -> dict[str, Any]:
    if "completion" in record:
        return {**record, "completion": ""}
    messages = [dict(m) for m in record.get("messages") or []]
    if messages:
        messages[-1]["content"] = [{"text": ""}]
    return {**record, "messages": messages}


def _chat_row(record: dict[str, Any]) -> dict[str, Any]:
    """The original system's rows: role/content strings, a format no Bedrock model takes."""
    return {"messages": [{"role": "user", "content": "Who won?"}, {"role": "assistant", "content": "Nobody."}]}


def _too_long(record: dict[str, Any]) -> dict[str, Any]:
    long_text = "word " * 200_000  # ≈ 250,000 tokens: over every model's per-record limit
    if "prompt" in record:
        return {**record, "prompt": long_text}
    messages = [dict(m) for m in record.get("messages") or []]
    if messages:
        messages[0]["content"] = [{"text": long_text}]
    return {**record, "messages": messages}


_RECORD_CORRUPTIONS = {"empty-answer": _blank_answer, "chat-row": _chat_row, "too-long": _too_long}
CORRUPTIONS = ("truncated", *_RECORD_CORRUPTIONS)  # what --fail-step BedrockData can do to the file


def corrupt(s3: Any, uri: str, kind: str) -> None:
    """Rewrite the training file at `uri` with one defect of `kind` (see CORRUPTIONS)."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; use one of {', '.join(CORRUPTIONS)}")
    match = _S3_URI.match(uri)
    if not match:
        return
    bucket, key = match.group(1), match.group(2)
    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8").split("\n")
    if kind == "truncated":  # an upload cut short: the last record ends mid-way
        last = max(i for i, line in enumerate(lines) if line.strip())
        lines[last] = lines[last][: len(lines[last]) // 2]
    else:
        index, record = _first_record(lines)
        lines[index] = json.dumps(_RECORD_CORRUPTIONS[kind](record), ensure_ascii=False)
    s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode("utf-8"))


def _check_member(operation: str, member: str, value: str) -> None:
    problem = service_model.name_problem("bedrock", operation, member, value)
    if problem:
        raise BedrockError("ValidationException", problem)


def _base_key(model_id: str) -> str:
    """The on-demand id of a base model: the fine-tuning id without its context suffix
    (meta.llama3-1-8b-instruct-v1:0:128k → meta.llama3-1-8b-instruct-v1:0)."""
    return re.sub(r":\d+k$", "", model_id)


class BedrockServer(LocalHTTPServer):
    """Serve a BedrockEmulator on 127.0.0.1 (for AWS_ENDPOINT_URL_BEDROCK)."""

    thread_name = "podium-bedrock"

    def __init__(self, emulator: BedrockEmulator, port: int = 0) -> None:
        self.emulator = emulator
        super().__init__(port)

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self.emulator

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    status = 400
                    response = {"__type": "ValidationException", "message": "body is not a JSON object"}
                else:
                    status, response = emulator.handle(method, url.path, query, body)
                data = json.dumps(response).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                if "/converse" in url.path:
                    self.send_header(SIMULATED_HEADER, ANSWER_NOTE)
                if status >= 300:
                    self.send_header("x-amzn-ErrorType", response["__type"])
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return _Handler
