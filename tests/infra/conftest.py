"""Synthesize the real stack once per session: bundling skipped (no pip, no network),
cdk-nag on, into a temporary cloud assembly."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The jsii runtime prints a banner about this machine's Node 20 on every start: noise in test logs.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template  # noqa: E402

from stacks.application import build_app, cdk_json_context  # noqa: E402
from stacks.podium_stack import PodiumStack  # noqa: E402

# The synthesized stacks tests run against: as cdk.json deploys it, with every optional part on, and
# deployed for on-demand serving (fixtures below)
VARIANTS = ["synthesized", "synthesized_full", "synthesized_on_demand"]

# CDK skips bundling for stacks not listed here; the asset then points at the source tree.
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}


@dataclass
class Synthesized:
    stack: PodiumStack
    template: Template
    resources: dict[str, Any]  # logical id → resource, from the synthesized template
    outputs: dict[str, Any]
    report: dict[str, Any]  # cdk-nag's validation report
    outdir: Path  # the cloud assembly

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return {k: r for k, r in self.resources.items() if r["Type"] == resource_type}


def synthesize(outdir: Path, **overrides: Any) -> Synthesized:
    context: Mapping[str, Any] = {**cdk_json_context(), **NO_BUNDLING, **overrides}
    app, stack = build_app(context, outdir=str(outdir))
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synthesized(
        stack=stack,
        template=Template.from_json(template),
        resources=template["Resources"],
        outputs=template.get("Outputs", {}),
        report=report,
        outdir=outdir,
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The stack as cdk.json deploys it."""
    return synthesize(tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def synthesized_full(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Every optional part on: schedule, e-mail, Databricks generator, throughput."""
    return synthesize(
        tmp_path_factory.mktemp("cdk-full"),
        retrain_schedule="rate(7 days)",
        notification_email="ml-team@example.com",
        generator="databricks",
        databricks_secret_name="podium/databricks",
        databricks_job_id="123",
        databricks_warehouse_id="abc123",
        throughput_enabled="true",
    )


@pytest.fixture(scope="session")
def synthesized_on_demand(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Nova Lite in us-east-1 with deployment on_demand: runs make custom model deployments."""
    return synthesize(
        tmp_path_factory.mktemp("cdk-on-demand"),
        region="us-east-1",
        base_model="amazon.nova-lite-v1:0:300k",
        deployment="on_demand",
        throughput_enabled="true",
    )
