"""Logs and metrics for every handler, with the standard library only.

Logs: `logger` is a plain `logging` logger. The stack sets each function's log format to
JSON (Lambda's advanced logging controls), so the Lambda runtime writes every record as one
JSON object with its timestamp, level, requestId and any `extra=` keys, and filters by the
function's application log level. No logging library is bundled for that.

Metrics: `metrics` writes CloudWatch embedded metric format (EMF) lines to stdout, which
CloudWatch Logs turns into metrics in the PODIUM_METRICS_NAMESPACE namespace, each with a
`service` dimension (PODIUM_SERVICE_NAME) plus the handler's own. PODIUM_METRICS_DISABLED=true
(rehearsal) prints nothing.

Why not Powertools: its Logger and Metrics were a fifth of every function's cold import
(see `make bench`) for the two small things above. Its Tracer was dropped earlier for the
same reason: traces come from Lambda active tracing joined to the Step Functions trace.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

# Other libraries log at WARNING at most, whatever level the function logs at: at DEBUG,
# botocore and the Databricks SDK log request and response bodies, and those carry tokens.
THIRD_PARTY_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "requests", "databricks")

# The embedded metric format's limits (CloudWatch docs, "Specification: Embedded metric format").
MAX_METRICS = 100
MAX_DIMENSIONS = 30
# CloudWatch's StandardUnit values that Podium uses; anything else is refused when added.
UNITS = frozenset({"Count", "Seconds", "Milliseconds", "Percent", "None"})

Handler = TypeVar("Handler", bound=Callable[..., Any])


def cap_third_party_loggers() -> None:
    for name in THIRD_PARTY_LOGGERS:
        library = logging.getLogger(name)
        library.setLevel(max(library.level, logging.WARNING))


class Metrics:
    """Metrics of one invocation, written as one EMF line when the handler returns or raises."""

    def __init__(self) -> None:
        self._metrics: dict[str, tuple[float, str]] = {}
        self._dimensions: dict[str, str] = {}

    def add_metric(self, name: str, unit: str, value: float) -> None:
        if unit not in UNITS:
            raise ValueError(f"metric {name!r}: unit {unit!r} is not one of {sorted(UNITS)}")
        if name not in self._metrics and len(self._metrics) >= MAX_METRICS:
            raise ValueError(f"metric {name!r}: an EMF line holds at most {MAX_METRICS} metrics")
        self._metrics[name] = (float(value), unit)

    def add_dimension(self, name: str, value: str) -> None:
        # `service` is always there, hence the - 1
        if name not in self._dimensions and len(self._dimensions) >= MAX_DIMENSIONS - 1:
            raise ValueError(f"dimension {name!r}: a metric has at most {MAX_DIMENSIONS} dimensions")
        self._dimensions[name] = str(value)

    def flush(self) -> dict[str, Any] | None:
        """Write the EMF line (unless disabled) and start over; returns the record written."""
        metrics, dimensions = self._metrics, self._dimensions
        self._metrics, self._dimensions = {}, {}
        if not metrics or os.environ.get("PODIUM_METRICS_DISABLED", "").lower() == "true":
            return None
        dimensions = {"service": os.environ.get("PODIUM_SERVICE_NAME", "podium"), **dimensions}
        record: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": os.environ.get("PODIUM_METRICS_NAMESPACE", "Podium"),
                        "Dimensions": [list(dimensions)],
                        "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
                    }
                ],
            },
            **dimensions,
            **{name: value for name, (value, _) in metrics.items()},
        }
        sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        return record

    def log_metrics(self, handler: Handler) -> Handler:
        """Decorator: what the handler added is written when it returns, and when it raises."""

        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            finally:
                self.flush()

        return wrapper  # type: ignore[return-value]


cap_third_party_loggers()
logger = logging.getLogger("podium")
metrics = Metrics()
