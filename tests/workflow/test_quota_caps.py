"""Prepare reads the base model's customization quotas; BuildDataset plans within them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from podium.config import RunSettings
from podium.models import RowCaps
from podium.workflow.build_dataset import build_dataset
from podium.workflow.errors import InvalidInput
from podium.workflow.events import BuildDatasetEvent, PrepareEvent, StartGenerationEvent
from podium.workflow.generation import start_generation
from podium.workflow.prepare import prepare
from tests.workflow.fakes import ListGenerator, MemoryActiveModels, MemoryStore, sample_pairs

REGION = "us-west-2"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
NAME = "0b5a5e8c-1f0e-4a57-9c39-2f9a6a1f1c11"


def _prepare(execution_input, read_caps=None):
    event = PrepareEvent.model_validate(
        {
            "input": execution_input,
            "execution": {
                "name": NAME,
                "id": f"arn:aws:states:us-west-2:123456789012:execution:podium-finetune:{NAME}",
                "state_machine_id": "arn:aws:states:us-west-2:123456789012:stateMachine:podium-finetune",
                "start_time": T0.isoformat(),
            },
        }
    )
    return prepare(
        event,
        defaults=RunSettings(),
        region=REGION,
        list_running=lambda arn: [],
        store=MemoryStore({"data/medals.csv": "x"}),
        read_databricks_secret=lambda name: object(),
        now=T0,
        read_caps=read_caps,
    )


def _account_caps(total: int, epochs: int = 10) -> RowCaps:
    return RowCaps(train=10_000, validation=1_000, total=total, epochs=epochs, source="service-quotas", note="L-1")


def test_prepare_carries_the_accounts_caps_in_the_run_through_the_payload():
    seen = []
    run = _prepare({}, read_caps=lambda model: seen.append(model.model_id) or _account_caps(40))
    assert seen == ["meta.llama3-1-8b-instruct-v1:0:128k"]
    again = type(run).model_validate(json.loads(json.dumps(run.to_payload())))  # as Step Functions passes it on
    assert again.caps == _account_caps(40)


def test_without_a_reader_prepare_uses_the_documented_caps():
    run = _prepare({})
    assert run.caps.source == "documented" and run.caps.total == 10_000


def test_an_epoch_count_over_the_accounts_quota_is_refused_before_anything_is_spent():
    with pytest.raises(InvalidInput, match=r"^hyperparameters: epochCount=5 is over this account's quota of 3"):
        _prepare({}, read_caps=lambda model: _account_caps(10_000, epochs=3))  # Llama's default epochCount is 5
    _prepare({"hyperparameters": {"epochCount": 3}}, read_caps=lambda model: _account_caps(10_000, epochs=3))


def test_build_dataset_plans_within_the_caps_prepare_read_and_reports_them():
    # Synthetic pairs have no texts for the `deep` recipe: `qa` plans them; above Llama's minimum of 100 records.
    run = _prepare({"recipe": "qa"}, read_caps=lambda model: _account_caps(110))
    generator = ListGenerator(sample_pairs())
    progress = start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    store = MemoryStore()
    outcome = build_dataset(
        BuildDatasetEvent(run=run, generation=progress),
        generator=generator,
        store=store,
        active_models=MemoryActiveModels(None),
        region=REGION,
    )
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert outcome.valid
    assert report["counts"]["train_rows"] + report["counts"]["validation_rows"] == 110
    assert report["quotas"]["source"] == "service-quotas"
