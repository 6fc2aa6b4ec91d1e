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


# ---- an execution's input can only tighten what the deployment allows ------------------------


@pytest.mark.parametrize(
    ("execution_input", "words"),
    [
        ({"budget_usd": 1e12}, "budget_usd: 1e+12 is above the deployed 150"),
        ({"gate": {"min_paraphrase_accuracy": 0}}, "gate.min_paraphrase_accuracy: 0 is below the deployed 0.5"),
        ({"gate": {"min_gain_over_base": -1}}, "gate.min_gain_over_base: -1 is below the deployed 0.1"),
        ({"gate": {"max_unseen_hallucination": 1}}, "gate.max_unseen_hallucination: 1 is above the deployed 0.5"),
        ({"gate": {"max_loss_to_champion": 0.2}}, "gate.max_loss_to_champion: 0.2 is above the deployed 0"),
        ({"throughput": {"ttl_hours": 744}}, "throughput.ttl_hours: 744 is above the deployed 4"),
        ({"throughput": {"evaluation_ttl_hours": 10}}, "throughput.evaluation_ttl_hours: 10 is above the deployed 2"),
        ({"throughput": {"retire_previous": False}}, "throughput.retire_previous: false turns off"),
    ],
)
def test_an_input_that_loosens_a_deployed_limit_is_refused_naming_the_deploy_time_setting(execution_input, words):
    with pytest.raises(InvalidInput) as caught:
        prepared_run(execution_input)
    message = str(caught.value)
    assert message.startswith(words), message
    key = words.split(":")[0].replace(".", "_")  # the cdk.json key of a run setting
    assert f"change `{key}` in cdk.json" in message and "run `cdk deploy`" in message
    assert message.endswith("Nothing was started.")


def test_an_input_may_tighten_every_limit():
    strict = {
        "budget_usd": 149,
        "gate": {"min_paraphrase_accuracy": 0.9, "min_gain_over_base": 0.5, "max_unseen_hallucination": 0.1},
        "throughput": {"ttl_hours": 1, "evaluation_ttl_hours": 1, "retire_previous": True},
    }
    run = prepared_run(strict)
    assert run.settings.budget_usd == 149 and run.settings.gate.min_paraphrase_accuracy == 0.9
    assert run.settings.throughput.ttl_hours == 1 and run.settings.throughput.evaluation_ttl_hours == 1


def test_a_deployment_with_looser_limits_lets_the_input_go_up_to_them():
    deployed = RunSettings.model_validate(
        {"budget_usd": 1000, "gate": {"min_gain_over_base": -1, "max_loss_to_champion": 0.1}}
    )
    execution_input = {"budget_usd": 999, "gate": {"min_gain_over_base": -0.5, "max_loss_to_champion": 0.05}}
    run = prepared_run(execution_input, defaults=deployed)
    assert run.settings.budget_usd == 999 and run.settings.gate.min_gain_over_base == -0.5
    assert run.settings.gate.max_loss_to_champion == 0.05


def test_every_gate_threshold_declares_which_way_is_stricter():
    # A new threshold must say which way an input may move it, or the input could loosen it.
    from podium.config import GateSettings, Stricter

    for name, field in GateSettings.model_fields.items():
        assert Stricter(field.json_schema_extra["stricter"]), name


@pytest.mark.parametrize("number", [float("inf"), float("nan")])
def test_an_infinite_or_undefined_number_is_refused(number):
    # json.loads reads 1e999 as infinity: it would lift any limit it is compared with.
    with pytest.raises(InvalidInput, match=r"^budget_usd: must be a finite number"):
        prepared_run({"budget_usd": number})
    with pytest.raises(InvalidInput, match=r"^prices.throughput_per_unit_hour: must be a finite number"):
        prepared_run({"prices": {"throughput_per_unit_hour": number}})


def test_a_base_model_the_stack_was_not_deployed_for_is_refused_naming_the_fix():
    with pytest.raises(InvalidInput) as caught:
        prepared_run({"base_model": "meta.llama3-2-3b-instruct-v1:0:128k"})
    message = str(caught.value)
    assert message.startswith("base_model: meta.llama3-2-3b-instruct-v1:0:128k is not the model this stack was")
    assert "set `base_model` in cdk.json" in message and "`cdk deploy`" in message


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("", "data_prefix: must be a folder of the bucket such as 'data/'"),
        ("/data/", "data_prefix: must be a folder of the bucket"),
        ("data", "data_prefix: must be a folder of the bucket"),
        ("other/", "data_prefix: 'other/' is outside the deployed 'data/'"),
    ],
)
def test_a_data_prefix_that_names_no_readable_folder_is_refused(prefix, words):
    with pytest.raises(InvalidInput, match="^" + words.replace("(", r"\(")):
        prepared_run({"data_prefix": prefix})
    store = MemoryStore({"data/2026/medals.csv": "x"})
    assert prepared_run({"data_prefix": "data/2026/"}, store=store).settings.data_prefix == "data/2026/"


def test_an_oversized_input_or_string_setting_is_refused_whichever_generator_runs():
    with pytest.raises(InvalidInput, match=r"^input: the execution input is 140,\d{3} bytes; at most 16,384"):
        prepared_run({"databricks": {"warehouse_id": "x" * 140_000}})
    with pytest.raises(InvalidInput, match=r"^databricks.secret_name: must be a Secrets Manager secret name"):
        prepared_run({"databricks": {"secret_name": "a b"}})
    with pytest.raises(InvalidInput, match=r"^databricks.output_table: 'x;drop' is not a three-part table name"):
        prepared_run({"databricks": {"output_table": "x;drop"}})
    with pytest.raises(InvalidInput, match=r"^hyperparameters.epochCount: must have at most 32 characters"):
        prepared_run({"hyperparameters": {"epochCount": "1" * 33}})


def test_a_throughput_is_refused_when_the_deployed_janitor_would_not_delete_it():
    with pytest.raises(InvalidInput, match=r"janitor does not delete .*janitor_schedule is off"):
        prepare(
            prepare_event({"throughput": {"enabled": True}}),
            defaults=RunSettings.model_validate({"evaluate": False}),
            region=REGION,
            list_running=lambda arn: [],
            store=MemoryStore({"data/medals.csv": "x"}),
            read_databricks_secret=lambda name: object(),
            janitor_deletes=False,
        )
