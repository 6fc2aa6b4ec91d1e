"""One Logger, Tracer and Metrics for every handler, configured by the POWERTOOLS_*
variables the stack sets (service name, log level, metrics namespace)."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer

# Other libraries log at WARNING at most, whatever POWERTOOLS_LOG_LEVEL says: at DEBUG,
# botocore and the Databricks SDK log request and response bodies, and those carry tokens.
THIRD_PARTY_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "requests", "databricks")


def cap_third_party_loggers() -> None:
    for name in THIRD_PARTY_LOGGERS:
        library = logging.getLogger(name)
        library.setLevel(max(library.level, logging.WARNING))


cap_third_party_loggers()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
