"""How long a Wait state waits before the next status check."""

from __future__ import annotations

from datetime import UTC, datetime

from podium.config import PollSettings


def next_poll_seconds(elapsed_seconds: float, poll: PollSettings) -> int:
    """Seconds to wait before the next check: grows with elapsed time, within [min, max]."""
    return poll.interval(elapsed_seconds)


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def as_utc(moment: datetime) -> datetime:
    """`moment` with a time zone: a naive time is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def elapsed_seconds(started_at: str, now: datetime) -> float:
    """Seconds from the ISO-8601 `started_at` (as the steps write it) to `now`."""
    return (now - as_utc(datetime.fromisoformat(started_at))).total_seconds()
