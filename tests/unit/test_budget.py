"""The estimate the budget is compared with covers everything a run can make billable."""

from __future__ import annotations

import pytest

from podium.config import ThroughputSettings
from podium.dataset.estimate import HOURS_PER_MONTH, CostLine, estimate_cost, throughput_lifetime_hours
from podium.models import get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")


def test_a_throughput_counts_for_its_ttl_or_its_whole_commitment():
    assert throughput_lifetime_hours(ThroughputSettings(ttl_hours=3)) == 3
    assert throughput_lifetime_hours(ThroughputSettings(commitment="OneMonth")) == HOURS_PER_MONTH
    assert throughput_lifetime_hours(ThroughputSettings(commitment="SixMonths")) == 6 * HOURS_PER_MONTH


def test_run_usd_adds_the_throughput_for_its_lifetime_only_when_enabled():
    base = estimate_cost(LLAMA31, train_tokens=1_000, epochs=1)
    enabled = estimate_cost(
        LLAMA31, train_tokens=1_000, epochs=1, throughput_enabled=True, model_units=2, throughput_hours=5
    )
    per_hour = LLAMA31.prices.throughput_per_unit_hour * 2
    assert enabled.throughput_usd == pytest.approx(per_hour * 5)
    assert enabled.run_usd == pytest.approx(base.run_usd + per_hour * 5)
    assert "counted for its longest life, 5 h" in enabled.lines()[2]
    disabled = estimate_cost(LLAMA31, train_tokens=1_000, epochs=1, model_units=2, throughput_hours=5)
    assert disabled.run_usd == pytest.approx(base.run_usd)


def test_a_later_step_adds_one_more_line_to_the_same_budget():
    estimate = estimate_cost(LLAMA31, train_tokens=1_000, epochs=1)
    evaluation = CostLine("evaluation", 12.5, "ESTIMATE evaluation throughput: 1 unit × 0.5 h ≈ $12.50 [placeholder]")
    extended = estimate.with_line(evaluation)
    assert extended.run_usd == pytest.approx(estimate.run_usd + 12.5)
    assert extended.lines()[-1] == evaluation.text
    assert extended.to_dict()["extra"] == [{"name": "evaluation", "usd": 12.5, "text": evaluation.text}]
