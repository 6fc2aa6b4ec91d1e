from __future__ import annotations

import pytest

from podium.config import PriceOverrides
from podium.dataset.estimate import OVERRIDE_SOURCE, estimate_cost
from podium.models import get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")


def test_training_cost_is_tokens_times_epochs_times_the_models_price():
    estimate = estimate_cost(LLAMA31, train_tokens=300_000, validation_tokens=20_000, epochs=5)
    assert estimate.tokens_billed == 1_600_000
    assert estimate.training_usd == pytest.approx(1_600 * LLAMA31.prices.training_per_1k_tokens)
    assert estimate.storage_usd_per_month == LLAMA31.prices.storage_per_month
    assert estimate.run_usd == pytest.approx(estimate.training_usd + estimate.storage_usd_per_month)


def test_every_line_is_labelled_as_an_estimate_with_its_price_source():
    estimate = estimate_cost(LLAMA31, train_tokens=1_000, epochs=1)
    lines = estimate.lines()
    assert len(lines) == 3
    assert all(line.startswith("ESTIMATE") for line in lines)
    assert all(LLAMA31.prices.source in line for line in lines)
    assert "not enabled" in lines[2]
    assert estimate.to_dict()["label"].startswith("ESTIMATE")


def test_price_overrides_replace_the_registry_price_and_say_so():
    overrides = PriceOverrides(training_per_1k_tokens=0.01, throughput_per_unit_hour=30.0)
    estimate = estimate_cost(
        LLAMA31, train_tokens=10_000, epochs=2, prices=overrides, throughput_enabled=True, model_units=2
    )
    assert estimate.training_usd == pytest.approx(20 * 0.01)
    assert estimate.throughput_usd_per_hour == pytest.approx(60.0)
    assert estimate.sources == {
        "training": OVERRIDE_SOURCE,
        "storage": LLAMA31.prices.source,
        "throughput": OVERRIDE_SOURCE,
        "on_demand": LLAMA31.prices.source,
    }
    assert "(enabled)" in estimate.lines()[2] and "2 model unit(s)" in estimate.lines()[2]


def test_an_evaluation_only_throughput_joins_the_run_estimate_as_its_own_line():
    from podium.dataset.estimate import estimate_cost, evaluation_line
    from podium.models import get_model

    model = get_model("meta.llama3-1-8b-instruct-v1:0:128k")
    plain = estimate_cost(model, train_tokens=100_000, epochs=2, model_units=2)
    evaluated = plain.with_line(evaluation_line(plain, 1.5))
    line = evaluation_line(plain, 1.5)
    assert line.usd == plain.throughput_usd_per_hour * 1.5 > 0
    assert evaluated.run_usd == plain.run_usd + line.usd
    assert not any("ESTIMATE evaluation" in text for text in plain.lines())
    (text,) = [text for text in evaluated.lines() if text.startswith("ESTIMATE evaluation")]
    assert f"${line.usd:,.2f}" in text and "deleted once scored" in text and "2 model unit(s)" in text


NOVA_LITE = get_model("amazon.nova-lite-v1:0:300k")


def test_an_on_demand_estimate_has_no_hourly_line_and_prices_the_evaluation_per_token():
    from podium.dataset.estimate import on_demand_evaluation_line

    plain = estimate_cost(NOVA_LITE, train_tokens=100_000, epochs=2, throughput_enabled=True, deployment="on_demand")
    assert not plain.throughput_enabled and plain.throughput_usd_per_hour is None and plain.throughput_usd == 0
    line = on_demand_evaluation_line(plain, questions=500, input_tokens=10_000, answer_tokens=200)
    # both models asked: 2 × 10,000 input tokens and at most 2 × 500 × 200 output tokens
    expected = (
        20 * NOVA_LITE.prices.on_demand_input_per_1k_tokens + 200 * NOVA_LITE.prices.on_demand_output_per_1k_tokens
    )
    assert line.usd == pytest.approx(expected)
    evaluated = plain.with_line(line)
    assert evaluated.run_usd == pytest.approx(plain.training_usd + plain.storage_usd_per_month + expected)
    lines = evaluated.lines()
    assert not any("hour" in text for text in lines), lines
    assert all(text.startswith("ESTIMATE") for text in lines)
    assert "$0.00006 per 1,000 input and $0.00024 per 1,000 output tokens" in lines[2]


def test_on_demand_prices_are_overridden_like_the_others_and_an_unknown_one_blocks_the_budget():
    overrides = PriceOverrides(on_demand_input_per_1k_tokens=0.001)
    estimate = estimate_cost(NOVA_LITE, train_tokens=1_000, epochs=1, prices=overrides, deployment="on_demand")
    assert estimate.on_demand_input_per_1k_tokens == 0.001 and estimate.sources["on_demand"] == OVERRIDE_SOURCE
    assert estimate.on_demand_output_per_1k_tokens == NOVA_LITE.prices.on_demand_output_per_1k_tokens
    unknown = estimate_cost(LLAMA31, train_tokens=1_000, epochs=1, deployment="on_demand")  # no on-demand price
    assert unknown.price_unknown and "price unknown" in unknown.lines()[2]
    assert not estimate_cost(LLAMA31, train_tokens=1_000, epochs=1).price_unknown
