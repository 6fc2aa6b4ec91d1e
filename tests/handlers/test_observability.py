"""Handlers' logs and metrics (lambdas/observability.py): Powertools' Logger and Metrics, one
JSON line per record with the run's keys, podium's own records included, and the README
naming every metric a handler publishes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.rehearsal.lambda_server import FunctionLogs, LocalContext
from podium.workflow.steps import STEPS_BY_NAME
from tests.published_metrics import published_metrics

REPO = Path(__file__).resolve().parents[2]


def _fresh_interpreter(probe: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={**os.environ, "POWERTOOLS_METRICS_NAMESPACE": "Probe", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


# A new Lambda container: the runtime's own handler on the root logger (set up before the
# handler module is imported), the root at DEBUG, then the handlers' observability module.
THIRD_PARTY_PROBE = """
import json, logging
logging.getLogger().setLevel(logging.DEBUG)
import lambdas.observability
names = ["botocore", "botocore.endpoint", "urllib3", "databricks", "databricks.sdk"]
print(json.dumps({n: [logging.getLogger(n).isEnabledFor(level) for level in (10, 20, 30)] for n in names}))
"""


def test_third_party_loggers_stay_at_warning_even_when_everything_else_is_debug():
    done = _fresh_interpreter(THIRD_PARTY_PROBE, POWERTOOLS_SERVICE_NAME="probe")
    enabled = json.loads(done.stdout.strip().splitlines()[-1])
    for name, (debug, info, warning) in enabled.items():
        assert (debug, info, warning) == (False, False, True), name


LINES_PROBE = """
import logging, sys
runtime = logging.StreamHandler(sys.stderr)  # what Lambda's runtime puts on the root logger
logging.getLogger().addHandler(runtime)
logging.getLogger().setLevel(logging.INFO)
from lambdas.observability import correlate, step_handler
from podium.rehearsal.lambda_server import LocalContext
from podium.workflow.steps import STEPS_BY_NAME
from tests.published_metrics import published_metrics

@step_handler("CheckFineTune")
def handler(event, context):
    correlate(run_id="run-1", execution_arn="arn:aws:states:us-west-2:1:execution:m:run-1")
    logging.getLogger("podium.workflow.fine_tune").info("job %s is still training", "arn:job")
    return {}

handler({}, LocalContext.for_step(STEPS_BY_NAME["CheckFineTune"]))
"""


@pytest.mark.parametrize("service", ["podium", "podium-rehearsal"])
def test_a_podium_record_is_one_json_line_with_the_runs_keys_and_never_a_second_copy(service: str):
    # "podium" as deployed (the service's logger is podium's parent), another name as rehearsed
    done = _fresh_interpreter(LINES_PROBE, POWERTOOLS_SERVICE_NAME=service)
    (line,) = [line for line in done.stdout.splitlines() if "still training" in line]
    record = json.loads(line)
    assert record["message"] == "job arn:job is still training"
    assert record["level"] == "INFO" and record["service"] == service
    assert record["step"] == "CheckFineTune" and record["run_id"] == "run-1"
    assert record["execution_arn"] == "arn:aws:states:us-west-2:1:execution:m:run-1"
    assert record["name"] == "podium.workflow.fine_tune"
    assert record["function_name"] == "podium-CheckFineTune" and record["function_request_id"]
    # RFC 3339 in UTC: Lambda's JSON log format reads the level and time of such a line only
    assert record["timestamp"].endswith("+00:00") and "T" in record["timestamp"]
    assert "still training" not in done.stderr  # the runtime's root handler got no duplicate


# ---- in this process: the rehearsal's sink, as the local Lambda runtime uses it ------------


@pytest.fixture
def logs() -> Iterator[FunctionLogs]:
    import lambdas.observability  # noqa: F401 - gives the podium logger its handler

    sink = FunctionLogs()
    sink.attach()
    yield sink


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The handlers' shared Metrics, empty before and after (Powertools keeps them module-wide)."""
    from lambdas.observability import metrics

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def _context(step: str) -> LocalContext:
    return LocalContext.for_step(STEPS_BY_NAME[step])


