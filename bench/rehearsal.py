"""The full-data rehearsal, evaluation included, timed end to end (run by `make bench`).

`podium rehearse` on the full Paris 2024 data in a fresh process, as a user runs it, twice:
the baseline without the evaluation (`{"evaluate": false}`: generate, build, train and
promote on the emulator) and the default run (evaluation included: 1,000 questions × 2
models against the SIMULATED model). Both run in the same `make bench`, so the ratio says
what the evaluation costs on this (noisy, shared) machine; the target is on the full run.

    python bench/rehearsal.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def _rehearse(data: Path, out: Path, execution_input: dict) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "podium", "rehearse", "--data", str(data), "--out", str(out)]
        + ["--input", json.dumps(execution_input)],
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started


def bench_rehearsal(data: Path) -> list[tuple[str, str, str, str]]:
    if not (data / "medals.csv").is_file():
        return [("full-data rehearsal", f"skipped: no data at {data}", "", "")]
    with tempfile.TemporaryDirectory(prefix="podium-bench-rehearsal-") as tmp:
        baseline = _rehearse(data, Path(tmp) / "baseline", {"evaluate": False})
        full = _rehearse(data, Path(tmp) / "full", {})
    return [
        (
            "full-data rehearsal, evaluation included (podium rehearse, fresh process)",
            f"{full:.1f} s; {full / baseline:.2f}× the same rehearsal without evaluation ({baseline:.1f} s)",
            f"< {TARGET_SECONDS:.0f} s",
            "meets" if full < TARGET_SECONDS else "MISSES",
        )
    ]


def main() -> int:
    from run import paris2024_dir  # bench/run.py, beside this file

    for row in bench_rehearsal(paris2024_dir()):
        print("  ".join(cell for cell in row if cell))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
