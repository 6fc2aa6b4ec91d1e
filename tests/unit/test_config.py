from __future__ import annotations

import pytest

from podium.config import RunSettings, parse_run_settings, parse_stack_settings
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
