"""Errors the workflow logic raises on purpose.

A Lambda that lets one escape reports `errorType` = the class name, and the state
machine matches Retry/Catch on that exact name (Step Functions knows nothing of Python
inheritance). The names are therefore part of the contract with
`statemachine/finetune.asl.json`; renaming one is a breaking change.

Messages say what went wrong, where, and what to do; they never contain a secret.
"""

from __future__ import annotations

from podium.errors import PodiumError, cut_to_json_bytes

# What a step's error may carry to Step Functions (its Cause, kept in the execution state under
# $.error): the message, cut to this many bytes of JSON, under the original error name.
ERROR_MESSAGE_BYTES = 4_000


class WorkflowError(PodiumError):
    """Base class: a step refuses to go on. Not retried; the run is cleaned up and fails."""


class InvalidInput(WorkflowError):
    """The execution input or the deployed settings are unusable. Names the setting."""


class NoSourceData(WorkflowError):
    """The data prefix holds no CSV for the built-in generator."""


class GenerationFailed(WorkflowError):
    """The generator (built-in or the Databricks job) failed; carries its own message."""


class DatasetInvalid(WorkflowError):
    """The dataset breaks Bedrock's rules; the report names every problem."""


class OverBudget(WorkflowError):
    """The estimated cost exceeds budget_usd."""


class QuotaTooLow(WorkflowError):
    """The account's quota cannot hold what the run would create: refused before anything is spent."""


class FineTuneFailed(WorkflowError):
    """The Bedrock customization job ended Failed or Stopped; carries Bedrock's failureMessage."""


class ThroughputFailed(WorkflowError):
    """Provisioned throughput ended Failed; carries Bedrock's message."""


class ThroughputExpired(WorkflowError):
    """The run still needed its throughput when the throughput's time-to-live ran out: the budget
    counts it for that long only, so the run stops and Cleanup deletes it."""


class ThroughputNotDeleted(WorkflowError):
    """A throughput this run created and no longer wants could not be deleted: it bills hourly, so
    the run fails (Cleanup tries again) instead of ending as if nothing were left."""


class NotPromotable(WorkflowError):
    """The promotion gate refused the new model."""


class StatusUnknown(WorkflowError):
    """A status check failed transiently more times in a row than poll.max_check_failures allows."""


# Error names (Lambda errorType / Step Functions error) the ASL retries with backoff.
# Each Task in the state machine carries exactly this list; tests/workflow checks it.
TRANSIENT_ERRORS: tuple[str, ...] = (
    # Lambda service errors, as Step Functions names them for lambda:invoke
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    # the invoke itself timed out between Step Functions and Lambda (not the function's own timeout)
    "Lambda.ClientExecutionTimeoutException",
    # botocore raises service error codes as classes of that name, e.g. Bedrock's throttling
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    # podium.adapters.errors: the adapters' transient failures
    "BedrockThrottled",
    "DatabricksUnavailable",
    # Generic name for faults injected by rehearsal (`podium.rehearsal.lambda_server.Fault`)
    "TransientError",
)

# What a status check (and the throughput's creation, after training was paid for) treats as
# "status unknown, look again after the usual wait" once the Task's Retry is spent: the transient
# errors above, and failures of the Lambda invocation itself. Each counts one in the progress's
# check_failures; more than poll.max_check_failures in a row end the run with StatusUnknown.
LOOK_AGAIN_ERRORS: tuple[str, ...] = (
    *TRANSIENT_ERRORS,
    "Lambda.Unknown",  # the invocation failed without saying why
    "Sandbox.Timedout",  # the function ran out of time (a hung call, a slow cold start)
    "Runtime.ExitError",  # the runtime died (out of memory)
)

# The errors the logic raises on purpose, by name: every one is caught and reaches the
# failure notification through Cleanup.
WORKFLOW_ERRORS: tuple[str, ...] = tuple(
    cls.__name__
    for cls in (
        InvalidInput,
        NoSourceData,
        GenerationFailed,
        DatasetInvalid,
        OverBudget,
        FineTuneFailed,
        ThroughputFailed,
        ThroughputExpired,
        ThroughputNotDeleted,
        NotPromotable,
        StatusUnknown,
    )
)


def bounded(error: BaseException) -> Exception:
    """`error` as a step reports it: same name (what Retry/Catch match), message cut to
    ERROR_MESSAGE_BYTES of JSON, no stack trace — a bound on the Cause Step Functions keeps in
    the execution state, whose 256 KB overflow no Catch sees. Log the original first."""
    message = cut_to_json_bytes(str(error), ERROR_MESSAGE_BYTES)
    name, module = type(error).__name__, type(error).__module__
    own = {"__module__": module, "__str__": lambda self: str(self.args[0]) if self.args else ""}
    try:  # a subclass of the same name: `except InvalidInput` still catches what a handler reports
        kind: type[Exception] = type(name, (type(error),), own)
        reported = kind.__new__(kind)  # not its __init__, which may want more: only the message matters now
    except TypeError:  # a type that cannot be made so (pydantic's ValidationError)
        kind = type(name, (Exception,), own)
        reported = kind.__new__(kind)
    Exception.__init__(reported, message)
    return reported
