"""The one Step Functions call the workflow makes: which executions are running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RunningExecution:
    arn: str
    started_at: datetime


def running_executions(state_machine_arn: str, client: Any | None = None) -> list[RunningExecution]:
    """The state machine's executions whose status is RUNNING, with their start times."""
    if client is None:
        import boto3

        client = boto3.client("stepfunctions")
    running: list[RunningExecution] = []
    paginator = client.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter="RUNNING"):
        running.extend(RunningExecution(e["executionArn"], e["startDate"]) for e in page["executions"])
    return running
