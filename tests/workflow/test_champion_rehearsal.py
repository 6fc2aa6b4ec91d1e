"""Never promote a worse model: two rehearsals into the same output folder, the second on
changed data with a model worse than the first on the questions both were asked. The second
is discarded by the comparison with the champion (the thresholds against the base model are
open), the first stays active, and every run's report.html — promoted, discarded, failed —
is drawn by a real headless Chromium with the run's base model, example answers and, where
there is one, the champion."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from podium.rehearsal import workspace
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.harness import RehearsalOptions, RunResult, rehearse
from tests.conftest import OPEN_GATE
from tests.evaluation.test_report import CHROMIUM_FLAGS

BASE_MODEL = "meta.llama3-1-8b-instruct-v1:0:128k"


def _changed_sample(sample_dir: Path, target: Path) -> Path:
    """The sample with its last medallist rows gone: a smaller dataset, most questions shared."""
    shutil.copytree(sample_dir, target)
    lines = (sample_dir / "medallists.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (target / "medallists.csv").write_text("".join(lines[:-3]), encoding="utf-8")
    return target


def _run(data: Path, out: Path, script: Script | None = None, **execution_input) -> RunResult:
    options = RehearsalOptions(
        data_dir=data, defaults={"gate": OPEN_GATE}, script=script or Script(), timeout_seconds=180
    )
    result, _ = rehearse(options, execution_input, out_dir=out, folder_per_run=True)
    return result


@pytest.fixture(scope="module")
def three_runs(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunResult]]:
    out = tmp_path_factory.mktemp("rehearsal")
    changed = _changed_sample(sample_dir, tmp_path_factory.mktemp("data") / "sample")
    first = _run(sample_dir, out)
    # the emulator's stated rule, made harder: the new model needs 5 training rows stating a fact
    # (not 3) to answer it in new words, so it learns less from the same kind of data
    second = _run(changed, out, Script(min_rows=5))
    failed = _run(changed, out, Script(job_failure="Insufficient training data"), force=True)
    return out, [first, second, failed]


def test_a_worse_challenger_is_discarded_and_the_champion_stays(three_runs):
    out, (first, second, failed) = three_runs
    assert first.outcome["status"] == "promoted"
    assert second.status == "SUCCEEDED" and second.outcome["status"] == "discarded"
    assert "gate.max_loss_to_champion" in second.outcome["message"]
    assert f"loss to the champion (run {first.run_id})" in second.notification["text"]
    scores = json.loads((out / second.run_id / "eval.json").read_text(encoding="utf-8"))
    champion = scores["champion"]
    assert champion["champion_run_id"] == first.run_id
    assert champion["shared"] >= 0.9 * champion["questions"]  # compared on answers on file
    assert champion["asked_live"] == 0 and champion["only_champion_right"] > champion["only_challenger_right"]
    (failed_check,) = [c for c in scores["gate"]["checks"] if not c["passed"]]
    assert failed_check["setting"] == "gate.max_loss_to_champion"
    # the first model stays active, in the local cloud and in the folder's memory
    assert second.active_model["run_id"] == first.run_id
    assert failed.status == "FAILED" and failed.active_model["run_id"] == first.run_id
    assert workspace.active_record(out)["run_id"] == first.run_id
    assert {e.name for e in workspace.recorded_executions(out)} == {
        r.execution_arn.rsplit(":", 1)[-1] for r in (first, second, failed)
    }


def test_every_runs_report_draws_in_chromium_with_its_base_model_examples_and_champion(three_runs, tmp_path):
    out, (first, second, failed) = three_runs
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install -y chromium)")
    doms = {}
    for name, result in (("promoted", first), ("discarded", second), ("failed", failed)):
        page = out / result.run_id / "report.html"
        doms[name] = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / name}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert BASE_MODEL in doms[name] and result.run_id in doms[name]
    for name in ("promoted", "discarded"):
        assert "Example answers of the new model" in doms[name] and 'class="tag right"' in doms[name]
        assert "SIMULATED" in doms[name]
    assert "No champion to compare with" in doms["promoted"]
    assert f"Against the champion (run {first.run_id})" in doms["discarded"]
    assert "champion right" in doms["discarded"] and "Worse than the champion beyond noise" in doms["discarded"]
    assert "FAILED in CheckFineTune: FineTuneFailed." in doms["failed"]
    assert "Insufficient training data" in doms["failed"] and "Not evaluated" in doms["failed"]


def test_runs_report_and_ask_read_the_rehearsal_folder_with_no_aws_account(three_runs, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from podium.cli import app

    out, (first, second, failed) = three_runs
    # no credentials and no network: nothing here may reach AWS
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def cli(*args: object):
        return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "220"})

    listed = cli("runs", "--rehearsal", out, "--json")
    assert listed.exit_code == 0, listed.output
    rows = {row["run_id"]: row for row in json.loads(listed.stdout)["runs"]}
    assert rows[first.run_id]["outcome"] == "promoted" and rows[second.run_id]["outcome"] == "discarded"
    assert rows[second.run_id]["champion_run_id"] == first.run_id
    assert rows[failed.run_id]["outcome"] == "failed: FineTuneFailed"
    table = cli("runs", "--rehearsal", out)
    assert "(champion " in table.stdout and "SIMULATED" in table.stdout

    saved = cli("report", second.run_id, "--rehearsal", out, "--out", tmp_path)
    assert saved.exit_code == 0, saved.output
    assert (tmp_path / f"{second.run_id}.html").read_bytes() == (out / second.run_id / "report.html").read_bytes()
    latest = cli("report", "--rehearsal", out, "--out", tmp_path, "--json")  # no run id: the latest run
    assert json.loads(latest.stdout)["run_id"] == failed.run_id

    # the champion's own training prompt, asked of the SIMULATED model its rehearsal trained
    prompt = json.loads((out / first.run_id / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])["prompt"]
    asked = cli("ask", prompt, "--rehearsal", out, "--json")
    assert asked.exit_code == 0, asked.output
    value = json.loads(asked.stdout)
    assert value["status"] == "ok" and value["simulated"] is True and value["answer"]
    assert ":provisioned-model/" in value["model_id"]
    base = json.loads(cli("ask", prompt, "--rehearsal", out, "--base", "--json").stdout)
    assert base["model_id"] == "meta.llama3-1-8b-instruct-v1:0" and base["simulated"] is True

    empty = tmp_path / "not-a-rehearsal"
    empty.mkdir()
    refused = cli("runs", "--rehearsal", empty)
    assert refused.exit_code == 1 and "podium rehearse" in refused.stderr
