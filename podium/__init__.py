"""Podium: teach a foundation LLM new facts from structured tables, on Amazon Bedrock."""

__version__ = "0.1.0"

import logging as _logging

# A library logs, the application decides where to (Lambda's runtime, the CLI): without this a
# warning would reach stderr through logging's last-resort handler.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
