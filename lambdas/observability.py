"""One Logger and Metrics for every handler, configured by the POWERTOOLS_* variables the
stack sets (service name, log level, metrics namespace).

No Powertools Tracer: its X-Ray SDK patches botocore at import, about two thirds of every
cold start's CPU (see `make bench`). Traces come from Lambda active tracing (each
invocation's Initialization/Invocation segments) joined to the Step Functions execution's
X-Ray trace; what that leaves out is a subsegment per AWS call, which CloudTrail and the
structured logs already record."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics

# Other libraries log at WARNING at most, whatever POWERTOOLS_LOG_LEVEL says: at DEBUG,
# botocore and the Databricks SDK log request and response bodies, and those carry tokens.
THIRD_PARTY_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "requests", "databricks")


def cap_third_party_loggers() -> None:
    for name in THIRD_PARTY_LOGGERS:
        library = logging.getLogger(name)
        library.setLevel(max(library.level, logging.WARNING))


cap_third_party_loggers()
logger = Logger()
metrics = Metrics()
