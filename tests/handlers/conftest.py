"""Handlers called directly, as Lambda would call them, against moto (S3, SSM, SNS,
Secrets Manager, Step Functions) and the Bedrock emulator on 127.0.0.1.

The rehearsal harness provides that local cloud with execute_state_machine off: an
execution started here stays RUNNING, which is what the concurrency test needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from podium.rehearsal.harness import Rehearsal, RehearsalOptions
from podium.rehearsal.lambda_server import LocalContext, load_handler
from podium.workflow.steps import STEPS_BY_NAME
from tests.conftest import OPEN_GATE

DATABRICKS_HOST = "https://dbc-handlers.cloud.databricks.com"
DATABRICKS_TOKEN = "dapi7f3c9a0e5b1d4f8a2c6e0b9d3f7a1c5e"  # random, as real tokens are: no piece of it in the host
GOOD_SECRET = "podium/databricks"
HOSTLESS_SECRET = "podium/databricks-no-host"


@pytest.fixture(scope="module")
def cloud(sample_dir: Path) -> Iterator[Rehearsal]:
    options = RehearsalOptions(
        data_dir=sample_dir,
        execute_state_machine=False,
        defaults={"gate": OPEN_GATE},
        secrets={
            GOOD_SECRET: json.dumps({"host": DATABRICKS_HOST, "token": DATABRICKS_TOKEN}),
            HOSTLESS_SECRET: json.dumps({"token": DATABRICKS_TOKEN}),
        },
    )
    with Rehearsal(options) as rehearsal:
        yield rehearsal


def invoke(step: str, event: Any) -> dict[str, Any]:
    """Call the step's handler the way the Lambda runtime does."""
    spec = STEPS_BY_NAME[step]
    result = load_handler(spec)(event, LocalContext.for_step(spec))
    assert isinstance(result, dict)
    json.dumps(result)  # what Lambda returns must be JSON
    return result


def prepare_event(cloud: Rehearsal, execution_input: Any, name: str) -> dict[str, Any]:
    return {
        "input": execution_input,
        "execution": {
            "name": name,
            "id": cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}",
            "state_machine_id": cloud.state_machine_arn,
            # As $$.Execution.StartTime would be for an execution started now.
            "start_time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        },
    }
