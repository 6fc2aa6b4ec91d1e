"""The Bedrock emulator behind a local endpoint, with moto's S3 for the files it reads,
called through boto3 exactly as the workflow calls it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from podium.rehearsal.bedrock_emulator.emulator import BedrockEmulator
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.bedrock_emulator.server import BedrockServer

REGION = "us-west-2"
BUCKET = "emulator-bucket"
ROLE = "arn:aws:iam::123456789012:role/podium-bedrock"
LLAMA = "meta.llama3-1-8b-instruct-v1:0:128k"


@dataclass
class Bedrock:
    emulator: BedrockEmulator
    client: Any  # boto3 "bedrock"
    runtime: Any  # boto3 "bedrock-runtime"
    s3: Any

    def put(self, key: str, rows: list[dict] | str) -> str:
        body = rows if isinstance(rows, str) else "".join(json.dumps(r) + "\n" for r in rows)
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode("utf-8"))
        return f"s3://{BUCKET}/{key}"

    def job_request(self, rows: list[dict] | str | None = None, **overrides: Any) -> dict[str, Any]:
        rows = rows or [{"prompt": f"Who won event {i}?", "completion": f"Athlete {i} won it."} for i in range(100)]
        request = {
            "jobName": "podium-ft-run-1",
            "customModelName": "podium-model-run-1",
            "roleArn": ROLE,
            "clientRequestToken": "fine-tune-abc123",
            "baseModelIdentifier": LLAMA,
            "trainingDataConfig": {"s3Uri": self.put("runs/run-1/train.jsonl", rows)},
            "outputDataConfig": {"s3Uri": f"s3://{BUCKET}/runs/run-1/output/"},
            "hyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.0001"},
        }
        request.update(overrides)
        return request

    def status(self, arn: str) -> dict[str, Any]:
        return self.client.get_model_customization_job(jobIdentifier=arn)

    def finish(self, arn: str) -> dict[str, Any]:
        """Read the job's status until it leaves InProgress/Stopping."""
        for _ in range(20):
            job = self.status(arn)
            if job["status"] not in ("InProgress", "Stopping"):
                return job
        raise AssertionError(f"job {arn} never ended")


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bedrock() -> Iterator[Bedrock]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        emulator = BedrockEmulator(s3=s3, region=REGION, script=Script(job_ticks=1, throughput_ticks=1))
        with BedrockServer(emulator) as server:
            yield Bedrock(
                emulator,
                boto3.client("bedrock", endpoint_url=server.url, region_name=REGION),
                boto3.client("bedrock-runtime", endpoint_url=server.url, region_name=REGION),
                s3,
            )
