"""Every handler's error reaches Step Functions bounded in size (podium.workflow.errors.bounded):
a Catch keeps its Cause in the execution state, and a state past 256 KB fails the execution
where no Catch, hence no Cleanup, sees it. The full error is logged first."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from podium.errors import PodiumError
from podium.workflow.errors import bounded

logger = logging.getLogger("podium")

Handler = Callable[[dict[str, Any], Any], Any]


def bounded_errors(handler: Handler) -> Handler:
    """Decorator for a Lambda handler: an error leaves it under its own name, its message cut."""

    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        except PodiumError as error:  # refused on purpose: its message says it all
            logger.warning("step failed: %s: %s", type(error).__name__, error)
            raise bounded(error) from None
        except Exception as error:
            logger.exception("step failed: %s", type(error).__name__)
            raise bounded(error) from None

    wrapper.bounded_errors = True  # type: ignore[attr-defined]  # tests check every handler has it
    return wrapper
