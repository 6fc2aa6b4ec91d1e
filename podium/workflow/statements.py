"""The language the roles are written in: an IAM Allow statement, the names it is rendered with
(concrete in the rehearsal, CDK tokens at synth), and the conditions every role reuses.
podium.workflow.permissions says which statements each role holds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from podium.adapters.ports import TAG_KEYS, TAG_STACK
from podium.config import StackSettings


@dataclass(frozen=True, eq=True)
class Statement:
    """One Allow statement. `wildcard_reason`: why a resource needs '*' (the cdk-nag
    acknowledgement); `unreachable`: why no rehearsal scenario makes a call that needs it."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]] | None = field(default=None, hash=False)
    wildcard_reason: str | None = field(default=None, compare=False)
    unreachable: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "Effect": "Allow",
            "Action": list(self.actions),
            "Resource": list(self.resources),
        }
        if self.conditions:
            document["Condition"] = {op: dict(values) for op, values in self.conditions.items()}
        return document

    def describe(self) -> str:
        condition = f" if {json.dumps(self.conditions, sort_keys=True)}" if self.conditions else ""
        return f"{', '.join(self.actions)} on {', '.join(self.resources)}{condition}"


def policy_document(statements: Iterable[Statement]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [s.to_json() for s in statements]}


@dataclass(frozen=True)
class Names:
    """What the statements name. Concrete in the rehearsal; CDK tokens (strings) at synth, so
    the same f-strings become the template's Fn::Join."""

    partition: str
    region: str
    account: str
    bucket_arn: str
    key_arn: str
    topic_arn: str
    active_model_parameter_arn: str
    bedrock_role_arn: str

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region is None else region}:"
            f"{self.account if account is None else account}:{resource}"
        )

    def objects(self, pattern: str) -> str:
        return f"{self.bucket_arn}/{pattern}"


def via(service: str, settings: StackSettings) -> dict[str, dict[str, str]]:
    """kms:ViaService: the key may be used only through `service` in this region."""
    return {"StringEquals": {"kms:ViaService": f"{service}.{settings.region}.amazonaws.com"}}


def this_stack_only(settings: StackSettings) -> dict[str, Any]:
    """The IAM condition that limits a destructive action to resources this stack tagged."""
    return {"StringEquals": {f"aws:ResourceTag/{TAG_STACK}": settings.name_prefix}}


def tags_this_stack_writes(settings: StackSettings) -> dict[str, Any]:
    """The conditions on every Bedrock Create-with-tags and TagResource a role may do: the request
    tags the resource as this stack's (aws:RequestTag) and carries Podium's tag keys only
    (aws:TagKeys), so a role can neither label a resource as another stack's (or with a ttl of
    its own making) nor add tags of its own; and a resource already tagged as another stack's is
    never retagged (aws:ResourceTag, when the resource has that tag: a new one has none)."""
    return {
        "StringEquals": {f"aws:RequestTag/{TAG_STACK}": settings.name_prefix},
        "ForAllValues:StringEquals": {"aws:TagKeys": list(TAG_KEYS)},
        "StringEqualsIfExists": {f"aws:ResourceTag/{TAG_STACK}": settings.name_prefix},
    }


def merged(statements: Iterable[Statement]) -> list[Statement]:
    """One statement per (resources, conditions) with their actions united, then per (actions,
    conditions) with their resources united, as CDK's minimizePolicies does: a role's policy
    then has no statement another one already covers. Unreachable statements stay apart."""

    def condition_key(s: Statement) -> str:
        return json.dumps(s.conditions, sort_keys=True)

    def unite(items: list[Statement], key: Callable[[Statement], tuple[Any, ...]], over: str) -> list[Statement]:
        out: dict[tuple[Any, ...], Statement] = {}
        for s in items:
            k = key(s)
            if s.unreachable or k not in out:
                out[k if not s.unreachable else (id(s),)] = s
                continue
            kept = out[k]
            values = tuple(dict.fromkeys(getattr(kept, over) + getattr(s, over)))
            out[k] = replace(kept, **{over: values}, wildcard_reason=kept.wildcard_reason or s.wildcard_reason)
        return list(out.values())

    items = list(statements)
    items = unite(items, lambda s: (tuple(sorted(s.resources)), condition_key(s)), "actions")
    items = unite(items, lambda s: (tuple(sorted(s.actions)), condition_key(s)), "resources")
    return items


__all__ = [
    "Names",
    "Statement",
    "merged",
    "policy_document",
    "tags_this_stack_writes",
    "this_stack_only",
    "via",
]
