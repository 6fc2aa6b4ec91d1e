from __future__ import annotations

import json

import boto3
import pytest

from podium.adapters import factory
from podium.adapters.active_model import SsmActiveModelStore
from podium.adapters.bedrock import BedrockFineTuner
from podium.adapters.builtin import BuiltinGenerator
from podium.adapters.databricks import DatabricksGenerator
from podium.adapters.s3 import S3ObjectStore
from podium.config import parse_run_settings
from podium.errors import ConfigError
from podium.workflow.environment import Environment

TOKEN = "dapi-factory-secret"


def _env() -> Environment:
    return Environment.from_mapping(
        {
            "PODIUM_BUCKET": "podium-test-bucket",
            "PODIUM_ACTIVE_MODEL_PARAMETER": "/podium/active-model",
            "PODIUM_BEDROCK_ROLE_ARN": "arn:aws:iam::123456789012:role/podium-bedrock",
            "AWS_REGION": "us-west-2",
        }
    )


def test_builtin_by_default() -> None:
    settings = parse_run_settings({"data_prefix": "incoming/"})
    generator = factory.generator_for(settings, _env())
    assert isinstance(generator, BuiltinGenerator) and generator.data_prefix == "incoming/"
    assert isinstance(factory.object_store(_env()), S3ObjectStore)
    assert isinstance(factory.fine_tuner(_env()), BedrockFineTuner)
    store = factory.active_model_store(_env())
    assert isinstance(store, SsmActiveModelStore) and store.parameter_name == "/podium/active-model"


def test_databricks_reads_the_secret_and_keeps_it_out_of_sight(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(
        Name="podium/databricks",
        SecretString=json.dumps({"host": "https://dbc-test.cloud.databricks.com", "token": TOKEN}),
    )
    settings = parse_run_settings(
        {
            "generator": "databricks",
            "databricks": {"secret_name": "podium/databricks", "job_id": 42, "warehouse_id": "wh"},
        }
    )
    generator = factory.generator_for(settings, _env())
    assert isinstance(generator, DatabricksGenerator)
    assert (generator.job_id, generator.output_table) == (42, "podium.default.qa_pairs")
    assert TOKEN not in repr(generator) and TOKEN not in repr(vars(generator))


def test_databricks_without_a_job_id_names_the_setting(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(
        Name="podium/databricks", SecretString=json.dumps({"host": "https://h", "token": TOKEN})
    )
    settings = parse_run_settings({"generator": "databricks", "databricks": {"secret_name": "podium/databricks"}})
    with pytest.raises(ConfigError, match="databricks.job_id"):
        factory.generator_for(settings, _env())


def test_clients_honour_endpoint_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rehearsal swaps endpoints through the environment, never through code paths.
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", "http://127.0.0.1:4599")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")
    assert factory.aws_client("bedrock", _env()).meta.endpoint_url == "http://127.0.0.1:4599"
    assert factory.aws_client("s3", _env()).meta.endpoint_url == "http://127.0.0.1:4566"
    assert factory.aws_client("ssm", _env()).meta.endpoint_url == "https://ssm.us-west-2.amazonaws.com"


def test_a_client_for_a_service_the_assets_do_not_carry_is_refused() -> None:
    # Lambda assets keep botocore's models for LAMBDA_AWS_SERVICES only: fail here, not on AWS.
    with pytest.raises(ValueError, match=r"'ec2'.*LAMBDA_AWS_SERVICES.*podium/adapters/factory.py"):
        factory.aws_client("ec2", _env())


def test_every_listed_service_gets_a_client_and_the_asker_uses_a_listed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for service in factory.LAMBDA_AWS_SERVICES:
        assert factory.aws_client(service, _env()).meta.service_model.service_name == service
    monkeypatch.setattr(
        factory, "LAMBDA_AWS_SERVICES", tuple(s for s in factory.LAMBDA_AWS_SERVICES if s != "bedrock-runtime")
    )
    with pytest.raises(ValueError, match="'bedrock-runtime'"):
        factory.asker(_env())


def test_a_hung_aws_call_gives_up_before_the_function_times_out() -> None:
    # Without timeouts a hung call would run into the function's timeout (Sandbox.Timedout).
    from podium.workflow.steps import STEPS, Access
    from stacks.functions import AWS_MAX_ATTEMPTS

    client = factory.aws_client("bedrock", _env())
    assert client.meta.config.connect_timeout == factory.CONNECT_TIMEOUT_SECONDS
    assert client.meta.config.read_timeout == factory.READ_TIMEOUT_SECONDS
    assert _env().aws_max_attempts == AWS_MAX_ATTEMPTS  # what the stack deploys is the default
    for step in STEPS:
        assert factory.worst_call_seconds(AWS_MAX_ATTEMPTS) < step.timeout_seconds * 0.8, step.name
        if Access.BEDROCK_INVOKE in step.access:
            worst = factory.worst_call_seconds(factory.ASK_ATTEMPTS, factory.CONVERSE_READ_TIMEOUT_SECONDS)
            assert worst < step.timeout_seconds * 0.8, step.name
    asker_client = factory.asker(_env())._runtime
    assert asker_client.meta.config.read_timeout == factory.CONVERSE_READ_TIMEOUT_SECONDS
