"""cdk-nag acknowledgements, each scoped to one construct and carrying its written reason.

Every acknowledgement made through `acknowledge` is also recorded per stack
(`acknowledgements(stack)`), so tests and reports can list what was accepted and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

PACK = "AwsSolutions"
_ACKNOWLEDGEMENTS: dict[str, list[tuple[str, str, str]]] = {}


def acknowledge(construct: IConstruct, rule: str, reason: str, finding: str | None = None) -> None:
    """Accept one cdk-nag finding (`rule` like "IAM5", `finding` like "Resource::*") on `construct`."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule} needs a real reason, got {reason!r}")
    rule_id = f"{PACK}-{rule}" + (f"[{finding}]" if finding else "")
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{PACK}::{rule_id}", reason=reason))
    entry = (construct.node.path, rule_id, reason)
    registry = _ACKNOWLEDGEMENTS.setdefault(Stack.of(construct).node.addr, [])
    if entry not in registry:
        registry.append(entry)


def acknowledgements(stack: Stack) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) for every acknowledgement made in `stack`."""
    return list(_ACKNOWLEDGEMENTS.get(stack.node.addr, []))


def _flatten(value: Any) -> str:
    """Render a resolved CloudFormation value the way cdk-nag names it in a finding."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            return f"<{argument}>"
        if name == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(_flatten(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as a cdk-nag finding")


def wildcard_findings(scope: IConstruct, resources: Iterable[str]) -> list[str]:
    """The IAM5 finding names cdk-nag reports for the wildcard resources among `resources`."""
    stack = Stack.of(scope)
    findings = []
    for resource in resources:
        rendered = _flatten(stack.resolve(resource)) if Token.is_unresolved(resource) else resource
        if "*" in rendered:
            findings.append(f"Resource::{rendered}")
    return findings


def allow(
    role: iam.IRole,
    actions: list[str],
    resources: list[str],
    *,
    wildcard_reason: str | None = None,
    conditions: dict[str, Any] | None = None,
) -> iam.PolicyStatement:
    """Add one statement to `role`. A resource with a '*' must come with `wildcard_reason`,
    which becomes the cdk-nag acknowledgement on this role only."""
    statement = iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions)
    role.add_to_principal_policy(statement)
    findings = wildcard_findings(role, resources)
    if findings and not wildcard_reason:
        raise ValueError(f"{actions} on {resources} uses a wildcard: give the reason AWS needs it")
    for finding in findings:
        acknowledge(role, "IAM5", wildcard_reason or "", finding)
    return statement
