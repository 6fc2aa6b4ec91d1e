"""cdk.json context → StackSettings: string values from `-c`, and errors that name the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from podium.config_context import CONTEXT_KEYS, settings_from_context
from podium.errors import ConfigError
from stacks.application import REPO_ROOT, build_app, cdk_json_context


def test_cdk_json_defaults_are_deployable() -> None:
    settings = settings_from_context(cdk_json_context())
    assert settings.region == "us-west-2"
    assert settings.defaults.base_model == "meta.llama3-1-8b-instruct-v1:0:128k"
    assert settings.defaults.generator == "builtin"
    assert settings.retrain_schedule is None
    assert settings.defaults.throughput.enabled is False


def test_every_setting_in_cdk_json_is_known_and_every_known_setting_is_in_cdk_json() -> None:
    ours = {k for k in cdk_json_context() if ":" not in k}
    # the Databricks ids have no sensible default; everything else is spelled out for the reader
    assert ours == set(CONTEXT_KEYS) - {
        "databricks_secret_name", "databricks_job_id", "databricks_warehouse_id", "databricks_output_table",
    }  # fmt: skip


def test_string_values_from_the_command_line_are_parsed() -> None:
    settings = settings_from_context(
        {
            "throughput_enabled": "true",
            "throughput_model_units": "2",
            "throughput_commitment": "OneMonth",
            "confirm_costly_throughput": "true",
            "throughput_ttl_hours": "2.5",
            "throughput_retire_previous": "false",
            "budget_usd": "12.5",
            "janitor_dry_run": "no",
            "janitor_schedule": "rate(2 hours)",
            "poll_min_seconds": "10",
            "hyperparameters": '{"epochCount": "3", "learningRate": 0.0002}',
            "retrain_schedule": "rate(7 days)",
            "retrain_on_upload": "no",
            "notification_email": "a@example.com",
            "log_retention_days": "90",
            "prices": '{"training_per_1k_tokens": 0.01}',
        }
    )
    assert settings.defaults.prices.training_per_1k_tokens == 0.01
    assert settings.defaults.throughput.enabled is True
    assert settings.defaults.throughput.model_units == 2
    assert settings.defaults.throughput.commitment == "OneMonth" and settings.confirm_costly_throughput
    assert settings.defaults.throughput.ttl_hours == 2.5
    assert settings.janitor_dry_run is False and settings.janitor_schedule == "rate(2 hours)"
    assert settings.defaults.throughput.retire_previous is False
    assert settings.defaults.budget_usd == 12.5
    assert settings.defaults.poll.min_seconds == 10
    assert settings.defaults.hyperparameters == {"epochCount": "3", "learningRate": 0.0002}
    assert settings.retrain_schedule == "rate(7 days)" and settings.retrain_on_upload is False
    assert settings.log_retention_days == 90


def test_the_janitor_may_be_off_or_dry_only_when_no_run_creates_a_throughput() -> None:
    quiet = {"janitor_schedule": "", "janitor_dry_run": "yes", "evaluate": "false", "throughput_enabled": "false"}
    settings = settings_from_context(quiet)
    assert settings.janitor_dry_run is True and settings.janitor_schedule is None
    with pytest.raises(ConfigError, match=r"janitor_schedule: is off, but runs create a provisioned throughput"):
        settings_from_context({**quiet, "janitor_dry_run": "no", "evaluate": "true"})
    with pytest.raises(ConfigError, match=r"janitor_dry_run: is on, so the janitor deletes nothing"):
        settings_from_context({**quiet, "janitor_schedule": "rate(1 hour)", "throughput_enabled": "true"})


def test_empty_or_none_turns_an_optional_setting_off() -> None:
    settings = settings_from_context(
        {"retrain_schedule": "", "notification_email": "none", "throughput_commitment": "null"}
    )
    assert settings.retrain_schedule is None and settings.notification_email is None
    assert settings.defaults.throughput.commitment is None


def test_cdk_own_context_is_ignored() -> None:
    settings = settings_from_context(
        {
            "@aws-cdk/aws-s3:createDefaultLoggingPolicy": True,
            "aws:cdk:bundling-stacks": [],
            "availability-zones:account=1:region=us-west-2": ["a"],
            "acknowledged-issue-numbers": [1],
        }
    )
    assert settings.name_prefix == "podium"


@pytest.mark.parametrize(
    ("context", "setting", "words"),
    [
        ({"base_model": "meta.llama3-8b-instruct-v1:0"}, "base_model", "Llama 3 8B cannot be fine-tuned"),
        ({"base_model": "gpt-4"}, "base_model", "Supported models"),
        ({"region": "us-east-1"}, "region", "only in us-west-2"),
        ({"hyperparameters": '{"batchSize": 2}'}, "hyperparameters", "batchSize=2"),
        ({"hyperparameters": '{"lrScheduler": "linear"}'}, "hyperparameters", "lrScheduler"),
        ({"hyperparameters": "epochCount=2"}, "hyperparameters", "JSON object"),
        ({"generator": "databricks"}, "databricks_secret_name", "required"),
        (
            {"generator": "databricks", "databricks_secret_name": "s", "databricks_warehouse_id": "w"},
            "databricks_job_id",
            "required",
        ),
        ({"generator": "sparks"}, "generator", "builtin"),
        ({"base_model_id": "x"}, "base_model_id", "did you mean 'base_model'"),
        ({"throughput_enabled": "maybe"}, "throughput_enabled", "true or false"),
        ({"throughput_model_units": "0"}, "throughput_model_units", "must be at least 1, got 0"),
        ({"throughput_commitment": "OneYear"}, "throughput_commitment", "OneMonth"),
        ({"poll_min_seconds": "900", "poll_max_seconds": "600"}, "poll_min_seconds", "must not exceed"),
        ({"log_retention_days": "31"}, "log_retention_days", "retention period"),
        ({"retrain_schedule": "weekly"}, "retrain_schedule", "schedule expression"),
        ({"notification_email": "team"}, "notification_email", "e-mail"),
        ({"name_prefix": "Podium_Prod"}, "name_prefix", "pattern"),
        ({"budget_usd": "lots"}, "budget_usd", "number"),
    ],
)
def test_bad_settings_fail_naming_the_setting(context: dict[str, str], setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_context(context)
    assert caught.value.setting == setting
    assert str(caught.value).startswith(f"{setting}: ")
    assert words in str(caught.value)


def test_build_app_fails_before_building_anything() -> None:
    with pytest.raises(ConfigError) as caught:
        build_app({**cdk_json_context(), "region": "us-east-1"})
    assert caught.value.setting == "region"


def test_app_py_exits_with_the_setting_named_and_no_traceback(tmp_path) -> None:
    env = {
        **os.environ,
        # What `cdk synth -c hyperparameters='{"batchSize": 2}'` hands the app.
        "CDK_CONTEXT_JSON": json.dumps({"hyperparameters": '{"batchSize": 2}'}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert "Podium configuration error: hyperparameters: batchSize=2" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "cdk.out").glob("*.template.json"))


def test_recipe_and_teach_priorities_are_deploy_time_defaults_from_cdk_json_or_the_command_line() -> None:
    deployed = settings_from_context(cdk_json_context())
    assert deployed.defaults.recipe == "deep"  # scheduled and upload-started runs use it
    assert deployed.defaults.teach_priorities[0] == "event_medal"
    settings = settings_from_context({"recipe": "mixed", "teach_priorities": "country_medal_count, event_medal"})
    assert settings.defaults.recipe == "mixed"
    assert settings.defaults.teach_priorities == ["country_medal_count", "event_medal"]
    as_json = settings_from_context({"teach_priorities": '["athlete_medals"]'})
    assert as_json.defaults.teach_priorities == ["athlete_medals"]
    with pytest.raises(ConfigError) as error:
        settings_from_context({"teach_priorities": "event_medal, medals"})
    assert error.value.setting == "teach_priorities" and "must be one of" in str(error.value)
    with pytest.raises(ConfigError, match="recipe"):
        settings_from_context({"recipe": "everything"})
