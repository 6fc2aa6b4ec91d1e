"""What the notifications say. The Notify / NotifyFailure states publish $.outcome /
$.failure as JSON; this module turns Step Functions' caught error into the plain words
of whoever failed (Bedrock's failureMessage, Databricks' state message, a setting name)."""

from __future__ import annotations

import json

from podium.workflow.events import CaughtError


def error_message(error: CaughtError) -> str:
    """The human message inside a caught error.

    A Lambda failure's Cause is the function's error payload as JSON
    ({"errorType", "errorMessage", "stackTrace"}); a Pass state's Cause is plain text.
    """
    cause = (error.Cause or "").strip()
    if not cause:
        return f"{error.Error} (Step Functions gave no cause)"
    try:
        payload = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(payload, dict) and isinstance(payload.get("errorMessage"), str):
        return payload["errorMessage"]
    return cause
