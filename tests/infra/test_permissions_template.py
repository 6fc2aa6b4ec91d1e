"""The deployed roles are the rehearsed roles (issue 15, item 6): for every role of the synthesized
template, the IAM policy grants exactly what podium.workflow.permissions generates for it — the
same functions the rehearsal builds its roles from — rendered with the stack's own tokens. Only
what CDK adds for a service feature (Lambda and Step Functions tracing, Step Functions logging)
may be there besides, and nothing is missing.

Compared as grants — (action, resource, condition) — since CDK's minimizePolicies may merge
statements (e.g. X-Ray's "*" with a List action's "*") without changing what they allow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podium.workflow.permissions import (
    bedrock_service_role_statements,
    policy_document,
    schedule_role_statements,
    state_machine_statements,
    step_statements,
)
from podium.workflow.steps import DEFINITION_STEPS, STEPS
from stacks.functions import Resources, names_for
from tests.infra.conftest import VARIANTS, Synthesized

# What CDK adds to a role for a feature of its service, not for a call Podium makes: Lambda active
# tracing and Step Functions tracing (X-Ray), Step Functions logging (log delivery), all on "*".
SERVICE_ADDED = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(statements: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """Every (action, resource, condition) the statements allow."""
    return {
        (action, json.dumps(resource, sort_keys=True), json.dumps(st.get("Condition"), sort_keys=True))
        for st in statements
        for action in _as_list(st["Action"])
        for resource in _as_list(st["Resource"])
    }


def _service_added(grant: tuple[str, str, str]) -> bool:
    return grant[0] in SERVICE_ADDED and grant[1] == '"*"' and grant[2] == "null"


def _template_statements(s: Synthesized, role_id: str) -> list[dict[str, Any]]:
    found = []
    for resource in s.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in resource["Properties"].get("Roles", []):
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    assert not s.resources[role_id]["Properties"].get("Policies"), f"{role_id}: inline policies besides the default"
    return found


def _expected_roles(s: Synthesized) -> dict[str, list[dict[str, Any]]]:
    """Role logical id → the statements permissions.py gives it, resolved to CloudFormation."""
    stack = s.stack
    resources = Resources(
        storage=stack.storage,
        bedrock_role=stack.bedrock.role,
        active_model=stack.active_model,
        settings=stack.settings,
        topic=stack.alerts.topic,
    )
    names = names_for(stack, resources)
    settings = stack.settings

    def role_id(role: Any) -> str:
        return stack.get_logical_id(role.node.default_child)

    expected = {}
    for step in STEPS:
        function = stack.steps.functions[step.name]
        statements = step_statements(step, names, settings, function.log_group.log_group_arn)
        expected[role_id(function.role)] = statements
    definition = [stack.steps.functions[step.name].function_arn for step in DEFINITION_STEPS]
    expected[role_id(stack.workflow.machine.role)] = state_machine_statements(names, settings, definition)
    expected[role_id(stack.bedrock.role)] = bedrock_service_role_statements(names, settings)
    if "schedule" in stack.triggers.rules:
        start_run = stack.triggers.node.find_child("StartRunRole")
        expected[role_id(start_run)] = schedule_role_statements(stack.workflow.machine.state_machine_arn)
    return {rid: stack.resolve(policy_document(sts))["Statement"] for rid, sts in expected.items()}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_role_holds_exactly_the_statements_permissions_py_gives_it(variant: str, request) -> None:
    s: Synthesized = request.getfixturevalue(variant)
    expected = _expected_roles(s)
    assert set(expected) == set(s.of_type("AWS::IAM::Role")), "a role the permissions do not describe"
    for role_id, statements in expected.items():
        deployed = {g for g in _grants(_template_statements(s, role_id)) if not _service_added(g)}
        assert deployed == _grants(statements), role_id


def test_a_drift_would_be_seen(synthesized: Synthesized) -> None:
    """The comparison can fail: a condition lost on the way to the template is a difference."""
    role_id, statements = next(
        (r, sts) for r, sts in _expected_roles(synthesized).items() if any("Condition" in st for st in sts)
    )
    dropped = [{k: v for k, v in st.items() if k != "Condition"} for st in statements]
    deployed = {g for g in _grants(_template_statements(synthesized, role_id)) if not _service_added(g)}
    assert deployed == _grants(statements) and deployed != _grants(dropped)
