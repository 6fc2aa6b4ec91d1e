"""Errors answered the way Bedrock answers them, and botocore's checks of member names."""

from __future__ import annotations

from podium.rehearsal import service_model


class BedrockError(Exception):
    """An error answered the way Bedrock answers it: HTTP status (from botocore's model of
    `service`) + x-amzn-ErrorType."""

    def __init__(self, code: str, message: str, service: str = "bedrock") -> None:
        super().__init__(message)
        self.code, self.message, self.service = code, message, service

    @property
    def status(self) -> int:
        return service_model.error_status(self.service, self.code)


def check_member(operation: str, member: str, value: str) -> None:
    problem = service_model.name_problem("bedrock", operation, member, value)
    if problem:
        raise BedrockError("ValidationException", problem)


def check_tags(tags: object) -> None:
    """Each tag key and value against botocore's TagKey/TagValue shapes (length and pattern), as
    Bedrock checks them: Step Functions allows characters in an execution name that a tag refuses."""
    import re

    model = service_model.service_model("bedrock")
    for tag in tags or []:  # type: ignore[attr-defined]
        for member, shape_name in (("key", "TagKey"), ("value", "TagValue")):
            value, shape = str(tag.get(member, "")), model.shape_for(shape_name)
            low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
            pattern = shape.metadata.get("pattern")
            if (
                len(value) < low
                or (high is not None and len(value) > high)
                or (pattern and not re.fullmatch(pattern, value))
            ):
                raise BedrockError(
                    "ValidationException",
                    f"1 validation error detected: Value '{value}' at 'tags.{member}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {pattern} and length {low}-{high}",
                )
