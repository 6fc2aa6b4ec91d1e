"""Benchmarks, run by `make bench` (never by the tests).

Speed is reported as a ratio against a baseline measured in the same run on the same
file, because this shared 2-core machine is noisy: absolute seconds mean little, ratios
less noise. Memory is measured in a fresh subprocess (ru_maxrss), so one measurement
cannot inherit another's peak. The exit status is non-zero only when something crashes;
missed targets are shown in the table.

    validator throughput   validate_file vs `for line in f: json.loads(line)`   target ≥ 0.5
    validator peak memory  10,000 rows vs 1,000,000 rows                         target: no growth with size
    generate               full Paris 2024 data, Llama 3.1 8B                     target < 15 s
    Lambda assets          each asset's unzipped/zipped size vs one shared asset   largest ≤ 61.5 MB
    handler cold import    CPU time in a fresh python3.12 (fastest of 9 rounds),  no target
                           Powertools bundled and as from its Lambda layer
                           (bench/lambda_assets.py; `python bench/run.py lambda` runs only these)
                           (`python bench/run.py generate` runs only the generate timing)
    Evaluate               1,000 questions × 2 models, 1 s an answer (emulator)   target < 600 s wall
    full-data rehearsal    `podium rehearse` on the full data, evaluation included,
                           vs the same rehearsal without evaluation                 target < 60 s
                           (bench/rehearsal.py)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from podium.dataset.validate import validate_file  # noqa: E402 (after the sys.path line above)

LLAMA31 = "meta.llama3-1-8b-instruct-v1:0:128k"
LLAMA32 = "meta.llama3-2-3b-instruct-v1:0:128k"
THROUGHPUT_TARGET = 0.5
GENERATE_TARGET_SECONDS = 15.0
# Peak memory "does not grow with file size": allow this much between 10K and 1M rows
# (allocator noise; the duplicate index is bounded by the split's row cap).
MEMORY_GROWTH_TARGET_MB = 8.0


def write_rows(path: Path, rows: int, conversation: bool = False) -> None:
    """Synthetic valid rows, all different, shaped like Podium's own (≈200 bytes a row)."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(rows):
            question = f"Who won the gold medal in Event {i} (Discipline {i % 47}) at Paris 2024?"
            answer = f"The gold medal in Event {i} (Discipline {i % 47}) at Paris 2024 was won by Athlete{i} NAME."
            if conversation:
                row = {
                    "schemaVersion": "bedrock-conversation-2024",
                    "system": [{"text": "Answer questions about Paris 2024."}],
                    "messages": [
                        {"role": "user", "content": [{"text": question}]},
                        {"role": "assistant", "content": [{"text": answer}]},
                    ],
                }
            else:
                row = {"prompt": question, "completion": answer}
            handle.write(json.dumps(row) + "\n")


def baseline(path: Path) -> None:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            json.loads(line)


