"""`podium rehearse` without --input runs with the settings `cdk deploy` deploys from cdk.json."""

from __future__ import annotations

import json

from podium.cli.options import deployed_settings
from stacks.application import CDK_JSON
from stacks.functions import state_machine_name
from tests.infra.conftest import Synthesized


def _deployed_defaults(synthesized: Synthesized) -> list[dict]:
    functions = synthesized.of_type("AWS::Lambda::Function").values()
    return [json.loads(f["Properties"]["Environment"]["Variables"]["PODIUM_DEFAULTS"]) for f in functions]


def test_the_rehearsal_reads_the_run_defaults_every_deployed_function_gets(synthesized: Synthesized) -> None:
    rehearsed = deployed_settings(CDK_JSON)
    deployed = _deployed_defaults(synthesized)
    assert deployed and all(d == rehearsed.defaults.model_dump(mode="json") for d in deployed)
    # what cdk.json says, not the model's built-in defaults
    assert rehearsed.defaults.throughput.enabled is False
    assert rehearsed.defaults.hyperparameters["epochCount"] == 2
    assert rehearsed.defaults.poll.min_seconds == 60


def test_the_rehearsal_uses_the_deployed_region_and_names(synthesized: Synthesized) -> None:
    rehearsed = deployed_settings(CDK_JSON)
    assert synthesized.stack.region == rehearsed.region
    assert state_machine_name(synthesized.stack.settings) == f"{rehearsed.name_prefix}-finetune"
