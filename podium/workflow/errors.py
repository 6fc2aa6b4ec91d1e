"""Errors the workflow logic raises on purpose.

A Lambda that lets one escape reports `errorType` = the class name, and the state
machine matches Retry/Catch on that exact name (Step Functions knows nothing of Python
inheritance). The names are therefore part of the contract with
`statemachine/finetune.asl.json`; renaming one is a breaking change.

Messages say what went wrong, where, and what to do; they never contain a secret.
"""

from __future__ import annotations

from podium.errors import PodiumError


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
        NotPromotable,
        StatusUnknown,
    )
)
