"""Model customization jobs: CreateModelCustomizationJob's checks, the job's lifecycle
(validation phase, training, Stopping/Stopped), and the metrics files a completed job writes."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from podium.rehearsal import bedrock_rules
from podium.rehearsal.bedrock_emulator.corruptions import corrupt
from podium.rehearsal.bedrock_emulator.errors import BedrockError, check_member, check_tags
from podium.rehearsal.bedrock_emulator.state import S3_URI, CustomModel, EmulatorState, Job, tag_map, utc_now

SIMULATED_NOTE = "SIMULATED by podium rehearsal: not a real training run"
POINTS_PER_EPOCH = 25  # rows of step_wise_training_metrics.csv written per epoch


class CustomizationJobs(EmulatorState):
    """Create, get, stop and list model customization jobs."""

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
                if token and existing.token == token and self.script.honour_client_tokens:
                    return {"jobArn": existing.arn}  # idempotent replay of the same request
                raise BedrockError("ConflictException", f"A job with the name {name} already exists.")
            if self.script.job_rejection is not None:
                raise BedrockError("ValidationException", self.script.job_rejection)
            for member in ("jobName", "customModelName", "roleArn", "clientRequestToken"):
                if body.get(member) is not None:
                    check_member("CreateModelCustomizationJob", member, str(body[member]))
            check_tags(body.get("jobTags"))
            check_tags(body.get("customModelTags"))
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
            if not S3_URI.match(output):
                raise BedrockError("ValidationException", f"outputDataConfig.s3Uri {output!r} is not an S3 URI")

            job_id = uuid.uuid4().hex[:12]
            arn = f"arn:aws:bedrock:{self.region}:{self.account}:model-customization-job/{base_id}/{job_id}"
            s3 = self._service_role_s3(str(body["roleArn"]), arn)
            job = self.jobs[arn] = Job(arn=arn, name=name, request=dict(body), token=token, created=utc_now(), s3=s3)
            if self.script.corrupt_training:
                corrupt(self.s3, str(body["trainingDataConfig"].get("s3Uri") or ""), self.script.corrupt_training)
            job.data_failure = self._validation_phase(body, base_id, s3)
            self.tags[arn] = tag_map(body.get("jobTags"))
            return {"jobArn": arn}

    def _service_role_s3(self, role_arn: str, job_arn: str) -> Any:
        """S3 as the service role the job runs with: Bedrock assumes it, as its trust policy allows
        for this account's customization jobs (model-customization-iam-role.html)."""
        if self.assume_role is None:
            return self.s3
        try:
            return self.assume_role(role_arn, {"aws:SourceAccount": self.account, "aws:SourceArn": job_arn})
        except PermissionError as error:
            raise BedrockError("ValidationException", f"Amazon Bedrock could not assume {role_arn}: {error}") from None

    def _validation_phase(self, body: Mapping[str, Any], base_id: str, s3: Any) -> str | None:
        """What the job's validation phase will say about its data (None: it passes), read with the
        job's role: it lists the data's location, then reads each file."""
        files = [("train", body["trainingDataConfig"].get("s3Uri"))]
        files += [
            ("validation", v.get("s3Uri")) for v in (body.get("validationDataConfig") or {}).get("validators") or []
        ]
        total = 0
        for split, uri in files:
            try:
                text = self._read(uri, s3)
            except BedrockError as error:
                return error.message
            records, problems = bedrock_rules.data_problems(text, base_id, split)
            if problems:
                return bedrock_rules.failure_message(str(uri), split, problems)
            total += records
        problem = bedrock_rules.total_problem(base_id, total, self.script.records_sum_quota)
        return f"Data validation failed: {problem}" if problem else None

    def _read(self, uri: Any, s3: Any) -> str:
        match = S3_URI.match(str(uri or ""))
        if not match or not match.group(2):
            raise BedrockError("ValidationException", f"{uri!r} is not an S3 object URI")
        try:
            s3.list_objects_v2(Bucket=match.group(1), Prefix=match.group(2), MaxKeys=1)
            return s3.get_object(Bucket=match.group(1), Key=match.group(2))["Body"].read().decode("utf-8")
        except UnicodeDecodeError:
            raise BedrockError("ValidationException", f"Data validation failed: {uri} is not UTF-8 text") from None
        except Exception as error:  # noqa: BLE001 - any S3 failure is the caller's data problem
            raise BedrockError(
                "ValidationException", f"Data validation failed: unable to read {uri} ({type(error).__name__}: {error})"
            ) from None

    def _job(self, identifier: str) -> Job:
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
                "lastModifiedTime": utc_now(),
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
                if self.script.losses_in_response:
                    response["trainingMetrics"] = {"trainingLoss": self.script.training_loss}
                    if request.get("validationDataConfig"):
                        response["validationMetrics"] = [{"validationLoss": self.script.validation_loss}]
            return response

    def _advance_job(self, job: Job) -> None:
        if job.status == "Stopping":
            job.ticks += 1
            if job.ticks > self.script.stop_ticks:
                job.status, job.end_time = "Stopped", utc_now()
            return
        if job.status != "InProgress":
            return
        job.ticks += 1
        if job.ticks < self.script.job_ticks:
            return
        job.end_time = utc_now()
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
        self.custom_models[job.output_model_arn] = CustomModel(
            arn=job.output_model_arn,
            name=job.request["customModelName"],
            job_arn=job.arn,
            job_name=job.name,
            base_model_id=base_id,
            created=utc_now(),
        )
        self.tags[job.output_model_arn] = tag_map(job.request.get("customModelTags"))
        self._write_metrics(job)
        self.learned(job)

    def _status_details(self, job: Job) -> dict[str, Any]:
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
        now = utc_now()
        return {
            name: {"status": status, "creationTime": job.created, "lastModifiedTime": now}
            for name, status in zip(
                ("validationDetails", "dataProcessingDetails", "trainingDetails"), phases, strict=True
            )
        }

    def _write_metrics(self, job: Job) -> None:
        """Bedrock's output metric files, every row marked as simulated: the training loss step by
        step (a step is one batch: records / batchSize per epoch; at most POINTS_PER_EPOCH rows an
        epoch are written), falling toward Script.training_loss; the validation loss once an epoch."""
        match = S3_URI.match(job.request["outputDataConfig"]["s3Uri"])
        assert match is not None
        bucket, prefix = match.group(1), match.group(2).rstrip("/")
        job_id = job.arn.rsplit("/", 1)[-1]
        base = f"{prefix}/model-customization-job-{job_id}" if prefix else f"model-customization-job-{job_id}"
        hyper = job.request.get("hyperParameters") or {}
        epochs = int(float(hyper.get("epochCount", "1")))
        try:
            records = sum(
                1
                for line in self._read(job.request["trainingDataConfig"]["s3Uri"], job.s3).splitlines()
                if line.strip()
            )
        except BedrockError:
            records = 1
        steps = max(1, -(-records // max(1, int(float(hyper.get("batchSize", "1"))))))  # per epoch
        total = steps * epochs
        stride = max(1, steps // POINTS_PER_EPOCH)

        def training_loss(step: int) -> float:
            # from twice the final loss down to it at the last step, with the wobble a real curve has
            progress = step / total
            falling = (math.exp(-4 * progress) - math.exp(-4)) / (1 - math.exp(-4))
            wobble = 0.04 * math.sin(step * 1.7) * (1 - progress)
            return self.script.training_loss * (1 + falling + wobble)

        header = "step_number,epoch_number,{},perplexity,note"
        training = [header.format("training_loss")]
        validation = [header.format("validation_loss")]
        for epoch in range(1, epochs + 1):
            written = list(range((epoch - 1) * steps + stride, epoch * steps, stride)) + [epoch * steps]
            for step in written:
                loss = training_loss(step)
                training.append(f"{step},{epoch},{loss:.4f},{math.exp(loss):.4f},{SIMULATED_NOTE}")
            loss = self.script.validation_loss * (1 + (epochs - epoch) * 0.5 / epochs)
            validation.append(f"{epoch * steps},{epoch},{loss:.4f},{math.exp(loss):.4f},{SIMULATED_NOTE}")
        files = {
            f"{base}/training_artifacts/step_wise_training_metrics.csv": training,
            f"{base}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv": validation,
        }
        for key, rows in files.items():
            job.s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(rows) + "\n").encode("utf-8"))
        job.s3.put_object(Bucket=bucket, Key=f"{base}/SIMULATED.txt", Body=SIMULATED_NOTE.encode("utf-8"))

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
