"""The Step Functions calls the workflow makes: which executions are running, one execution's
status and history, and starting a named execution."""

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


def execution_history(execution_arn: str, client: Any | None = None) -> list[dict[str, Any]]:
    """Every event of the execution's history, oldest first (with each state's input and output)."""
    if client is None:
        import boto3

        client = boto3.client("stepfunctions")
    events: list[dict[str, Any]] = []
    for page in client.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def start_named_execution(state_machine_arn: str, name: str, client: Any | None = None) -> str | None:
    """Start the state machine with input {} under `name`; None when that name is taken
    (Step Functions starts a name once: the run it names exists or existed)."""
    if client is None:
        import boto3

        client = boto3.client("stepfunctions")
    try:
        return str(client.start_execution(stateMachineArn=state_machine_arn, name=name, input="{}")["executionArn"])
    except client.exceptions.ExecutionAlreadyExists:
        return None


def execution_status(execution_arn: str, client: Any | None = None) -> str | None:
    """The execution's status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, ...); None when
    Step Functions does not know it (never existed, or ended more than 90 days ago). Raises on
    anything else (throttling, access): the caller cannot tell."""
    if client is None:
        import boto3

        client = boto3.client("stepfunctions")
    try:
        return str(client.describe_execution(executionArn=execution_arn)["status"])
    except client.exceptions.ExecutionDoesNotExist:
        return None
