"""The composition root: the one place handlers get their adapters from.

Every boto3 client is made here with plain `boto3.client(service)`, so boto3 applies
AWS_ENDPOINT_URL_<SERVICE> by itself: that is how rehearsal points the same code at
moto and the Bedrock emulator. There is no rehearsal branch anywhere.

The Lambda assets carry botocore's models for LAMBDA_AWS_SERVICES only
(stacks.bundling), so a client for any other service is refused here, in tests and in
the rehearsal, instead of failing first on AWS with UnknownServiceError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

# Each adapter is imported by the function that makes it: a handler's cold start then loads
# only the adapters its step uses (a function that never fine-tunes never imports Bedrock's).
if TYPE_CHECKING:
    from podium.adapters.notifications import SnsNotifier
    from podium.adapters.ports import ActiveModelStore, FineTuner, Generator, ObjectStore
    from podium.adapters.run_lock import S3RunLock
    from podium.adapters.service_quotas import DeploymentCapacity, ModelUnitCapacity
    from podium.config import RunSettings
    from podium.evaluation.runner import Asker
    from podium.models import BaseModel, RowCaps
    from podium.workflow.environment import Environment

# botocore's names (its data directories) for every service a Lambda function calls.
LAMBDA_AWS_SERVICES = (
    "bedrock",
    "bedrock-runtime",
    "secretsmanager",
    "service-quotas",
    "sns",
    "ssm",
    "s3",
    "stepfunctions",
)


# Attempts at one question (the first and 7 retries, up to 20 s apart) before EvaluateChunk
# gives the chunk back to the state machine's Retry.
ASK_ATTEMPTS = 8


def _listed_client(service: str, env: Environment, config: Any) -> Any:
    if service not in LAMBDA_AWS_SERVICES:
        raise ValueError(
            f"no {service!r} client in Lambda: its assets carry botocore models only for "
            f"LAMBDA_AWS_SERVICES {LAMBDA_AWS_SERVICES}; add {service!r} to LAMBDA_AWS_SERVICES in "
            "podium/adapters/factory.py (and the function's IAM rights) to use it"
        )
    import boto3

    return boto3.client(service, region_name=env.region, config=config)


# botocore waits 60 s to connect and 60 s for each read by default: a hung call would outlast
# the function (60 s for most steps) and fail it as Sandbox.Timedout. With these, one call gives up,
# all attempts included, well inside the shortest function timeout (worst_call_seconds; tests check
# it against every step), and the workflow's own handling (look again, the state machine's Retry)
# takes over.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10  # between bytes, not for a whole download
_BACKOFF_CAP_SECONDS = 20  # botocore's standard retry mode: at most 20 s between attempts
CONVERSE_READ_TIMEOUT_SECONDS = 60


def worst_call_seconds(attempts: int, read_timeout: float = READ_TIMEOUT_SECONDS) -> float:
    """The longest one AWS call can take before it raises: every attempt timing out, with the
    longest backoff botocore's standard mode waits between them (2^n s, capped)."""
    backoff = sum(min(2**n, _BACKOFF_CAP_SECONDS) for n in range(attempts - 1))
    return attempts * (CONNECT_TIMEOUT_SECONDS + read_timeout) + backoff


def aws_client(service: str, env: Environment) -> Any:
    from botocore.config import Config

    # Standard mode retries throttling and transient errors with backoff before the
    # workflow's own handling (look again later, or the state machine's Retry) is involved.
    config = Config(
        retries={"mode": "standard", "total_max_attempts": env.aws_max_attempts},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        user_agent_extra="podium",
    )
    return _listed_client(service, env, config)


def object_store(env: Environment) -> ObjectStore:
    from podium.adapters.s3 import S3ObjectStore

    return S3ObjectStore(env.bucket, client=aws_client("s3", env))


def generator_for(settings: RunSettings, env: Environment) -> Generator:
    """The generator the run's settings choose. Databricks reads its secret here, so a
    missing or malformed secret fails with a ConfigError naming databricks.secret_name."""
    if settings.generator == "databricks":
        from podium.adapters.databricks import DatabricksGenerator
        from podium.adapters.secrets import read_databricks_credentials

        databricks = settings.databricks
        credentials = read_databricks_credentials(databricks.secret_name, client=aws_client("secretsmanager", env))
        return DatabricksGenerator(
            credentials,
            job_id=databricks.job_id,  # type: ignore[arg-type]  # checked: ConfigError names it
            warehouse_id=databricks.warehouse_id or "",
            output_table=databricks.output_table,
        )
    from podium.adapters.builtin import BuiltinGenerator

    return BuiltinGenerator(object_store(env), data_prefix=settings.data_prefix)


def run_lock(env: Environment) -> S3RunLock:
    from podium.adapters.run_lock import S3RunLock

    return S3RunLock(env.bucket, aws_client("s3", env), aws_client("stepfunctions", env))


def caps_reader(env: Environment) -> Callable[[BaseModel], RowCaps]:
    """Reads the base model's customization quotas from Service Quotas (documented caps without access)."""
    from podium.adapters.service_quotas import read_caps

    client = aws_client("service-quotas", env)
    return lambda model: read_caps(client, model)


def model_unit_reader(env: Environment) -> Callable[[], ModelUnitCapacity]:
    """The account's no-commitment model units for custom models and what is in use (Prepare's preflight)."""
    from podium.adapters.service_quotas import read_model_unit_capacity

    return lambda: read_model_unit_capacity(aws_client("service-quotas", env), aws_client("bedrock", env))


def deployment_reader(env: Environment) -> Callable[[], DeploymentCapacity]:
    """The account's quota on custom model deployments, when listed, and how many exist (Prepare's preflight)."""
    from podium.adapters.service_quotas import read_deployment_capacity

    return lambda: read_deployment_capacity(aws_client("service-quotas", env), aws_client("bedrock", env))


def fine_tuner(env: Environment) -> FineTuner:
    from podium.adapters.bedrock import BedrockFineTuner

    return BedrockFineTuner(client=aws_client("bedrock", env))


def notifier(env: Environment) -> SnsNotifier:
    from podium.adapters.notifications import SnsNotifier

    return SnsNotifier(env.topic_arn, client=aws_client("sns", env))


def asker(env: Environment) -> Asker:
    """InvokeModel / Converse through bedrock-runtime. botocore's adaptive retry mode retries
    throttling and transient errors with exponential backoff and full jitter and, since the
    evaluation's concurrent questions share this one client, slows the whole client down
    while the model throttles (client-side rate limiting) instead of retrying in lockstep."""
    from botocore.config import Config

    from podium.adapters.bedrock_runtime import BedrockRuntimeAsker

    config = Config(
        retries={"mode": "adaptive", "total_max_attempts": ASK_ATTEMPTS},
        max_pool_connections=64,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=CONVERSE_READ_TIMEOUT_SECONDS,  # a model writes its answer before the first byte
        user_agent_extra="podium",
    )
    return BedrockRuntimeAsker(_listed_client("bedrock-runtime", env, config))


def active_model_store(env: Environment) -> ActiveModelStore:
    from podium.adapters.active_model import SsmActiveModelStore

    return SsmActiveModelStore(env.active_model_parameter, client=aws_client("ssm", env))


__all__ = [
    "ASK_ATTEMPTS",
    "LAMBDA_AWS_SERVICES",
    "active_model_store",
    "asker",
    "aws_client",
    "fine_tuner",
    "model_unit_reader",
    "generator_for",
    "notifier",
    "object_store",
    "run_lock",
]
