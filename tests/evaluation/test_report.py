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
from podium.evaluation.gate import decide
from podium.evaluation.report import render_report
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


def _report_data(simulated: bool = True) -> dict:
    questions = eval_set(paraphrase=10, unseen=6, trained=4)
    custom_answers = {
        q.id: (q.answers[0] if int(q.id[1:]) < 7 or q.kind == "trained" else "I don't know") for q in questions
    }
    base_answers = {
        q.id: (q.answers[0] if int(q.id[1:]) < 2 and q.kind == "paraphrase" else "Nobody") for q in questions
    }
    custom, base = summarise(questions, custom_answers), summarise(questions, base_answers)
    gate = decide(custom, base, GateSettings(), label="SIMULATED " if simulated else "")
    evaluation = runner.Evaluation(custom, base, simulated, len(questions)).to_dict()
    return {
        "run_id": "rehearsal-1",
        "simulated": simulated,
        "dataset": {
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
            "estimate": {"lines": ["ESTIMATE training: 316,245 tokens ≈ $0.47"]},
        },
        "losses": {
            "training": [(1, 2.5), (2, 1.9), (3, 1.4), (4, 1.25)],
            "validation": [(2, 2.0), (4, 1.5)],
        },
        "evaluation": evaluation,
        "gate": gate.to_dict(),
    }


def test_the_report_is_self_contained_and_labels_simulated_numbers():
    html = render_report(_report_data())
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<link" not in html
    assert "SIMULATED — this run was rehearsed" in html
    assert "70.0%" in html and "20.0%" in html  # paraphrase accuracy of the new and the base model
    assert "duplicate question" in html and "ESTIMATE training" in html
    assert "SIMULATED" not in render_report(_report_data(simulated=False))


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


def test_chromium_draws_the_plots_and_the_numbers(tmp_path: Path):
    chromium = _chromium()
    page = tmp_path / "report.html"
    page.write_text(render_report(_report_data()), encoding="utf-8")
    profile = tmp_path / "profile"
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    # the DOM Chromium built: two loss lines, bars for both models, the numbers as text
    assert len(re.findall(r"<polyline[^>]*class=\"line\"", dom)) == 2
    assert dom.count('class="bar"') >= 10
    assert "70.0%" in dom and "(last 1.250)" in dom and "(last 1.500)" in dom
    assert "SIMULATED evaluation passed the gate" in dom

    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, "--window-size=1000,1900", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    width, channels, rows = _png_pixels(shot.read_bytes())
    # pixels in the plots' colours: new model / training loss (blue), validation loss (orange),
    # base model (grey), rejections (red)
    for colour in ((0x2B, 0x6C, 0xB0), (0xDD, 0x6B, 0x20), (0xA0, 0xAE, 0xC0), (0xC5, 0x30, 0x30)):
        assert _count_colour(width, channels, rows, colour) > 50, colour
