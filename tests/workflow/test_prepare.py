"""The Prepare step with in-memory adapters: input checks, spending checks, and skipping while
another run goes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from podium.adapters.stepfunctions import RunningExecution
from podium.config import RunSettings
from podium.errors import ConfigError
from podium.workflow.errors import InvalidInput, NoSourceData, OverBudget
from podium.workflow.prepare import prepare
from podium.workflow.run_names import run_id_for
from tests.workflow.fakes import MemoryStore
from tests.workflow.runs import REGION, SM, T0, execution_arn, prepare_event, prepared_run


def test_prepare_merges_input_over_defaults_and_derives_the_run():
    run = prepared_run({"dry_run": True, "poll": {"min_seconds": 5}}, defaults=RunSettings(budget_usd=7))
    name = "0b5a5e8c-1f0e-4a57-9c39-2f9a6a1f1c11"
    assert run.run_id == run_id_for(name, execution_arn(name), "2026-01-01T00:00:00Z")
    assert run.run_id.startswith("0b5a5e8c-1f0e-4a57-9c39-") and run.skip_reason == ""
    assert run.run_prefix == f"runs/{run.run_id}/"
    assert run.settings.dry_run is True
    assert run.settings.poll.min_seconds == 5 and run.settings.poll.max_seconds == 600
    assert run.settings.budget_usd == 7
    assert run.state_machine_arn == SM


@pytest.mark.parametrize("bad", [[1, 2], "dry_run", 3, None])
def test_prepare_refuses_input_that_is_not_an_object(bad):
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        prepared_run(bad)


def test_prepare_names_an_unknown_key():
    with pytest.raises(InvalidInput, match=r"^dry_runn: is not a known setting"):
        prepared_run({"dry_runn": True})


def test_prepare_names_a_nested_wrong_type():
    with pytest.raises(InvalidInput, match=r"throughput\.model_units"):
        prepared_run({"throughput": {"model_units": "many"}})


def test_prepare_names_an_out_of_range_hyperparameter():
    with pytest.raises(InvalidInput, match=r"hyperparameters: .*epochCount=20.*1–10"):
        prepared_run({"hyperparameters": {"epochCount": 20}})


def _running(name, started_at):
    return RunningExecution(f"{SM.replace('stateMachine', 'execution')}:{name}", started_at)


def test_prepare_skips_while_an_earlier_execution_runs_and_checks_nothing_else():
    run = prepared_run({}, running=[_running("earlier", T0 - timedelta(minutes=5))], store=MemoryStore())
    assert run.skip_reason.startswith("Skipped: execution ") and "earlier of this state machine" in run.skip_reason
    assert "Nothing was started" in run.skip_reason


def test_of_executions_started_together_only_the_earliest_goes_ahead():
    # Several files dropped under incoming/ start several executions within a second.
    later = _running("later", T0 + timedelta(seconds=1))
    assert prepared_run({}, running=[later]).skip_reason == ""  # the earliest proceeds...
    same_time = _running("0000-same-start", T0)  # ...and a tie goes to the smaller ARN
    assert "0000-same-start" in prepared_run({}, running=[same_time, later]).skip_reason


def test_prepare_does_not_count_its_own_execution_as_another():
    event = prepare_event({})
    run = prepare(
        event,
        defaults=RunSettings(),
        region=REGION,
        list_running=lambda arn: [RunningExecution(event.execution.id, T0)],
        store=MemoryStore({"data/a.csv": ""}),
        read_databricks_secret=lambda name: None,
    )
    assert run.execution_arn == event.execution.id


def test_prepare_refuses_an_empty_data_prefix_for_the_builtin_generator():
    with pytest.raises(NoSourceData, match=r"data_prefix: found nothing under s3://bucket/data/"):
        prepared_run({}, store=MemoryStore())
    with pytest.raises(NoSourceData, match=r"found only data/readme.txt .*aws s3 cp data/sample"):
        prepared_run({}, store=MemoryStore({"data/readme.txt": "x"}))


def test_prepare_checks_the_databricks_secret_before_anything_is_spent():
    databricks = {
        "generator": "databricks",
        "databricks": {"secret_name": "s", "job_id": 1, "warehouse_id": "w"},
    }
    problem = ConfigError("databricks.secret_name", "secret 's' has no \"host\" key")
    with pytest.raises(InvalidInput, match=r"databricks\.secret_name: secret 's' has no \"host\""):
        prepared_run(databricks, secret=problem, store=MemoryStore())


def test_prepare_requires_databricks_settings_when_that_generator_is_chosen():
    with pytest.raises(InvalidInput, match=r"databricks\.secret_name: is required"):
        prepared_run({"generator": "databricks"})


def test_prepare_refuses_input_polls_that_could_overflow_the_execution_history():
    with pytest.raises(InvalidInput, match=r"^poll\.max_seconds: .*25,000 history events.*is \d+"):
        prepared_run({"poll": {"min_seconds": 1, "max_seconds": 1}})
    run = prepared_run({"poll": {"min_seconds": 1}})  # fast early polls are fine: the interval still grows to 600 s
    assert run.settings.poll.min_seconds == 1


# ---- one budget for everything billable ------------------------------------------------------------


DONE_MEANS_INPUT = {"throughput": {"enabled": True, "model_units": 100, "commitment": "SixMonths"}, "budget_usd": 5}


def test_prepare_refuses_a_commitment_and_many_units_from_the_input_naming_budget_and_estimate():
    with pytest.raises(InvalidInput) as caught:
        prepared_run(DONE_MEANS_INPUT)
    message = str(caught.value)
    assert "throughput.commitment: a SixMonths commitment cannot come from the execution input" in message
    assert "throughput.model_units: 100 is above the 2 an execution may ask for" in message
    assert "budget_usd $5.00 does not cover the provisioned throughput alone: ESTIMATE $" in message
    assert "100 model unit(s)" in message and "4,380 h, the whole SixMonths commitment" in message
    assert message.endswith("Nothing was started.")


def test_prepare_refuses_a_throughput_the_budget_cannot_pay_for_its_whole_ttl():
    with pytest.raises(OverBudget, match=r"budget_usd \$5.00 does not cover .* × 4 h, throughput.ttl_hours"):
        prepared_run({"throughput": {"enabled": True}, "budget_usd": 5})
    assert prepared_run({"throughput": {"enabled": True, "ttl_hours": 0.1}, "budget_usd": 5}).skip_reason == ""


def test_the_input_cannot_lower_a_price_to_slip_past_the_budget():
    cheap = {"throughput": {"enabled": True}, "budget_usd": 5, "prices": {"throughput_per_unit_hour": 0.01}}
    with pytest.raises(InvalidInput, match=r"prices.throughput_per_unit_hour: 0.01 is below the deployed price"):
        prepared_run(cheap)
    # Raising a price is allowed: the budget check then only gets stricter.
    dearer = {"prices": {"training_per_1k_tokens": 1000.0}}
    assert prepared_run(dearer).settings.prices.training_per_1k_tokens == 1000.0


def test_deployed_commitment_and_units_are_not_refused_when_the_input_only_repeats_them():
    defaults = RunSettings.model_validate(
        {"throughput": {"enabled": True, "model_units": 3, "commitment": "OneMonth"}, "budget_usd": 10**6}
    )
    run = prepared_run({"throughput": {"model_units": 3, "commitment": "OneMonth"}}, defaults=defaults)
    assert run.settings.throughput.commitment == "OneMonth" and run.settings.throughput.model_units == 3


def test_prepare_skips_when_another_execution_holds_the_run_lock():
    # ListExecutions is eventually consistent: the lock catches what it has not seen yet.
    other = "arn:aws:states:us-west-2:123456789012:execution:podium-finetune:other"
    claims: list[str] = []

    def claim(arn):
        claims.append(arn)
        return other

    run = prepared_run({}, store=MemoryStore(), claim_run=claim)
    assert run.skip_reason.startswith(f"Skipped: execution {other} of this state machine holds the run lock")
    assert claims == [run.execution_arn]
    assert prepared_run({}, claim_run=lambda arn: None).skip_reason == ""
