"""The Promote step with in-memory adapters."""

from __future__ import annotations

import pytest

from podium.adapters.errors import BedrockThrottled
from podium.adapters.ports import TAG_PROMOTED, TAG_STACK, ActiveModel
from podium.config import RunSettings
from podium.workflow.promotion import promote
from tests.workflow.fakes import MemoryActiveModels, MemoryStore
from tests.workflow.runs import T0, promotable_run

PREVIOUS = ActiveModel("old-run", "arn:model/old", RunSettings().base_model, "oldhash", "arn:pt/old")


def test_promote_writes_the_active_model_and_retires_the_previous_throughput():
    event, tuner = promotable_run(previous=PREVIOUS)
    models, store = MemoryActiveModels(PREVIOUS), MemoryStore()
    outcome = promote(event, active_models=models, fine_tuner=tuner, store=store, name_prefix="podium", now=T0)
    assert models.model.model_arn == "arn:model/new" and models.model.run_id == event.run.run_id
    assert models.model.throughput_arn == event.throughput.arn
    assert models.model.dataset_hash == event.dataset.dataset_hash
    assert tuner.deleted == ["arn:pt/old"] and outcome.retired_throughput_arn == "arn:pt/old"

    # A retried Promote (its first response lost) still knows what it replaced.
    tuner.deleted.clear()
    again = promote(event, active_models=models, fine_tuner=tuner, store=store, name_prefix="podium", now=T0)
    assert again.retired_throughput_arn == "arn:pt/old" and tuner.deleted == ["arn:pt/old"]


def test_promote_says_when_the_previous_throughput_is_still_billed():
    event, tuner = promotable_run(previous=PREVIOUS)
    tuner.refuse_delete = "commitment term has not ended"
    outcome = promote(
        event, active_models=MemoryActiveModels(PREVIOUS), fine_tuner=tuner, store=MemoryStore(), name_prefix="podium"
    )
    assert outcome.retired_throughput_arn is None
    assert "Could NOT delete" in outcome.message and "still billed hourly" in outcome.message

    deployed = RunSettings.model_validate({"throughput": {"retire_previous": False}})
    kept, tuner = promotable_run({"throughput": {"enabled": True}}, previous=PREVIOUS, defaults=deployed)
    outcome = promote(
        kept, active_models=MemoryActiveModels(PREVIOUS), fine_tuner=tuner, store=MemoryStore(), name_prefix="podium"
    )
    assert tuner.deleted == [] and "retire_previous is false" in outcome.message


def test_promote_never_retires_a_throughput_this_stack_did_not_tag():
    event, tuner = promotable_run(previous=PREVIOUS)
    tuner.resource_tags[PREVIOUS.throughput_arn] = {TAG_STACK: "someone-else"}
    outcome = promote(
        event, active_models=MemoryActiveModels(PREVIOUS), fine_tuner=tuner, store=MemoryStore(), name_prefix="podium"
    )
    assert tuner.deleted == [] and outcome.retired_throughput_arn is None
    assert "left alone: it is not tagged podium:stack=podium (found someone-else)" in outcome.message


def test_promote_succeeds_when_retiring_the_previous_throughput_fails_after_the_switch():
    event, tuner = promotable_run(previous=PREVIOUS)
    models = MemoryActiveModels(PREVIOUS)

    def throttled(arn):
        raise BedrockThrottled(f"delete {arn}", "ThrottlingException", "Rate exceeded")

    tuner.delete_throughput = throttled
    outcome = promote(event, active_models=models, fine_tuner=tuner, store=MemoryStore(), name_prefix="podium")
    assert outcome.status == "promoted" and models.model.model_arn == "arn:model/new"
    assert "Could NOT delete" in outcome.message and "Rate exceeded" in outcome.message


def test_promote_tags_the_model_and_its_throughput_promoted_before_it_switches_the_record():
    from podium.workflow.errors import NotPromotable

    event, tuner = promotable_run()
    active = MemoryActiveModels()
    promote(event, active_models=active, fine_tuner=tuner, store=MemoryStore(), name_prefix="podium")
    for arn in (event.finetune.output_model_arn, event.throughput.arn):
        assert tuner.resource_tags[arn][TAG_PROMOTED] == event.run.run_id
        assert tuner.resource_tags[arn][TAG_STACK] == "podium"
    refused, tuner = promotable_run()
    tuner.refuse_tag = "not allowed"
    untouched = MemoryActiveModels()
    with pytest.raises(NotPromotable, match=r"could not tag .* podium:promoted .*so it was not promoted"):
        promote(refused, active_models=untouched, fine_tuner=tuner, store=MemoryStore(), name_prefix="podium")
    assert untouched.model is None and untouched.puts == 0
