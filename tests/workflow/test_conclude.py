"""The Report step with in-memory adapters: report.html for every ending, and a notification a
person reads (outcome, scores, what is left running and its hourly cost, console links, the
`podium report` command), even when the report itself cannot be written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from podium.workflow.conclude import Place, conclude, failed_state, phases
from podium.workflow.events import NOTICE_BYTES, GateOutcome, LeftBilling, ReportEvent, RunOutcome
from tests.evaluation.helpers import eval_set
from tests.workflow.fakes import MemoryStore
from tests.workflow.test_evaluate import PT, Knows, _evaluate, _events

PLACE = Place(region="us-west-2", bucket="bucket", name_prefix="podium")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _history(*names: str) -> list[dict]:
    """Each state entered at a minute and left 30 s later, as get_execution_history says it."""
    events = []
    for index, name in enumerate(names):
        entered, left = T0 + timedelta(minutes=index), T0 + timedelta(minutes=index, seconds=30)
        events.append({"id": 2 * index, "timestamp": entered, "stateEnteredEventDetails": {"name": name}})
        events.append({"id": 2 * index + 1, "timestamp": left, "stateExitedEventDetails": {"name": name}})
    return events


def test_a_promoted_run_says_what_is_left_running_what_it_costs_and_where_to_look():
    questions = eval_set()
    gate, store, _, _, (run, dataset, finetune, throughput) = _evaluate(
        {"throughput": {"enabled": True}}, questions, Knows(questions)
    )
    outcome = RunOutcome(status="promoted", run_id="r1", message="Promoted arn:model/new.", throughput_arn=PT)
    event = ReportEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=gate, outcome=outcome)
    notice = conclude(event, store=store, place=PLACE, read_history=lambda arn: _history("Prepare", "Promote"))
    assert notice.status == "promoted" and not notice.failed and notice.run_id == "r1"
    assert notice.subject == "Podium run r1 promoted" and notice.subject.isascii()
    text = notice.text
    assert text.startswith("Promoted: the new model passed the gate and is now the active model.")
    assert "paraphrase accuracy: new 100.0%" in text and "base 0.0%" in text
    assert f"- {PT}: serves the promoted model (ESTIMATE $24.00 an hour)" in text
    assert "#/v2/executions/details/arn:exec" in text
    assert "https://s3.console.aws.amazon.com/s3/object/bucket?region=us-west-2&prefix=runs/r1/report.html" in text
    assert "podium report r1 --stack podium --region us-west-2" in text
    html = store.files["runs/r1/report.html"]
    assert notice.report_html_uri == "s3://bucket/runs/r1/report.html"
    assert "<td>Promotion</td>" in html and "2026-01-01 00:01:00 UTC" in html  # phases from the history
    assert "meta.llama3-1-8b-instruct-v1:0:128k" in html and "Example answers of the new model" in html


def test_a_run_refused_at_prepare_is_notified_without_a_report():
    event = ReportEvent(
        failure={"status": "failed", "error": "InvalidInput", "message": "budget_usd: bad", "cleanup": []}
    )
    store = MemoryStore()
    notice = conclude(event, store=store, place=PLACE)
    assert notice.failed and notice.status == "failed" and notice.report_html_uri is None
    assert notice.text.startswith("FAILED: InvalidInput.") and "budget_usd: bad" in notice.text
    assert store.files == {}


def test_a_dry_run_gets_a_report_and_nothing_left_running():
    run, dataset, _, _, store = _events({"dry_run": True}, eval_set())
    outcome = RunOutcome(status="dry_run", run_id="r1", message="Dry run: the dataset is valid.")
    notice = conclude(ReportEvent(run=run, dataset=dataset, outcome=outcome), store=store, place=PLACE)
    assert notice.text.startswith("Dry run: the dataset was built, validated and estimated; nothing was trained.")
    assert "Left running: nothing this run created is billed by the hour." in notice.text
    assert "Not evaluated: nothing was trained." in store.files["runs/r1/report.html"]


class BrokenReports(MemoryStore):
    def write_text(self, key, text, content_type="application/json", *, scratch=False):
        if key.endswith(".html"):
            raise PermissionError("AccessDenied on PutObject")
        return super().write_text(key, text, content_type, scratch=scratch)


def test_a_report_that_cannot_be_written_does_not_stop_the_notification():
    run, dataset, _, _, _ = _events({"dry_run": True}, eval_set())
    outcome = RunOutcome(status="dry_run", run_id="r1", message="Dry run.")
    notice = conclude(ReportEvent(run=run, dataset=dataset, outcome=outcome), store=BrokenReports(), place=PLACE)
    assert notice.report_html_uri is None
    assert "The run report could not be written: PermissionError: AccessDenied on PutObject" in notice.text


def test_the_failed_state_and_each_phase_come_from_the_history():
    history = _history("Prepare", "StartGeneration", "BuildDataset", "StartFineTune", "CheckFineTune", "Cleanup")
    assert failed_state(history) == "CheckFineTune"
    assert (
        failed_state(_history("Prepare", "BuildDataset", "DatasetDecision", "OverBudget", "Cleanup")) == "BuildDataset"
    )
    rows = {row["name"]: row for row in phases(history, T0 + timedelta(hours=1))}
    assert list(rows) == ["Prepare", "Generation", "Dataset", "Fine-tuning", "Cleanup"]
    assert rows["Fine-tuning"]["seconds"] == 90.0 and rows["Fine-tuning"]["started"] == "2026-01-01 00:03:00 UTC"


def test_what_is_left_billing_says_when_the_janitor_deletes_it():
    # A discarded model's throughput kept (keep_discarded), as ScoreEvaluation and Discarded leave it
    run, dataset, finetune, throughput, store = _events({"keep_discarded": True}, eval_set())
    kept = LeftBilling(
        kind="provisioned throughput", arn=PT, why="kept: keep_discarded is true",
        janitor_deletes_at="2026-01-01T04:00:00+00:00",
    )  # fmt: skip
    gate = GateOutcome(decision="discard", message="below the gate", left_billing=[kept])
    outcome = RunOutcome(status="discarded", run_id="r1", message="below the gate", left_billing=[kept])
    event = ReportEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=gate, outcome=outcome)
    notice = conclude(event, store=store, place=PLACE)
    (line,) = [line for line in notice.text.splitlines() if line.startswith(f"  - {PT}: ")]
    assert "the discarded model's" in line and "ESTIMATE $24.00 an hour" in line
    assert line.endswith("the janitor will delete it at 2026-01-01 04:00:00 UTC (its first run after that time)")
    assert "the janitor will delete it at 2026-01-01 04:00:00 UTC" in store.files["runs/r1/report.html"]
    # A failed run: Cleanup could not delete the throughput and kept the trained model
    refused = kept.model_copy(update={"why": "could NOT delete it (AccessDenied)"})
    model = LeftBilling(
        kind="custom model", arn="arn:model/new", why="kept: training is paid for",
        janitor_deletes_at="2026-01-01T05:00:00+00:00",
    )  # fmt: skip
    failure = {
        "status": "failed", "run_id": "r1", "error": "ThroughputNotDeleted", "message": "could NOT delete it",
        "cleanup": [], "left_billing": [refused.to_payload(), model.to_payload()],
    }  # fmt: skip
    event = ReportEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, failure=failure)
    text = conclude(event, store=store, place=PLACE).text
    (line,) = [line for line in text.splitlines() if line.startswith(f"  - {PT}: ")]
    assert "NOT deleted" in line and line.endswith(
        "the janitor will delete it at 2026-01-01 04:00:00 UTC (its first run after that time)"
    )
    assert (
        "Kept: custom model arn:model/new (kept: training is paid for; a monthly storage fee): unless a run promotes "
        "it, the janitor will delete it at 2026-01-01 05:00:00 UTC" in text
    )


def test_the_notice_stays_within_the_states_bound_and_keeps_its_links():
    run, dataset, _, _, store = _events({"dry_run": True}, eval_set())
    outcome = RunOutcome(status="dry_run", run_id="r1", message="é" * 50_000)  # cut to its own bound, 4,000 bytes
    failure = {"status": "failed", "error": "X", "message": "\x01" * 3_000, "cleanup": ['"' * 590] * 8}
    notice = conclude(ReportEvent(run=run, dataset=dataset, outcome=outcome, failure=failure), store=store, place=PLACE)
    assert len(json.dumps(notice.text)) <= NOTICE_BYTES
    assert "podium report r1 --stack podium --region us-west-2" in notice.text
    assert "#/v2/executions/details/arn:exec" in notice.text