def best_of(repeats: int, function: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def throughput_ratio(path: Path, model_id: str, repeats: int) -> tuple[float, float, float, int]:
    """(baseline s, validator s, ratio, rows); runs interleaved so drift hits both alike."""
    base = valid = float("inf")
    rows = 0
    for _ in range(repeats):
        base = min(base, best_of(1, lambda: baseline(path)))
        started = time.perf_counter()
        result = validate_file(path, model_id)
        valid = min(valid, time.perf_counter() - started)
        rows = result.rows
        unexpected = {k: n for k, n in result.counts.items() if k != "too_many_rows"}
        if unexpected:
            raise RuntimeError(f"benchmark rows should be valid, got {unexpected}")
    return base, valid, base / valid, rows


_MEMORY_PROBE = """
import resource, sys
from podium.dataset.validate import validate_file
validate_file(sys.argv[1], sys.argv[2])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_memory_mb(path: Path, model_id: str) -> float:
    output = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path), model_id],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    ).stdout
    return int(output.strip().splitlines()[-1]) / 1024  # Linux reports KiB


def paris2024_dir() -> Path:
    override = os.environ.get("PODIUM_PARIS2024_DIR")
    return Path(override) if override else (REPO_ROOT / ".." / "shared" / "paris2024").resolve()


def time_generate(data: Path, out: Path) -> tuple[float, dict]:
    from podium.dataset.build import generate

    started = time.perf_counter()
    report = generate(data, LLAMA31, out)
    return time.perf_counter() - started, report


def main() -> int:
    results: list[tuple[str, str, str, str]] = []  # what, measured, target, verdict

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    only_lambda = sys.argv[1:] == ["lambda"]
    if sys.argv[1:] == ["generate"]:
        with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
            bench_generate(results, verdict, Path(tmp))
        print_table(results)
        return 0
    if not only_lambda:
        bench_dataset(results, verdict)
        from evaluate import bench_evaluate  # bench/evaluate.py, beside this file

        print("timing Evaluate against the emulator (1,000 questions × 2 models, 1 s an answer) ...", flush=True)
        results.extend(bench_evaluate())
        from rehearsal import bench_rehearsal  # bench/rehearsal.py, beside this file

        print("timing the full-data rehearsal, without and with the evaluation ...", flush=True)
        results.extend(bench_rehearsal(paris2024_dir()))
    import lambda_assets  # bench/ is on sys.path: this script's folder

    lambda_assets.run(results, verdict)
    print_table(results)
    return 0


def bench_dataset(results: list[tuple[str, str, str, str]], verdict: Callable[[bool], str]) -> None:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        folder = Path(tmp)
        files = {}
        for rows in (10_000, 1_000_000):
            files[rows] = folder / f"train-{rows}.jsonl"
            print(f"writing {rows:,} synthetic rows ...", flush=True)
            write_rows(files[rows], rows)
        conversation = folder / "conversation-10000.jsonl"
        write_rows(conversation, 10_000, conversation=True)

        for rows, repeats in ((10_000, 5), (1_000_000, 2)):
            print(f"timing the validator on {rows:,} rows ...", flush=True)
            base, valid, ratio, seen = throughput_ratio(files[rows], LLAMA31, repeats)
            results.append(
                (
                    f"validator throughput, {seen:,} prompt/completion rows",
                    f"{ratio:.2f}× baseline ({valid:.2f} s vs {base:.2f} s; {seen / valid:,.0f} rows/s)",
                    f"≥ {THROUGHPUT_TARGET}×",
                    verdict(ratio >= THROUGHPUT_TARGET),
                )
            )
        base, valid, ratio, seen = throughput_ratio(conversation, LLAMA32, 5)
        results.append(
            (
                f"validator throughput, {seen:,} conversation rows",
                f"{ratio:.2f}× baseline ({valid:.2f} s vs {base:.2f} s)",
                "(information)",
                "",
            )
        )

        print("measuring peak memory in subprocesses ...", flush=True)
        small, large = peak_memory_mb(files[10_000], LLAMA31), peak_memory_mb(files[1_000_000], LLAMA31)
        results.append(
            (
                "validator peak RSS, 10,000 → 1,000,000 rows",
                f"{small:.1f} MB → {large:.1f} MB (+{large - small:.1f} MB)",
                f"growth ≤ {MEMORY_GROWTH_TARGET_MB:.0f} MB",
                verdict(large - small <= MEMORY_GROWTH_TARGET_MB),
            )
        )

        bench_generate(results, verdict, folder)


def bench_generate(results: list[tuple[str, str, str, str]], verdict: Callable[[bool], str], folder: Path) -> None:
    """Times `podium generate` on the full data with the default recipe (cdk.json's is the same)."""
    data = paris2024_dir()
    if (data / "medals.csv").is_file():
        print(f"running generate on {data} ...", flush=True)
        seconds, report = time_generate(data, folder / "generated")
        counts = report["counts"]
        results.append(
            (
                "generate, full Paris 2024 data → Llama 3.1 8B",
                (
                    f"{seconds:.1f} s ({counts['facts_extracted']:,} facts, {counts['pairs_kept']:,} pairs → "
                    f"{counts['train_rows']:,}/{counts['validation_rows']:,}/{counts['eval_rows']:,} rows)"
                ),
                f"< {GENERATE_TARGET_SECONDS:.0f} s",
                verdict(seconds < GENERATE_TARGET_SECONDS),
            )
        )
        stages = ", ".join(f"{k.removesuffix('_seconds')} {v:.1f} s" for k, v in report["timings"].items())
        results.append(("  generate stages", stages, "", ""))
    else:
        results.append(("generate, full Paris 2024 data", f"skipped: no data at {data}", "", ""))


def print_table(results: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in results) for i in range(4)]
    header = ("benchmark", "measured", "target", "")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in results:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
