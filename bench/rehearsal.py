"""The full-data rehearsal, evaluation included, timed end to end (run by `make bench`).

`podium rehearse` on the full Paris 2024 data in a fresh process, as a user runs it: the
baseline without the evaluation (`{"evaluate": false}`: generate, build, train and promote
on the emulator) and the default run (evaluation included: 1,000 questions × 2 models
against the SIMULATED model), alternated ROUNDS times so drift on this shared machine hits
both alike; each keeps its fastest round. Wall time is what the target is on; CPU time (the
process's user + system time) and the load average say how much of it the machine's other
work took: on an idle 2-core machine the wall time is about the CPU time plus the
rehearsal's scaled-down waits (a second each).

    python bench/rehearsal.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0
ROUNDS = 2


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rehearse(data: Path, out: Path, execution_input: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `podium rehearse` in a fresh process."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "podium", "rehearse", "--data", str(data), "--out", str(out)]
        + ["--input", json.dumps(execution_input)],
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, _children_cpu() - cpu


def bench_rehearsal(data: Path, rounds: int = ROUNDS) -> list[tuple[str, str, str, str]]:
    if not (data / "medals.csv").is_file():
        return [("full-data rehearsal", f"skipped: no data at {data}", "", "")]
    baseline = full = (float("inf"), float("inf"))
    loads = []
    with tempfile.TemporaryDirectory(prefix="podium-bench-rehearsal-") as tmp:
        for number in range(rounds):
            runs = Path(tmp) / str(number)
            one = _rehearse(data, runs / "baseline", {"evaluate": False})
            baseline = (min(baseline[0], one[0]), min(baseline[1], one[1]))
            one = _rehearse(data, runs / "full", {})
            full = (min(full[0], one[0]), min(full[1], one[1]))
            loads.append(os.getloadavg()[0])
    return [
        (
            "full-data rehearsal, evaluation included (podium rehearse, fresh process; fastest of "
            f"{rounds} alternated rounds; load average {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores)",
            f"{full[0]:.1f} s ({full[1]:.1f} s CPU); {full[0] / baseline[0]:.2f}× the same rehearsal without "
            f"evaluation ({baseline[0]:.1f} s, {baseline[1]:.1f} s CPU; CPU ratio {full[1] / baseline[1]:.2f}×)",
            f"< {TARGET_SECONDS:.0f} s",
            "meets" if full[0] < TARGET_SECONDS else "MISSES",
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
