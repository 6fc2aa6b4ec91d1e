"""The one Step Functions call the workflow makes: which executions are running."""

from __future__ import annotations

from typing import Any


def running_executions(state_machine_arn: str, client: Any | None = None) -> list[str]:
    """ARNs of the state machine's executions whose status is RUNNING."""
    if client is None:
        import boto3

        client = boto3.client("stepfunctions")
    arns: list[str] = []
    paginator = client.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter="RUNNING"):
        arns.extend(execution["executionArn"] for execution in page["executions"])
    return arns
