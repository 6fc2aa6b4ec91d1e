"""What the emulator takes from botocore's service models at runtime, rather than copying:
each operation's HTTP method and path, the constraints on its input names (length and
pattern) and the HTTP status of each error. botocore ships the same JSON models the AWS
SDKs are generated from (botocore/data/bedrock*/.../service-2.json)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

_LABEL = re.compile(r"\{([^}+]+)\+?\}")


_LOADING = threading.Lock()


@cache
def service_model(service: str) -> Any:
    # One load per service: the evaluation's first concurrent calls would otherwise each parse
    # the same large JSON model at once (functools.cache does not hold the others back).
    with _LOADING:
        return _load(service)


@cache
def _load(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@dataclass(frozen=True)
class Route:
    service: str
    operation: str
    method: str
    pattern: re.Pattern[str]  # matches the path (percent-encoded), one group per label
    labels: tuple[str, ...]
    status: int  # the success status the model declares


@cache
def route(service: str, operation: str) -> Route:
    http = service_model(service).operation_model(operation).http
    uri = http["requestUri"].split("?", 1)[0]
    labels = tuple(_LABEL.findall(uri))
    pattern = "^" + _LABEL.sub("([^/]+)", re.escape(uri).replace(r"\{", "{").replace(r"\}", "}")) + "/?$"
    return Route(service, operation, http["method"], re.compile(pattern), labels, int(http.get("responseCode", 200)))


def error_status(service: str, code: str) -> int:
    """The HTTP status botocore's model gives `code` (400 for an error it does not list)."""
    for shape in service_model(service).error_shapes:
        if shape.name == code:
            return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
    return 400


def error_codes(service: str, operation: str) -> tuple[str, ...]:
    """The errors an operation is documented to answer with."""
    return tuple(shape.name for shape in service_model(service).operation_model(operation).error_shapes)


def name_problem(service: str, operation: str, member: str, value: str) -> str | None:
    """Bedrock's wording of a constraint violation on input `member`, or None when `value`
    has the length and matches the pattern botocore's model declares for it."""
    shape = service_model(service).operation_model(operation).input_shape.members[member]
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
    pattern = shape.metadata.get("pattern")
    if low <= len(value) and (high is None or len(value) <= high) and (pattern is None or re.fullmatch(pattern, value)):
        return None
    constraints = []
    if high is not None:
        constraints.append(f"Member must have length less than or equal to {high}")
    if pattern is not None:
        constraints.append(f"Member must satisfy regular expression pattern: {pattern}")
    return f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: " + "; ".join(
        constraints
    )
