from __future__ import annotations

import math

import pytest

from podium.config import (
    EVENTS_OUTSIDE_POLLS,
    EVENTS_PER_FAILED_CHECK,
    EVENTS_PER_POLL,
    EXECUTION_HISTORY_LIMIT,
    EXECUTION_TIMEOUT_SECONDS,
    LOOK_AGAIN_LOOPS,
    POLL_LOOPS,
    PollSettings,
    RunSettings,
    parse_run_settings,
    parse_stack_settings,
)
from podium.errors import ConfigError


def test_defaults_are_deployable_in_us_west_2():
    settings = parse_stack_settings({})
    assert settings.region == "us-west-2"
    assert settings.defaults.throughput.enabled is False  # no hourly bill unless asked for
    assert settings.defaults.throughput.commitment is None


def test_unknown_key_is_named():
    with pytest.raises(ConfigError) as error:
        parse_run_settings({"epochs": 3})
    assert error.value.setting == "epochs"


def test_wrong_type_is_named_with_its_path():
    with pytest.raises(ConfigError) as error:
        parse_run_settings({"throughput": {"model_units": "many"}})
    assert error.value.setting == "throughput.model_units"


def test_non_object_input_is_refused():
    with pytest.raises(ConfigError, match="must be a JSON object"):
        parse_run_settings(["dry_run"])  # type: ignore[arg-type]


def test_merge_keeps_defaults_and_replaces_hyperparameters_whole():
    base = RunSettings(hyperparameters={"epochCount": 3, "learningRate": 1e-4})
    merged = base.merged({"hyperparameters": {"epochCount": 2}, "throughput": {"enabled": True}})
    assert merged.hyperparameters == {"epochCount": 2}
    assert merged.throughput.enabled and merged.throughput.model_units == 1


def test_databricks_generator_needs_its_settings():
    settings = parse_run_settings({"generator": "databricks", "databricks": {"secret_name": "s", "job_id": 1}})
    with pytest.raises(ConfigError) as error:
        settings.check_for_region("us-west-2")
    assert error.value.setting == "databricks.warehouse_id"


def test_out_of_range_hyperparameter_fails_for_the_region_check():
    with pytest.raises(ConfigError) as error:
        parse_run_settings({"hyperparameters": {"batchSize": 2}}).check_for_region("us-west-2")
    assert error.value.setting == "hyperparameters"
    assert "batchSize" in str(error.value)


def test_poll_bounds_must_be_ordered():
    with pytest.raises(ConfigError, match="poll"):
        parse_run_settings({"poll": {"min_seconds": 100, "max_seconds": 10}})


# ---- poll bounds against Step Functions' 25,000-event execution history ----------------------


def test_default_poll_bounds_fit_the_execution_history():
    settings = parse_stack_settings({})
    assert settings.defaults.poll.worst_case_history_events() <= EXECUTION_HISTORY_LIMIT


def test_one_second_polls_are_refused_naming_the_setting_and_the_smallest_value_that_fits():
    with pytest.raises(ConfigError) as error:
        parse_stack_settings({"defaults": {"poll": {"min_seconds": 1, "max_seconds": 1}}})
    assert error.value.setting == "poll.max_seconds"
    smallest = int(str(error.value).rsplit(" ", 1)[1])
    assert PollSettings(min_seconds=1, max_seconds=smallest).check_execution_history()
    with pytest.raises(ConfigError):
        PollSettings(min_seconds=1, max_seconds=smallest - 1).check_execution_history()


def test_worst_case_counts_every_poll_of_constant_interval_loops():
    # At a constant interval each loop of an equal share of the timeout polls share / interval times,
    # plus the check that finds the job done.
    poll = PollSettings(min_seconds=3600, max_seconds=3600)
    polls_per_loop = math.ceil(EXECUTION_TIMEOUT_SECONDS / POLL_LOOPS / 3600)
    # ...and, in each loop that looks again after a failure, one burst of max_check_failures failed looks
    failed = LOOK_AGAIN_LOOPS * poll.max_check_failures * EVENTS_PER_FAILED_CHECK
    expected = EVENTS_OUTSIDE_POLLS + POLL_LOOPS * (polls_per_loop + 1) * EVENTS_PER_POLL + failed
    assert poll.worst_case_history_events() == expected


def test_a_short_execution_timeout_admits_fast_polls():
    PollSettings(min_seconds=1, max_seconds=1).check_execution_history(timeout_seconds=600)
    with pytest.raises(ConfigError, match="25,000"):
        PollSettings(min_seconds=1, max_seconds=1).check_execution_history()


def test_recipe_and_teach_priorities_default_to_deep_in_priority_order():
    settings = parse_run_settings({})
    assert settings.recipe == "deep"
    assert settings.teach_priorities[:3] == ["event_medal", "country_medal_count", "athlete_medals"]
    assert "event_sport" not in settings.teach_priorities  # base models know the Olympic programme
    chosen = parse_run_settings({"recipe": "qa", "teach_priorities": ["event_sport", "event_medal"]})
    assert chosen.recipe == "qa" and chosen.teach_priorities == ["event_sport", "event_medal"]


@pytest.mark.parametrize(
    ("priorities", "words"),
    [
        (["event_medal", "medal_table"], "teach_priorities.1: must be one of"),
        (["event_medal", "event_medal"], "names event_medal more than once"),
        ([], "at least 1"),
        (["unknown_height"], "must be one of"),  # refusals are not facts to teach
    ],
)
def test_teach_priorities_are_known_relations_each_once(priorities, words):
    with pytest.raises(ConfigError, match=words):
        parse_run_settings({"teach_priorities": priorities})


def test_on_demand_deployment_is_refused_for_a_model_aws_offers_it_for_none_of_naming_those_it_does():
    with pytest.raises(ConfigError) as refused:
        parse_stack_settings({"region": "us-east-1", "defaults": {"deployment": "on_demand"}})
    message = str(refused.value)
    assert message.startswith("deployment: on_demand is not offered for meta.llama3-1-8b-instruct-v1:0:128k")
    assert "amazon.nova-lite-v1:0:300k" in message and "amazon.nova-2-lite" not in message
    nova = {"region": "us-east-1", "defaults": {"base_model": "amazon.nova-lite-v1:0:300k", "deployment": "on_demand"}}
    assert parse_stack_settings(nova).defaults.deployment == "on_demand"
    with pytest.raises(ConfigError, match=r"^janitor_schedule: .*a custom model deployment \(deployment on_demand\)"):
        parse_stack_settings({**nova, "janitor_schedule": None})
