"""Names derived from the run id."""

from __future__ import annotations

from podium.workflow.run_names import RUN_ID_MAX, custom_model_name, job_name, run_id_for, throughput_name
from tests.workflow.runs import execution_arn


def test_run_ids_are_short_safe_and_distinct():
    long_name = "Nightly_Retrain::" + "x" * 70
    run_id = run_id_for(long_name, execution_arn(long_name), "2026-01-01T00:00:00Z")
    assert len(run_id) <= RUN_ID_MAX
    assert set(run_id) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert run_id_for("___", execution_arn("___"), "2026-01-01T00:00:00Z").startswith("run-")
    for make in (job_name, custom_model_name, throughput_name):
        assert len(make("p" * 21, run_id)) <= 63


def test_names_that_sanitise_alike_and_a_reused_name_get_different_run_ids():
    start = "2026-01-01T00:00:00.000Z"
    weekly = run_id_for("Weekly Retrain", execution_arn("Weekly Retrain"), start)
    hyphenated = run_id_for("weekly-retrain", execution_arn("weekly-retrain"), start)
    assert weekly.startswith("weekly-retrain-") and hyphenated.startswith("weekly-retrain-")
    assert weekly != hyphenated
    # The same name (hence ARN) again after Step Functions' 90-day window: a new start time.
    reused = run_id_for("weekly-retrain", execution_arn("weekly-retrain"), "2026-04-15T00:00:00.000Z")
    assert reused != hyphenated
    # $$.Execution.StartTime and an EventBridge event's startDate (epoch ms) agree.
    assert run_id_for("w", execution_arn("w"), "2026-01-01T00:00:00Z") == run_id_for(
        "w", execution_arn("w"), "2026-01-01T00:00:00.000+00:00"
    )
