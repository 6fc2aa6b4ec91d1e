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
