"""A burst of objects under incoming/ starts one run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from podium.workflow.uploads import execution_name_for, start_for_upload

T0 = datetime(2026, 3, 1, 9, 3, 5, tzinfo=UTC)


def _event(moment: datetime, key: str) -> dict:
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "time": moment.isoformat().replace("+00:00", "Z"),
        "detail": {"bucket": {"name": "b"}, "object": {"key": key}},
    }


def test_a_sync_of_many_files_within_a_window_starts_one_execution():
    started: list[str] = []

    def start_execution(name: str) -> str | None:
        if name not in started:
            started.append(name)
        return f"arn:execution:{name}"  # Step Functions answers a repeat with the running execution

    results = [
        start_for_upload(_event(T0 + timedelta(seconds=i), f"incoming/part-{i}.csv"), start_execution=start_execution)
        for i in range(200)
    ]
    assert started == ["incoming-20260301T0900Z"]
    assert {r["execution_arn"] for r in results} == {"arn:execution:incoming-20260301T0900Z"}
    assert results[5]["object"] == "incoming/part-5.csv"


def test_windows_are_ten_minutes_of_utc():
    assert execution_name_for(datetime(2026, 3, 1, 9, 9, 59, tzinfo=UTC)) == "incoming-20260301T0900Z"
    assert execution_name_for(datetime(2026, 3, 1, 9, 10, tzinfo=UTC)) == "incoming-20260301T0910Z"
    assert execution_name_for(datetime(2026, 3, 1, 11, 10, tzinfo=timedelta_tz(2))) == "incoming-20260301T0910Z"


def timedelta_tz(hours: int):
    from datetime import timezone

    return timezone(timedelta(hours=hours))


def test_an_upload_after_the_windows_run_ended_starts_the_next_run_and_later_ones_join_it():
    ended = {"incoming-20260301T0900Z"}
    running: list[str] = []

    def start_execution(name: str) -> str | None:
        if name in ended:
            return None  # ExecutionAlreadyExists: that run has finished
        if name not in running:
            running.append(name)
        return f"arn:execution:{name}"

    results = [
        start_for_upload(_event(T0 + timedelta(seconds=i), f"incoming/late-{i}.csv"), start_execution=start_execution)
        for i in range(3)
    ]
    assert running == ["incoming-20260301T0900Z-2"]
    assert {r["execution_arn"] for r in results} == {"arn:execution:incoming-20260301T0900Z-2"}
    ended.add("incoming-20260301T0900Z-2")
    again = start_for_upload(_event(T0, "incoming/later.csv"), start_execution=start_execution)
    assert again["execution_name"] == "incoming-20260301T0900Z-3"
