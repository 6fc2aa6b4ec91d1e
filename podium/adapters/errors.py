"""Errors the adapters raise on purpose.

A Lambda handler that lets one of these escape reports it with `errorType` = the class
name, and the state machine's Retry/Catch match on that exact name (Step Functions
does not know Python's inheritance). So each class is a decision for the ASL:

- `*Throttled` / `*Unavailable`: transient; Retry with backoff.
- `*Rejected` / `*Conflict`: the service refused the request; retrying the same
  request cannot help. Catch → cleanup → the notification carries the message.
"""

from __future__ import annotations

from podium.errors import PodiumError


class BedrockRejected(PodiumError):
    """Bedrock refused the request (validation, access, quota, missing resource).

    `code` is Bedrock's error code (e.g. "ValidationException"); the message is Bedrock's
    own words, verbatim, after a short prefix saying what was being attempted.
    """

    def __init__(self, action: str, code: str, message: str) -> None:
        self.action, self.code, self.service_message = action, code, message
        super().__init__(f"Bedrock refused to {action}: {code}: {message}")


class BedrockThrottled(PodiumError):
    """Bedrock throttled the call or had a transient internal error: retry later."""

    def __init__(self, action: str, code: str, message: str) -> None:
        self.action, self.code, self.service_message = action, code, message
        super().__init__(f"Bedrock throttled {action} ({code}): {message}")


class BedrockConflict(PodiumError):
    """A resource with the run's deterministic name exists but was made from a different request."""


class DatabricksRejected(PodiumError):
    """Databricks refused the request (auth, permissions, unknown job/warehouse, failed SQL)."""


class DatabricksUnavailable(PodiumError):
    """Databricks was unreachable, rate-limited or timed out: retry later."""


__all__ = [
    "BedrockConflict",
    "BedrockRejected",
    "BedrockThrottled",
    "DatabricksRejected",
    "DatabricksUnavailable",
]
