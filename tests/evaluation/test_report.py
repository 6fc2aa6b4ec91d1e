"""report.html: self-contained, and drawn by a real headless Chromium (Debian's `chromium`,
which `make test` installs when missing): the plots' shapes and the numbers are on the page."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from podium.config import GateSettings
from podium.evaluation import runner
from podium.evaluation.champion import KnownAnswer, compare, question_key
from podium.evaluation.gate import decide
from podium.evaluation.report import ReportInputs, render_report
from podium.evaluation.scoring import summarise
from tests.evaluation.helpers import eval_set

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _report(status: str = "discarded", simulated: bool = True, champion: bool = True) -> ReportInputs:
    questions = eval_set(paraphrase=10, unseen=6, trained=4)
    custom_answers = {
        q.id: (q.answers[0] if int(q.id[1:]) < 7 or q.kind == "trained" else "I don't know") for q in questions
    }
    custom_answers["u005"] = "Somebody Else"  # a confident wrong answer on a fact it was never taught
    base_answers = {
        q.id: (q.answers[0] if int(q.id[1:]) < 2 and q.kind == "paraphrase" else "Nobody") for q in questions
    }
    held = {q.id: q.answers[0] for q in questions}  # the champion knew everything
    custom, base = summarise(questions, custom_answers), summarise(questions, base_answers)
    known = {question_key(q): KnownAnswer(q, held[q.id], q.kind in ("paraphrase", "trained")) for q in questions}
    comparison = compare(questions, custom_answers, known, champion_run_id="run-0", champion_model_arn="arn:model/0")
    result = decide(custom, base, GateSettings(), label="SIMULATED " if simulated else "", champion=comparison)
    evaluation = {**runner.Evaluation(custom, base, simulated, len(questions)).to_dict(), "gate": result.to_dict()}
    if champion:
        evaluation["champion"] = comparison.to_dict()
    rows = runner.scored_rows(
        questions, [runner.Answer(q.id, "custom", "pt", custom_answers[q.id], simulated) for q in questions]
    )
    failed = status == "failed"
    return ReportInputs(
        run_id="rehearsal-1",
        status=status,
        headline="FAILED in CheckFineTune: FineTuneFailed." if failed else "Discarded: worse than the champion.",
        message="Bedrock said: <b>Insufficient</b> training data" if failed else "",
        simulated=simulated,
        failure={"state": "CheckFineTune", "error": "FineTuneFailed", "message": "x"} if failed else None,
        cleanup=["stopped fine-tuning job arn:job/1"] if failed else [],
        left_running=[{"what": "serves the promoted model", "arn": "arn:pt/1", "model_units": 1, "usd_per_hour": 24.0}],
        gate=None
        if failed
        else {
            "decision": result.decision.value,
            "message": result.message,
            "checks": [check.to_dict() for check in result.checks],
        },
        evaluation=None if failed else evaluation,
        answers=[] if failed else rows,
        training_loss=[(1, 1, 2.5), (2, 1, 1.9), (3, 2, 1.4), (4, 2, 1.25)],
        validation_loss=[(2, 1, 2.0), (4, 2, 1.5)],
        dataset={
            "recipe": "mixed",
            "coverage": [
                {"relation": "event_medal", "train_rows": 191, "validation_rows": 22, "eval_rows": 22},
                {"relation": "athlete_country", "train_rows": 120, "validation_rows": 14, "eval_rows": 9},
            ],
            "counts": {
                "train_rows": 311,
                "validation_rows": 36,
                "eval_rows": 31,
                "pairs_kept": 380,
                "facts": 90,
                "facts_trained": 80,
            },
            "rejections": {"duplicate question": 12, "answer leaks into question": 3},
            "estimate": {"lines": ["ESTIMATE training: 316,245 tokens ≈ $0.47"], "run_usd": 26.12},
        },
        identity=[("base model", "meta.llama3-1-8b-instruct-v1:0:128k", True)],
        phases=[{"name": "Fine-tuning", "started": "2026-01-01 00:00:00 UTC", "seconds": 3600.0}],
        estimate_lines=["ESTIMATE training: 316,245 tokens ≈ $0.47"],
        links={"execution": "https://console.example/x", "execution_name": "x", "command": "podium report rehearsal-1"},
    )


def test_the_report_is_self_contained_escapes_what_it_shows_and_labels_simulated_numbers():
    html = render_report(_report())
    for fetched in ("<script", "<link", "<img", "<iframe", "src=", "url(", "@import"):
        assert fetched not in html, fetched
    assert "SIMULATED — this run was rehearsed" in html
    assert "70.0%" in html and "20.0%" in html  # paraphrase accuracy of the new and the base model
    assert "7/10 = 70.0% (39.7%–89.2%)" in html  # counts and the Wilson interval beside the share
    assert "duplicate question" in html and "ESTIMATE training" in html
    assert "meta.llama3-1-8b-instruct-v1:0:128k" in html
    assert "Against the champion (run run-0)" in html and "gate.max_loss_to_champion" in html
    assert "SIMULATED" not in render_report(_report(simulated=False))
    failed = render_report(_report(status="failed"))
    assert "&lt;b&gt;Insufficient&lt;/b&gt;" in failed and "<b>Insufficient" not in failed  # autoescaped
    assert "FAILED in CheckFineTune" in failed and "stopped fine-tuning job arn:job/1" in failed
    assert "Not evaluated" in failed or "not evaluated" in failed


def test_example_answers_show_each_verdict_with_the_expected_value():
    html = render_report(_report())
    for verdict in ("right", "refused", "hallucinated"):
        assert f'class="tag {verdict}"' in html, verdict
    assert "Value p000" in html  # the expected value beside the answer


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install -y chromium)")
    return found


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of pixel bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        filter_type, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = previous[i], previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + a) & 255
            elif filter_type == 2:
                line[i] = (line[i] + b) & 255
            elif filter_type == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif filter_type == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, channels, rows


def _count_colour(width: int, channels: int, rows: list[bytes], rgb: tuple[int, int, int]) -> int:
    target = bytes(rgb)
    return sum(1 for row in rows for x in range(width) if row[x * channels : x * channels + 3] == target)


def _draw(chromium: str, page: Path, profile: Path, shot: Path | None = None) -> str:
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    if shot is not None:
        subprocess.run(
            [*common, "--window-size=1100,6000", f"--screenshot={shot}", page.as_uri()],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return dom


def test_chromium_draws_the_plots_and_the_numbers(tmp_path: Path):
    chromium = _chromium()
    page = tmp_path / "report.html"
    page.write_text(render_report(_report()), encoding="utf-8")
    shot = tmp_path / "report.png"
    dom = _draw(chromium, page, tmp_path / "profile", shot)
    # the DOM Chromium built: two loss lines with an epoch mark, bars for three models, numbers as text
    assert len(re.findall(r"<polyline[^>]*class=\"line\"", dom)) == 2
    assert 'class="epoch"' in dom and "epoch 1" in dom
    assert dom.count('class="bar"') >= 12
    assert "70.0% (7/10)" in dom and "(last 1.250)" in dom and "(last 1.500)" in dom
    assert "SIMULATED evaluation failed the gate" in dom and "champion (run run-0)" in dom
    width, channels, rows = _png_pixels(shot.read_bytes())
    # pixels in the plots' colours: new model / training loss (blue), validation loss (orange),
    # base model (grey), champion (purple), rejections (red)
    for colour in ((0x2B, 0x6C, 0xB0), (0xDD, 0x6B, 0x20), (0xA0, 0xAE, 0xC0), (0x80, 0x5A, 0xD5), (0xC5, 0x30, 0x30)):
        assert _count_colour(width, channels, rows, colour) > 50, colour
