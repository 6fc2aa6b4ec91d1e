"""One log line for each AWS resource Podium creates, adopts, stops or deletes, with its ARN.

A plain `logging` INFO record (no Lambda code here) whose message says what happened and
whose extra keys are always the same three, so the logs can be searched by them (README:
the CloudWatch Logs Insights query "every resource Podium created or deleted this week"):
`resource_action`, `resource_type` and `resource_arn`.
"""

from __future__ import annotations

import logging
from typing import Literal

Action = Literal["created", "adopted", "stopped", "deleted"]


def resource_changed(log: logging.Logger, action: Action, kind: str, arn: str, why: str = "") -> None:
    """`kind` as people say it ("provisioned throughput"); `why` in the notification's words."""
    log.info(
        "%s %s %s%s",
        action,
        kind,
        arn,
        f" ({why})" if why else "",
        extra={"resource_action": action, "resource_type": kind, "resource_arn": arn},
    )


__all__ = ["Action", "resource_changed"]