def test_a_failing_step_logs_its_reason_in_the_notifications_words_then_raises(logs: FunctionLogs):
    from lambdas.observability import correlate, step_handler
    from podium.workflow.errors import OverBudget

    says = "estimated cost $212.40 is over budget_usd $150.00; raise budget_usd or lower epochCount"

    @step_handler("BuildDataset")
    def refusing(event, context):
        correlate(run_id="r-9", execution_arn="arn:aws:states:us-west-2:1:execution:m:r-9")
        raise OverBudget(says)

    with pytest.raises(OverBudget):
        refusing({}, _context("BuildDataset"))
    (record,) = [r for r in logs.records() if r.get("error")]
    assert record["level"] == "ERROR" and record["error"] == "OverBudget"
    assert record["message"] == f"BuildDataset failed: OverBudget: {says}"
    assert (record["step"], record["run_id"]) == ("BuildDataset", "r-9")


def test_a_transient_failure_is_a_warning_and_the_next_invocation_starts_without_the_last_runs_keys(
    logs: FunctionLogs,
):
    from lambdas.observability import correlate, logger, step_handler
    from podium.adapters.errors import BedrockThrottled

    @step_handler("CheckThroughput")
    def throttled(event, context):
        correlate(run_id="r-1", execution_arn="arn:1")
        raise BedrockThrottled("read provisioned throughput arn:t", "ThrottlingException", "Rate exceeded")

    @step_handler("Janitor")
    def sweep(event, context):
        logger.info("swept")

    with pytest.raises(BedrockThrottled):
        throttled({}, _context("CheckThroughput"))
    sweep({}, _context("Janitor"))
    failed, swept = logs.records()
    assert failed["level"] == "WARNING" and "to be retried" in failed["message"]
    assert "Rate exceeded" in failed["message"]
    assert swept["step"] == "Janitor" and "run_id" not in swept and "execution_arn" not in swept


# ---- metrics: CloudWatch embedded metric format (EMF) lines on stdout ----------------------


def _emf_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def test_a_counted_event_is_its_own_emf_line_and_its_dimension_stays_off_the_other_metrics(
    capsys: pytest.CaptureFixture[str], metrics
):
    from lambdas.observability import count, step_handler

    @step_handler("ScoreEvaluation")
    def score(event, context):
        count("ModelsEvaluated", Decision="promote")
        metrics.add_metric(name="ParaphraseAccuracy", unit="Percent", value=71.4)
        return {"ok": True}

    assert score({}, _context("ScoreEvaluation")) == {"ok": True}
    counted, flushed = _emf_lines(capsys.readouterr().out)
    # The specification's shape: _aws.Timestamp in epoch milliseconds, a directive whose
    # dimension sets name root keys, and every metric's value at the root.
    for record in (counted, flushed):
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        # POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME, as the module was imported
        assert directive["Namespace"] == metrics.provider.namespace and record["service"] == metrics.provider.service
        assert isinstance(record["_aws"]["Timestamp"], int) and record["_aws"]["Timestamp"] > 1_600_000_000_000
    assert counted["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Decision", "service"]]
    assert counted["Decision"] == "promote" and counted["ModelsEvaluated"] == [1.0]
    assert flushed["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert flushed["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": "ParaphraseAccuracy", "Unit": "Percent"}]
    assert "Decision" not in flushed and flushed["ParaphraseAccuracy"] == [71.4]


def test_disabled_metrics_print_nothing(capsys: pytest.CaptureFixture[str], metrics, monkeypatch):
    from lambdas.observability import count, step_handler

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    @step_handler("Promote")
    def promote(event, context):
        count("RunsEnded", Outcome="promoted")
        metrics.add_metric(name="ModelsPromoted", unit="Count", value=1)

    promote({}, _context("Promote"))
    assert _emf_lines(capsys.readouterr().out) == []


# ---- the README documents what the handlers publish ------------------------------------------


def test_the_readme_names_every_metric_and_dimension_the_handlers_publish():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    published = published_metrics()
    assert {"RunsEnded", "RunSeconds", "RunsFailed", "ModelsEvaluated", "ThroughputHours"} <= set(published)
    assert published["RunsEnded"] == {"Outcome"} and published["RunsFailed"] == {"Error"}
    names = set(published) | {d for dimensions in published.values() for d in dimensions}
    assert {name for name in names if f"`{name}`" not in readme} == set()


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
