"""Publish to the run-outcomes SNS topic: a text a person reads (ExecutionEnded's notice, the
janitor's report), as the state machine's Notify states publish a run's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_SUBJECT_LIMIT = 100  # SNS refuses longer subjects


class SnsNotifier:
    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        if not topic_arn:
            raise ValueError("topic_arn must be the notification topic's ARN (PODIUM_TOPIC_ARN)")
        self.topic_arn = topic_arn
        if client is None:
            import boto3

            client = boto3.client("sns")
        self._sns = client

    def publish_text(self, subject: str, text: str, attributes: Mapping[str, str] | None = None) -> None:
        """A message for people; `attributes` (e.g. the run's status) let subscriptions filter."""
        self._sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject[:_SUBJECT_LIMIT],
            Message=text,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in (attributes or {}).items()
            },
        )


__all__ = ["SnsNotifier"]
