"""The Lambda environment contract: the stack sets these variables, handlers read them once.

Every step gets the same variables (the stack builds them from one function), so a
handler never needs to know which ones its neighbours use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from podium.config import DEFAULT_MAX_MODEL_UNITS, RunSettings, parse_run_settings


class Environment(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    bucket: str = Field(alias="PODIUM_BUCKET")
    active_model_parameter: str = Field(alias="PODIUM_ACTIVE_MODEL_PARAMETER")
    bedrock_role_arn: str = Field(alias="PODIUM_BEDROCK_ROLE_ARN")
    kms_key_arn: str | None = Field(None, alias="PODIUM_KMS_KEY_ARN")
    name_prefix: str = Field("podium", alias="PODIUM_NAME_PREFIX")
    region: str = Field(alias="AWS_REGION")
    defaults_json: str = Field("{}", alias="PODIUM_DEFAULTS")  # deployed RunSettings as JSON
    # botocore's attempts per AWS call (standard retry mode). Rehearsal sets 1: its waits are
    # scaled down, and each throttle it injects should reach the handler, not botocore's sleep.
    aws_max_attempts: int = Field(3, ge=1, le=10, alias="PODIUM_AWS_MAX_ATTEMPTS")
    # Deploy-time limits an execution's input cannot change (StackSettings)
    max_model_units: int = Field(DEFAULT_MAX_MODEL_UNITS, ge=1, alias="PODIUM_MAX_MODEL_UNITS")
    janitor_dry_run: bool = Field(False, alias="PODIUM_JANITOR_DRY_RUN")
    # The janitor's schedule ("" = no janitor). Without one that deletes, Prepare refuses runs that
    # create a throughput: the budget counts a throughput for its ttl because the janitor enforces it.
    janitor_schedule: str = Field("", alias="PODIUM_JANITOR_SCHEDULE")
    # Where the functions outside the state machine (ExecutionEnded, Janitor) notify
    topic_arn: str = Field("", alias="PODIUM_TOPIC_ARN")
    # The state machine StartOnUpload starts (formatted from its fixed name: no dependency cycle)
    state_machine_arn: str = Field("", alias="PODIUM_STATE_MACHINE_ARN")

    @property
    def janitor_deletes(self) -> bool:
        return bool(self.janitor_schedule) and not self.janitor_dry_run

    @property
    def defaults(self) -> RunSettings:
        return parse_run_settings(json.loads(self.defaults_json))

    @property
    def makes_deployments(self) -> bool:
        """Runs of this stack may create custom model deployments: its base model is one AWS deploys on
        demand in its Region (the roles hold the deployment actions only then)."""
        from podium.models import get_model

        return get_model(self.defaults.base_model, self.region).on_demand_problem(self.region) is None

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Environment:
        return cls.model_validate({k: v for k, v in values.items() if k.startswith(("PODIUM_", "AWS_REGION"))})


ENV_VARS = tuple(field.alias for field in Environment.model_fields.values() if field.alias != "AWS_REGION")


@cache
def current() -> Environment:
    """Read once per Lambda container."""
    return Environment.from_mapping(os.environ)
