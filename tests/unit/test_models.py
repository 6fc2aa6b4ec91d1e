from __future__ import annotations

import pytest

from podium.errors import ConfigError, UnsupportedModelError
from podium.models import MODELS, DataFormat, Deployment, get_model

LLAMA31_8B = "meta.llama3-1-8b-instruct-v1:0:128k"


def test_llama31_8b_facts_match_the_reference():
    model = get_model(LLAMA31_8B, "us-west-2")
    assert model.data_format is DataFormat.PROMPT_COMPLETION
    assert (model.max_train_rows, model.max_validation_rows) == (10_000, 1_000)
    assert model.invocation_id == "meta.llama3-1-8b-instruct-v1:0"
    assert model.needs_provisioned_throughput
    assert model.default_hyperparameters() == {"epochCount": "5", "batchSize": "1", "learningRate": "0.0001"}


def test_llama3_8b_is_refused_with_the_replacement_named():
    with pytest.raises(UnsupportedModelError) as error:
        get_model("meta.llama3-8b-instruct-v1:0")
    assert "cannot be fine-tuned" in str(error.value)
    assert LLAMA31_8B in str(error.value)


def test_on_demand_id_points_at_the_fine_tuning_id():
    with pytest.raises(UnsupportedModelError, match=r"fine-tuning uses meta\.llama3-1-8b-instruct-v1:0:128k"):
        get_model("meta.llama3-1-8b-instruct-v1:0")


def test_unknown_model_lists_every_supported_model():
    with pytest.raises(UnsupportedModelError) as error:
        get_model("acme.tiny-v1")
    for model_id in MODELS:
        assert model_id in str(error.value)


def test_llama31_in_us_east_1_is_refused_naming_the_region():
    with pytest.raises(UnsupportedModelError) as error:
        get_model(LLAMA31_8B, "us-east-1")
    assert error.value.setting == "region"
    assert "us-west-2" in str(error.value) and "amazon.nova-micro-v1:0:128k" in str(error.value)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"batchSize": 2}, "batchSize=2 is outside the allowed range 1–1"),
        ({"lrScheduler": "linear"}, "lrScheduler is not a hyperparameter"),
        ({"epochCount": 11}, "epochCount=11 is outside"),
        ({"epochCount": "2.5"}, "epochCount must be a whole number"),
        ({"learningRate": 1e-7}, "learningRate=1e-07 is outside"),
        ({"learningRate": "fast"}, "learningRate must be a number"),
        ({"epochCount": True}, "epochCount must be a number"),
    ],
)
def test_llama31_hyperparameter_problems(values, fragment):
    problems = get_model(LLAMA31_8B).hyperparameter_problems(values)
    assert any(fragment in p for p in problems), problems


def test_the_original_systems_hyperparameters_give_every_problem_at_once():
    original = {"epochCount": "2", "batchSize": "2", "learningRate": "2e-5", "lrScheduler": "linear"}
    problems = get_model(LLAMA31_8B).hyperparameter_problems(original)
    assert len(problems) == 2  # batchSize and lrScheduler; epochCount and learningRate are fine
    with pytest.raises(ConfigError, match="hyperparameters"):
        get_model(LLAMA31_8B).resolve_hyperparameters(original)


def test_resolve_overlays_defaults_as_strings():
    resolved = get_model(LLAMA31_8B).resolve_hyperparameters({"epochCount": 2, "learningRate": "2e-5"})
    assert resolved == {"epochCount": "2", "batchSize": "1", "learningRate": "2e-05"}


def test_every_model_is_internally_consistent():
    for model in MODELS.values():
        assert model.regions and model.invocation_id and not model.invocation_id.endswith("k")
        assert model.max_validation_rows <= model.max_train_rows
        for hp in model.hyperparameters:
            assert hp.minimum <= hp.default <= hp.maximum, (model.model_id, hp.name)
        assert model.deployments
        if Deployment.ON_DEMAND not in model.deployments:
            assert model.needs_provisioned_throughput
        assert "unconfirmed" in model.prices.source


def test_every_model_says_where_its_limits_come_from():
    for model in MODELS.values():
        assert ".html" in model.limits_source or "validator" in model.limits_source, model.model_id


def test_nova_2_lite_is_fine_tunable_in_us_east_1_with_nova_rules():
    model = get_model("amazon.nova-2-lite-v1:0:256k", "us-east-1")
    assert model.data_format is DataFormat.CONVERSATION
    assert model.min_train_rows == 200 and model.max_train_rows == 20_000
    assert "[EOS]" in model.reserved_words and not model.confirmed
    with pytest.raises(UnsupportedModelError):
        get_model("amazon.nova-2-lite-v1:0:256k", "us-west-2")


def test_only_nova_models_reserve_words():
    assert {m.model_id for m in MODELS.values() if m.reserved_words} == {
        m.model_id for m in MODELS.values() if m.provider == "Amazon"
    }


def test_llama_3x_needs_100_training_and_validation_records_as_aws_documents():
    for model in MODELS.values():
        if model.provider == "Meta":
            assert model.min_total_rows == 100, model.model_id
            assert "model-customization-prepare.html" in model.limits_source
        else:
            assert model.min_total_rows == 0, model.model_id


def test_claude_3_haiku_takes_its_own_documented_format_and_hyperparameters():
    model = get_model("anthropic.claude-3-haiku-20240307-v1:0:200k", "us-west-2")
    assert model.data_format is DataFormat.ANTHROPIC_MESSAGES and model.data_format.has_system_prompt
    assert model.confirmed and all(hp.confirmed for hp in model.hyperparameters)
    assert (model.min_train_rows, model.max_train_rows, model.max_validation_rows) == (32, 10_000, 1_000)
    assert "cm-hp-anth-claude-3.html" in model.limits_source
    assert model.default_hyperparameters()["batchSize"] == "32"


def test_only_nova_micro_lite_and_pro_deploy_on_demand_where_aws_names_it():
    # deploy-custom-model-on-demand.html: Nova Micro, Lite and Pro, us-east-1 and us-west-2 (Nova trains in us-east-1)
    on_demand = {m.model_id: m.on_demand_regions for m in MODELS.values() if m.on_demand_regions}
    assert on_demand == {
        "amazon.nova-micro-v1:0:128k": ("us-east-1",),
        "amazon.nova-lite-v1:0:300k": ("us-east-1",),
        "amazon.nova-pro-v1:0:300k": ("us-east-1",),
    }
    for model_id in on_demand:
        prices = MODELS[model_id].prices
        assert prices.on_demand_input_per_1k_tokens and prices.on_demand_output_per_1k_tokens
    problem = get_model("meta.llama3-3-70b-instruct-v1:0:128k").on_demand_problem("us-west-2")
    assert problem is not None and "amazon.nova-pro-v1:0:300k" in problem and "2025-07-16" in problem
    assert get_model("amazon.nova-lite-v1:0:300k").on_demand_problem("us-east-1") is None
    assert "us-east-1 only, not us-west-2" in (get_model("amazon.nova-lite-v1:0:300k").on_demand_problem("us-west-2"))
