"""`rehearse()`: one complete local run with its files copied out, as `podium rehearse` uses it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from podium.rehearsal.harness import RehearsalOptions, rehearse


def test_a_dry_run_rehearsal_copies_the_run_files_and_leaves_no_trace(sample_dir: Path, tmp_path: Path):
    before = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "PODIUM_"))}
    seen: list[str] = []

    result, files = rehearse(
        RehearsalOptions(data_dir=sample_dir),
        {"dry_run": True},
        out_dir=tmp_path / "out",
        progress=seen.append,
    )

    assert result.status == "SUCCEEDED", result.cause
    assert result.notification["status"] == "dry_run"
    assert {path.name for path in files} >= {"train.jsonl", "validation.jsonl", "eval.jsonl", "report.json"}
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["dataset_hash"] == result.notification["dataset_hash"]
    assert seen[:2] == ["Start", "Prepare"] and seen[-1] == "Succeeded"
    after = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "PODIUM_"))}
    assert after == before  # endpoints and settings are restored
