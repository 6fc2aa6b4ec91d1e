"""What the rehearsal summary says about provisioned throughput left behind."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from podium.rehearsal import console as show
from podium.rehearsal.harness import RunResult


def _said(result: RunResult) -> str:
    buffer = io.StringIO()
    printer = Console(file=buffer, width=200)
    show._print_throughputs(lambda *parts: printer.print(*parts), result, None)
    return buffer.getvalue()


def _failed(cleanup: list[str]) -> RunResult:
    return RunResult(
        status="FAILED",
        execution_arn="arn:execution",
        output=None,
        error="ThroughputFailed",
        cause="x",
        notifications=[{"status": "failed", "text": "FAILED in CheckThroughput: ThroughputFailed."}],
        states=["Prepare", "CreateThroughput", "Cleanup"],
        final_state={"failure": {"status": "failed", "error": "ThroughputFailed", "message": "x", "cleanup": cleanup}},
    )


def test_the_summary_says_cleanup_deleted_a_throughput_only_when_it_did():
    deleted = _failed(["deleted provisioned throughput arn:pt/x (created by this run, never promoted)"])
    assert "Cleanup deleted the one this run created" in _said(deleted)
    none = _failed(["nothing to clean up: this run had no running job, throughput or deployment"])
    said = _said(none)
    assert "Cleanup deleted" not in said and "the run failed before one was created" in said


def test_only_the_state_machines_steps_are_failure_targets():
    targets = show.fail_targets()
    assert "CheckFineTune" in targets and "Janitor" not in targets and "ExecutionEnded" not in targets


def _dataset_said(report: dict) -> str:
    buffer = io.StringIO()
    printer = Console(file=buffer, width=300)
    show._print_dataset(lambda *parts: printer.print(Text.assemble(*parts)), report)
    return buffer.getvalue()


def test_the_summary_lists_the_source_tables_disagreements_like_generate():
    found = {"check": "medal count", "table": "medals_total.csv", "key": "BEL|bronze"}
    found |= {"values": {"medals.csv": "1", "medals_total.csv": "0"}, "used": "medals.csv"}
    said = _dataset_said({"disagreements": [found], "reconciliation": "checked by the builtin generator"})
    assert (
        "Source tables disagree (1): medal count BEL|bronze: medals.csv 1, medals_total.csv 0 (used medals.csv)" in said
    )
    assert "no disagreement found" in _dataset_said({"disagreements": [], "reconciliation": "checked"})
    not_run = _dataset_said({"disagreements": None, "reconciliation": "not run: the databricks generator …"})
    assert "Source tables: not run: the databricks generator" in not_run
