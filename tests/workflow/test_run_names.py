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


def test_tag_values_are_what_bedrock_accepts_and_plain_arns_stay_as_they_are():
    import re

    import botocore.session

    from podium.adapters.ports import TAG_VALUE_PATTERN, tag_value

    shape = botocore.session.get_session().get_service_model("bedrock").shape_for("TagValue")
    assert TAG_VALUE_PATTERN == shape.metadata["pattern"]
    plain = "arn:aws:states:us-west-2:123456789012:execution:podium-finetune:incoming-2026_12_02"
    assert tag_value(plain) == plain
    odd = "arn:aws:states:us-west-2:123456789012:execution:podium-finetune:retrain(2)!-médailles"
    sanitised = tag_value(odd)
    assert re.fullmatch(shape.metadata["pattern"], sanitised) and sanitised.endswith("retrain_2__-m_dailles")
    assert len(tag_value("x" * 300)) == 256
