"""AWS's policy evaluation logic for identity-based policies within one account, as the IAM User
Guide states it (reference_policies_evaluation-logic.html):

  1. an explicit Deny in any statement that applies ends it: denied;
  2. otherwise an Allow in any statement that applies: allowed;
  3. otherwise: denied (implicit deny).

A statement applies when its Action (or NotAction) matches the action — case-insensitively,
with `*` and `?` wildcards (reference_policies_elements_action.html) —, its Resource (or
NotResource) matches the resource — each of the six colon-separated ARN parts on its own,
case-sensitively, with `*` and `?` (reference_policies_elements_resource.html) — and every
condition holds (podium.rehearsal.iam.conditions). A statement whose condition fails does not
apply: it neither allows nor denies (moto 5.2.5's access_control answers DENIED there, which is
one reason this module exists; see the README).

Not evaluated (an error says so when a policy uses them, rather than a silent answer):
policy variables (`${aws:username}`), Principal/NotPrincipal outside trust policies, and the
condition operators podium.rehearsal.iam.conditions does not list. Resource-based policies,
permissions boundaries, session policies and SCPs are not part of the rehearsal's account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from podium.rehearsal.iam.conditions import UnsupportedPolicy, conditions_hold

ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class Request:
    """One authorization question: may the caller do `action` on `resource`, given `context`
    (condition keys → values; a list for a multivalued key such as aws:TagKeys)?"""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    why: str = ""  # which documented rule asks this (e.g. "SSE-KMS: UsingKMSEncryption.html")

    def describe(self) -> str:
        return f"{self.action} on {self.resource}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "allowed by …", "explicitly denied by …", "no identity-based policy allows …"
    statement: Mapping[str, Any] | None = None


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in text:
        raise UnsupportedPolicy(f"policy variables are not evaluated by the rehearsal: {text!r}")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`*`: any characters (none too); `?`: exactly one."""
    return _pattern(pattern, ignore_case).match(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return wildcard_match(pattern, action, ignore_case=True)


def resource_matches(pattern: str, resource: str) -> bool:
    """`*` alone matches every resource; an ARN pattern is matched part by part (the resource part,
    the sixth, may itself hold colons)."""
    if pattern == "*":
        return True
    wanted, actual = pattern.split(":", 5), resource.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return wildcard_match(pattern, resource)
    return all(wildcard_match(w, a) for w, a in zip(wanted, actual, strict=True))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" in statement or "NotPrincipal" in statement:
        raise UnsupportedPolicy("identity-based policies name no Principal (this one does)")
    if "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _as_list(statement["NotAction"])):
            return False
    elif not any(action_matches(p, request.action) for p in _as_list(statement.get("Action", []))):
        return False
    if "NotResource" in statement:
        if any(resource_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return False
    elif not any(resource_matches(p, request.resource) for p in _as_list(statement.get("Resource", []))):
        return False
    return conditions_hold(statement.get("Condition") or {}, request.context)


def statements_of(policies: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for policy in policies:
        found.extend(_as_list(policy.get("Statement", [])))
    return found


def evaluate(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """The decision for `request` under the identity-based `policies` (policy documents)."""
    allowing: Mapping[str, Any] | None = None
    for statement in statements_of(policies):
        if not statement_applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return Decision(False, f"explicitly denied by a statement ({request.action})", statement)
        if allowing is None:
            allowing = statement
    if allowing is not None:
        return Decision(True, f"allowed ({request.action})", allowing)
    return Decision(False, f"because no identity-based policy allows the {request.action} action")


def trust_allows(trust_policy: Mapping[str, Any], service: str, context: Mapping[str, ContextValue]) -> bool:
    """Whether the role's trust policy lets `service` (a service principal) sts:AssumeRole,
    with `context` (aws:SourceAccount, aws:SourceArn) — the confused-deputy conditions."""
    allowed = False
    for statement in statements_of([trust_policy]):
        principal = statement.get("Principal") or {}
        services = _as_list(principal.get("Service", [])) if isinstance(principal, Mapping) else []
        if service not in services or not any(
            action_matches(p, "sts:AssumeRole") for p in _as_list(statement.get("Action", []))
        ):
            continue
        if not conditions_hold(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


__all__ = [
    "Decision",
    "Request",
    "UnsupportedPolicy",
    "action_matches",
    "evaluate",
    "resource_matches",
    "trust_allows",
    "wildcard_match",
]
