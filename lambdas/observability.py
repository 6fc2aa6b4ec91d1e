"""One Logger, Tracer and Metrics for every handler, configured by the POWERTOOLS_*
variables the stack sets (service name, log level, metrics namespace)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
