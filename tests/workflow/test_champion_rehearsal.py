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
    # the same emulator rule, but the new model knows fewer of the facts it was trained on
    second = _run(changed, out, Script(known_share=0.5))
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
