"""StartOnUpload against moto's Step Functions: a burst of uploads makes one execution; an upload
after it ended starts the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from podium.rehearsal.harness import Rehearsal
from tests.handlers.conftest import invoke


def test_a_burst_of_uploads_starts_one_execution(cloud: Rehearsal):
    t0 = datetime(2026, 3, 1, 9, 0, 1, tzinfo=UTC)
    results = [
        invoke(
            "StartOnUpload",
            {
                "source": "aws.s3",
                "detail-type": "Object Created",
                "time": (t0 + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                "detail": {"bucket": {"name": cloud.bucket}, "object": {"key": f"incoming/{i}.csv"}},
            },
        )
        for i in range(5)
    ]
    assert len({r["execution_arn"] for r in results}) == 1
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=cloud.state_machine_arn)["executions"]
    assert [e["name"] for e in executions if e["name"].startswith("incoming-")] == ["incoming-20260301T0900Z"]
    client = boto3.client("stepfunctions")
    for execution in executions:
        if execution["status"] == "RUNNING":
            client.stop_execution(executionArn=execution["executionArn"])
    # After the run ended, the window's name is taken: new data then starts the window's next run.
    late = invoke("StartOnUpload", {"time": "2026-03-01T09:09:00Z", "detail": {"object": {"key": "incoming/z"}}})
    assert late["execution_name"] == "incoming-20260301T0900Z-2"
    described = client.describe_execution(executionArn=late["execution_arn"])
    assert described["status"] == "RUNNING"
    client.stop_execution(executionArn=late["execution_arn"])
