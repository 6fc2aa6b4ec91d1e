"""Handlers' logging: third-party libraries never log below WARNING in Lambda."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A fresh interpreter, as a new Lambda container: the root logger at DEBUG, then the handlers'
# observability module imported, then each library logger asked what it would emit.
PROBE = """
import json, logging
logging.getLogger().setLevel(logging.DEBUG)
import lambdas.observability
names = ["botocore", "botocore.endpoint", "urllib3", "databricks", "databricks.sdk"]
print(json.dumps({n: [logging.getLogger(n).isEnabledFor(level) for level in (10, 20, 30)] for n in names}))
"""


def test_third_party_loggers_stay_at_warning_even_when_everything_else_is_debug():
    env = {**os.environ, "PODIUM_SERVICE_NAME": "probe"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    enabled = json.loads(done.stdout.strip().splitlines()[-1])
    for name, (debug, info, warning) in enabled.items():
        assert (debug, info, warning) == (False, False, True), name


# ---- metrics: CloudWatch embedded metric format (EMF) lines on stdout ----------------------


def _emf_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_handlers_metrics_are_one_emf_line_as_cloudwatch_specifies(capsys, monkeypatch):
    from lambdas.observability import Metrics

    monkeypatch.setenv("PODIUM_METRICS_NAMESPACE", "PodiumTest")
    monkeypatch.setenv("PODIUM_SERVICE_NAME", "podium-test")
    monkeypatch.delenv("PODIUM_METRICS_DISABLED", raising=False)
    metrics = Metrics()

    @metrics.log_metrics
    def handler(event, context):
        metrics.add_dimension(name="Decision", value="promote")
        metrics.add_metric(name="ModelsEvaluated", unit="Count", value=1)
        return {"ok": True}

    assert handler({}, None) == {"ok": True}
    (record,) = _emf_lines(capsys.readouterr().out)
    # The specification's shape: _aws.Timestamp in epoch milliseconds, one directive whose
    # dimension set names root keys, and every metric's value at the root.
    aws = record["_aws"]
    assert isinstance(aws["Timestamp"], int) and aws["Timestamp"] > 1_600_000_000_000
    (directive,) = aws["CloudWatchMetrics"]
    assert directive["Namespace"] == "PodiumTest"
    assert directive["Dimensions"] == [["service", "Decision"]]
    assert directive["Metrics"] == [{"Name": "ModelsEvaluated", "Unit": "Count"}]
    assert record["service"] == "podium-test" and record["Decision"] == "promote"
    assert record["ModelsEvaluated"] == 1.0
    for dimension in directive["Dimensions"][0]:
        assert isinstance(record[dimension], str)


def test_metrics_are_written_when_the_handler_raises_and_start_over_next_invocation(capsys, monkeypatch):
    from lambdas.observability import Metrics

    monkeypatch.delenv("PODIUM_METRICS_DISABLED", raising=False)
    metrics = Metrics()

    @metrics.log_metrics
    def failing(event, context):
        metrics.add_metric(name="RunsFailed", unit="Count", value=1)
        raise RuntimeError("boom")

    @metrics.log_metrics
    def quiet(event, context):
        return None

    try:
        failing({}, None)
    except RuntimeError:
        pass
    quiet({}, None)  # adds nothing: no line, and nothing left over from the failed call
    (record,) = _emf_lines(capsys.readouterr().out)
    assert record["RunsFailed"] == 1.0


def test_disabled_metrics_print_nothing_and_a_unit_cloudwatch_does_not_know_is_refused(capsys, monkeypatch):
    from lambdas.observability import Metrics

    monkeypatch.setenv("PODIUM_METRICS_DISABLED", "true")
    metrics = Metrics()
    metrics.add_metric(name="ModelsPromoted", unit="Count", value=1)
    assert metrics.flush() is None
    assert capsys.readouterr().out == ""
    try:
        metrics.add_metric(name="ModelsPromoted", unit="Counts", value=1)
    except ValueError as error:
        assert "'Counts'" in str(error) and "Count" in str(error)
    else:
        raise AssertionError("an unknown unit was accepted")


def test_the_readme_names_every_metric_and_dimension_the_handlers_publish():
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    published = set()
    for handler in (REPO / "lambdas").glob("*.py"):
        published |= set(re.findall(r'add_(?:metric|dimension)\(name="(\w+)"', handler.read_text(encoding="utf-8")))
    assert published, "no metric found: the pattern no longer matches the handlers"
    assert {name for name in published if f"`{name}`" not in readme} == set()


def test_every_handler_reports_its_error_bounded_under_its_own_name():
    # What a handler raises becomes the Cause a Catch keeps in the execution state (256 KB at most,
    # past which no Catch sees the failure): cut, with the name Retry/Catch match on kept.
    from podium.rehearsal.lambda_server import LocalContext, load_handler
    from podium.workflow.errors import ERROR_MESSAGE_BYTES, InvalidInput, bounded
    from podium.workflow.steps import STEPS

    for step in STEPS:
        assert getattr(load_handler(step), "bounded_errors", False), step.name
    reported = bounded(InvalidInput("x" * 100_000))
    assert type(reported).__name__ == "InvalidInput" and len(json.dumps(str(reported))) <= ERROR_MESSAGE_BYTES
    handler = load_handler(next(step for step in STEPS if step.name == "CheckThroughput"))
    try:
        handler({"run": "y" * 100_000}, LocalContext.for_step(STEPS[0]))
    except Exception as error:  # noqa: BLE001 - whatever the handler raised, as Lambda reports it
        assert type(error).__name__ == "ValidationError" and len(str(error)) <= ERROR_MESSAGE_BYTES
        assert error.__traceback__ is not None and error.__cause__ is None
    else:
        raise AssertionError("a malformed event must fail")
