"""Build the CDK app from context: used by app.py and by the infrastructure tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from podium.config_context import cdk_json_context as read_cdk_json_context
from podium.config_context import settings_from_context
from stacks.bundling import REPO_ROOT
from stacks.podium_stack import PodiumStack
from stacks.workflow import ASL_PATH

CDK_JSON = REPO_ROOT / "cdk.json"


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """cdk.json's context, so `python app.py` synthesizes what `cdk synth` would; the CLI's
    own context (cdk.json + `-c`, via CDK_CONTEXT_JSON) still takes precedence."""
    return read_cdk_json_context(path)


def build_app(
    context: Mapping[str, Any] | None = None,
    *,
    outdir: str | None = None,
    nag: bool = True,
    asl_path: Path = ASL_PATH,
) -> tuple[App, PodiumStack]:
    """The app with the Podium stack and cdk-nag's AwsSolutions checks. Raises
    podium.errors.ConfigError naming the setting before anything is built."""
    app = App(context=dict(cdk_json_context() if context is None else context), outdir=outdir)
    settings = settings_from_context(app.node.get_all_context())
    stack = PodiumStack(
        app,
        settings.name_prefix,
        settings=settings,
        asl_path=asl_path,
        description="Podium: teach a foundation model new facts from tables (Bedrock fine-tuning)",
        # Account from the CLI's credentials when deploying; env-agnostic otherwise.
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=settings.region),
    )
    if nag:
        # cdk-nag 3: a validation plugin; any unacknowledged finding fails synth.
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
