"""The Condition element, as the IAM User Guide states it (reference_policies_elements_condition.html,
_condition_operators.html, reference_policies_condition-single-vs-multi-valued-context-keys.html):

- every operator block must hold, every key within a block must hold (AND); any of a key's
  values may match (OR);
- condition key names are case-insensitive; values follow the operator's case rule;
- a key absent from the request: the condition is false, except for negated operators
  (StringNotEquals, StringNotLike, ArnNotEquals, ArnNotLike, NumericNotEquals), which are then
  true, `…IfExists`, which is then true, and Null, which tests exactly that;
- `ForAnyValue:` holds when at least one of the request's values matches (false when there are
  none); `ForAllValues:` when every one does (true when there are none — AWS's documented trap).

Operators evaluated: String(Not)Equals, String(Not)EqualsIgnoreCase, String(Not)Like,
Arn(Not)Equals, Arn(Not)Like, Bool, Null, Numeric*. Any other (Date*, IpAddress, Binary…)
raises UnsupportedPolicy: the rehearsal does not guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


class UnsupportedPolicy(ValueError):
    """A policy uses something the rehearsal's evaluator does not evaluate."""


def _wild(pattern: str, value: str) -> bool:
    from podium.rehearsal.iam.evaluator import wildcard_match

    return wildcard_match(pattern, value)


def _arn_like(pattern: str, value: str) -> bool:
    from podium.rehearsal.iam.evaluator import resource_matches

    return resource_matches(pattern, value)


def _number(text: str) -> float:
    return float(text)


# name → (match(policy value, request value), negated)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (_wild, False),
    "StringNotLike": (_wild, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
    "NumericEquals": (lambda p, v: _number(v) == _number(p), False),
    "NumericNotEquals": (lambda p, v: _number(v) == _number(p), True),
    "NumericLessThan": (lambda p, v: _number(v) < _number(p), False),
    "NumericLessThanEquals": (lambda p, v: _number(v) <= _number(p), False),
    "NumericGreaterThan": (lambda p, v: _number(v) > _number(p), False),
    "NumericGreaterThanEquals": (lambda p, v: _number(v) >= _number(p), False),
}


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _lookup(context: Mapping[str, Any], key: str) -> list[str] | None:
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return _values(value)
    return None


def _one(operator: str, key: str, wanted: Sequence[str], context: Mapping[str, Any]) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"condition operator qualifier {qualifier!r} is not evaluated")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    actual = _lookup(context, key)
    if base == "Null":
        return (actual is None) == (wanted[0].lower() == "true")
    if base not in _OPERATORS:
        raise UnsupportedPolicy(f"condition operator {operator!r} is not evaluated by the rehearsal")
    match, negated = _OPERATORS[base]

    def matches(value: str) -> bool:
        return any(match(p, value) for p in wanted)

    if qualifier == "ForAllValues":
        return all(matches(v) != negated for v in actual or [])
    if qualifier == "ForAnyValue":
        return any(matches(v) != negated for v in actual or [])
    if actual is None:
        return if_exists or negated
    hit = any(matches(v) for v in actual)
    return not hit if negated else hit


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    """Whether a statement's Condition element holds for a request with `context`."""
    for operator, keys in condition.items():
        for key, value in keys.items():
            if not _one(operator, key, _values(value), context):
                return False
    return True


__all__ = ["UnsupportedPolicy", "conditions_hold"]
