"""Step Functions' caught error in the plain words of whoever failed (Bedrock's failureMessage,
Databricks' state message, a setting name): what $.failure, and so the notification the Report
step writes (podium.workflow.conclude), says."""

from __future__ import annotations

import json

from podium.workflow.events import CaughtError


def error_message(error: CaughtError) -> str:
    """The human message inside a caught error.

    A Lambda failure's Cause is the function's error payload as JSON
    ({"errorType", "errorMessage", "stackTrace"}); a Pass state's Cause is plain text.
    """
    return cause_message(error.Cause) or f"{error.Error} (Step Functions gave no cause)"


def cause_message(cause: str | None) -> str:
    """The errorMessage inside a Lambda failure's Cause, else the Cause as it is ("" if none)."""
    text = (cause or "").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        return text
    if isinstance(payload, dict) and isinstance(payload.get("errorMessage"), str):
        return payload["errorMessage"]
    return text
