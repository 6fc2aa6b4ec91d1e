"""Logs and metrics for every handler: Powertools for AWS Lambda's Logger and Metrics,
configured by the POWERTOOLS_* variables the stack sets (stacks.functions.lambda_environment):
POWERTOOLS_SERVICE_NAME (the `service` key of every line and dimension of every metric),
POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_LOG_LEVEL (Lambda's own application log level,
which the stack sets too, takes precedence). The rehearsal sets POWERTOOLS_METRICS_DISABLED.

podium/ logs with the standard library (`logging.getLogger(__name__)`: no Lambda code there).
Its records take this Logger's handler and formatter, so every line of an invocation, the
handler's or podium's, is one JSON object with the same keys: the Lambda context, `step`,
and once the handler has read its typed event, the run's `run_id` and `execution_arn`.

No Tracer: Lambda active tracing already puts each invocation in the Step Functions
execution's X-Ray trace; the Tracer would add a subsegment per AWS call, for the X-Ray SDK
in every bundle and its botocore patching in every cold start (README, Lambda).
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from podium.errors import PodiumError
from podium.workflow.errors import TRANSIENT_ERRORS, bounded
from podium.workflow.polling import elapsed_seconds, utc_now

if TYPE_CHECKING:
    from podium.workflow.events import RunContext

# Other libraries log at WARNING at most, whatever level the function logs at: at DEBUG,
# botocore and the Databricks SDK log request and response bodies, and those carry tokens.
THIRD_PARTY_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "requests", "databricks")
PODIUM_LOGGER = "podium"  # the parent of every podium module's logger

Handler = TypeVar("Handler", bound=Callable[..., Any])


def cap_third_party_loggers() -> None:
    for name in THIRD_PARTY_LOGGERS:
        library = logging.getLogger(name)
        library.setLevel(max(library.level, logging.WARNING))


def step_handler(step: str) -> Callable[[Handler], Handler]:
    """What every handler wears: the Lambda context on each line (a fresh set of keys per
    invocation), the `step` key, this invocation's metrics written when it returns or raises,
    and a failure logged with its reason before Lambda reports it. The reason is the error's
    message, which is what the failure notification says (Cleanup reads it from the Cause)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def in_step(event: Any, context: Any) -> Any:
            logger.append_keys(step=step)
            try:
                return handler(event, context)
            except Exception as error:
                name = type(error).__name__
                if name in TRANSIENT_ERRORS:  # the state machine tries the step again
                    logger.warning("%s failed, to be retried: %s: %s", step, name, error, extra={"error": name})
                else:
                    # an error raised on purpose says it all; anything else keeps its traceback here,
                    # as what Lambda reports below carries none
                    unexpected = not isinstance(error, PodiumError)
                    logger.error("%s failed: %s: %s", step, name, error, extra={"error": name}, exc_info=unexpected)
                # Reported under its own name with its message cut: a Catch keeps it in the execution
                # state, which past 256 KB fails where no Catch (so no Cleanup) sees it.
                raise bounded(error) from None

        with_metrics = metrics.log_metrics(in_step)
        wrapped = logger.inject_lambda_context(with_metrics, clear_state=True)
        wrapped.bounded_errors = True  # type: ignore[attr-defined]  # tests check every handler reports so
        return wrapped  # type: ignore[no-any-return]

    return decorate


def correlate(run: RunContext | None = None, *, run_id: str | None = None, execution_arn: str | None = None) -> None:
    """The run's keys on every following line of this invocation, from its typed event."""
    if run is not None:
        run_id, execution_arn = run.run_id, run.execution_arn
    logger.append_keys(run_id=run_id, execution_arn=execution_arn)  # None: the key is left out


def run_ended(outcome: str, run: RunContext | None) -> None:
    """The run ends here with `outcome` (a RunOutcome status, or failed / timed_out / aborted)."""
    count("RunsEnded", Outcome=outcome)
    if run is not None:
        metrics.add_metric(name="RunSeconds", unit="Seconds", value=elapsed_seconds(run.started_at, utc_now()))


def count(name: str, **dimensions: str) -> None:
    """One occurrence of `name`, with its own dimensions, written at once as its own EMF line.
    The invocation's `metrics` share one dimension set, and a Decision on ModelsEvaluated must
    not become a dimension of the accuracies beside it. (Powertools' single_metric does the
    same but writes even when POWERTOOLS_METRICS_DISABLED is set.)"""
    occurrence = EphemeralMetrics(namespace=metrics.provider.namespace, service=metrics.provider.service)
    for key, value in dimensions.items():
        occurrence.add_dimension(name=key, value=value[:250])
    occurrence.add_metric(name=name, unit=MetricUnit.Count, value=1)
    occurrence.flush_metrics()


# RFC 3339 timestamps: Lambda's JSON log format takes a line's level and time only then.
# `name` is the standard library logger's (podium.workflow.cleanup, ...).
logger = Logger(utc=True, use_rfc3339=True, name="%(name)s")
metrics = Metrics()
logging.getLogger(PODIUM_LOGGER)  # registered now, so the copy below finds it
copy_config_to_registered_loggers(source_logger=logger, include={PODIUM_LOGGER})
cap_third_party_loggers()
# Most invocations publish no metric (a status check that waits again): that is no news.
warnings.filterwarnings("ignore", message="No application metrics to publish")
