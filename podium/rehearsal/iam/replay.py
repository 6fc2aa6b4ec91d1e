"""Every statement earns its place: replay the calls a rehearsal made against each role with one
action, or one resource, of one statement taken away, and report what nothing needed.

The Authorizer records each judged request (caller, action, resource, condition keys). For each
role and each action and each resource of each of its statements, the policy is judged again
without it: if no call of that role is then refused, nothing the rehearsal did needed it. A
statement marked `unreachable` (why no rehearsal makes the call) is left out of the replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from podium.rehearsal.iam.account import Record, Role
from podium.rehearsal.iam.evaluator import Request, evaluate
from podium.workflow.permissions import Statement, policy_document


@dataclass(frozen=True)
class Needless:
    """`part` (an action, or a resource) of `statement` that no call of `caller` needed."""

    caller: str
    part: str
    statement: Statement

    def __str__(self) -> str:
        return f"{self.caller}: {self.part} of [{self.statement.describe()}]"


def _without(statements: tuple[Statement, ...], index: int, member: str, part: str) -> list[Statement]:
    kept = tuple(x for x in getattr(statements[index], member) if x != part)
    reduced = list(statements)
    if kept:
        reduced[index] = replace(statements[index], **{member: kept})
    else:
        del reduced[index]
    return reduced


def needless(roles: Mapping[str, Role], records: Iterable[Record]) -> list[Needless]:
    """Each action and resource of each reachable statement that no allowed call of its role needed."""
    calls: dict[str, dict[str, Request]] = {}
    for record in records:
        if record.allowed:
            key = record.request.describe() + repr(sorted(record.request.context.items()))
            calls.setdefault(record.caller, {})[key] = record.request
    found = []
    for caller, role in roles.items():
        made = list(calls.get(caller, {}).values())
        for index, statement in enumerate(role.statements):
            if statement.unreachable:
                continue
            parts = [("actions", a) for a in statement.actions]
            if len(statement.resources) > 1:
                parts += [("resources", r) for r in statement.resources]
            for member, part in parts:
                policy = [policy_document(_without(role.statements, index, member, part))]
                if not any(not evaluate(policy, request).allowed for request in made):
                    found.append(Needless(caller, part, statement))
    return found


__all__ = ["Needless", "needless"]
