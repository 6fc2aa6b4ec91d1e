"""Podium: teach a foundation LLM new facts from structured tables, on Amazon Bedrock."""

__version__ = "0.1.0"
