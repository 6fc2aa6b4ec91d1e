"""Evaluate against the Bedrock emulator with a simulated 1 s per answer (run by `make bench`).

1,000 evaluation questions × 2 models through the real EvaluateChunk and ScoreEvaluation
handlers, as the state machine's loop calls them, against moto's S3 and the emulator's
Converse. A throughput is billed while it waits, so the target is 10 minutes of wall
time at the default concurrency; the sequential time (one question after another) is
computed from the per-answer latency, not waited out.

    python bench/evaluate.py
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from podium.config import RunSettings  # noqa: E402 (after the sys.path line above)
from podium.dataset.evalset import EvalQuestion, render_eval_questions  # noqa: E402

QUESTIONS = 1_000
LATENCY_SECONDS = 1.0
TARGET_SECONDS = 600.0


def _invoke(step: str, event: dict[str, Any]) -> dict[str, Any]:
    from podium.rehearsal.lambda_server import LocalContext, load_handler
    from podium.workflow.steps import STEPS_BY_NAME

    spec = STEPS_BY_NAME[step]
    return load_handler(spec)(event, LocalContext.for_step(spec))


def _questions(train_text: str, count: int) -> list[EvalQuestion]:
    """`count` questions made from the training rows (trained facts, so the simulated model
    has something to know), cycling through them with a numbered suffix when there are fewer."""
    rows = [json.loads(line) for line in train_text.splitlines() if line.strip()]
    questions = []
    for n in range(count):
        row = rows[n % len(rows)]
        questions.append(
            EvalQuestion(
                id=f"q{n:04d}",
                kind="trained" if n % 5 == 0 else "paraphrase",
                relation="bench",
                fact_id=f"bench:{n % len(rows)}",
                question=row["prompt"],
                answers=(row["completion"],),
                reference=row["completion"],
            )
        )
    return questions


def bench_evaluate(sample_dir: Path = REPO_ROOT / "data" / "sample") -> list[tuple[str, str, str, str]]:
    from podium.rehearsal.bedrock_emulator.script import Script
    from podium.rehearsal.harness import Rehearsal, RehearsalOptions

    concurrency = RunSettings().eval_concurrency
    options = RehearsalOptions(data_dir=sample_dir, execute_state_machine=False, publish_metrics=False)
    with Rehearsal(options) as cloud:
        assert cloud.bedrock is not None
        cloud.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        start = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        execution = {
            "name": name,
            "id": cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}",
            "state_machine_id": cloud.state_machine_arn,
            "start_time": start,
        }
        run = _invoke("Prepare", {"input": {"throughput": {"enabled": True}}, "execution": execution})
        generation = _invoke("StartGeneration", {"run": run})
        generation = _invoke("CheckGeneration", {"run": run, "generation": generation})
        dataset = _invoke("BuildDataset", {"run": run, "generation": generation})
        finetune = _invoke("StartFineTune", {"run": run, "dataset": dataset})
        finetune = _invoke("CheckFineTune", {"run": run, "finetune": finetune})
        throughput = _invoke("CreateThroughput", {"run": run, "finetune": finetune})
        throughput = _invoke("CheckThroughput", {"run": run, "throughput": throughput})

        import boto3

        s3 = boto3.client("s3")
        train = s3.get_object(Bucket=cloud.bucket, Key=run["run_prefix"] + "train.jsonl")["Body"].read().decode()
        s3.put_object(
            Bucket=cloud.bucket,
            Key=run["run_prefix"] + "eval.jsonl",
            Body=render_eval_questions(_questions(train, QUESTIONS)).encode(),
        )
        cloud.bedrock.script.answer_latency_seconds = LATENCY_SECONDS
        state = {"run": run, "dataset": dataset, "finetune": finetune, "throughput": throughput}
        evaluation: dict[str, Any] = {"next_chunk": 0, "chunks": 0, "questions": 0, "done": False}
        started = time.perf_counter()
        invocations = 0
        while not evaluation["done"]:
            chunk_started = time.perf_counter()
            evaluation = _invoke("EvaluateChunk", {**state, "evaluation": evaluation})
            invocations += 1
            print(
                f"  chunk {evaluation['next_chunk']}/{evaluation['chunks']}: "
                f"{time.perf_counter() - chunk_started:.1f} s",
                flush=True,
            )
        gate = _invoke("ScoreEvaluation", {**state, "evaluation": evaluation})
        wall = time.perf_counter() - started
        answered = len(cloud.bedrock.answers)
    sequential = answered * LATENCY_SECONDS
    return [
        (
            f"Evaluate, {QUESTIONS:,} questions × 2 models, {LATENCY_SECONDS:.0f} s an answer (emulator)",
            f"{wall:.0f} s wall in {invocations} chunk invocations at concurrency {concurrency} "
            f"vs {sequential:,.0f} s sequential ({sequential / wall:.1f}× faster)",
            f"< {TARGET_SECONDS:.0f} s",
            "meets" if wall < TARGET_SECONDS and answered == 2 * QUESTIONS else "MISSES",
        ),
        (
            "  SIMULATED scores (emulator)",
            f"paraphrase new {gate['paraphrase_accuracy']:.1%} / base {gate['base_paraphrase_accuracy']:.1%}; "
            f"gate: {gate['decision']}",
            "",
            "",
        ),
    ]


def main() -> int:
    rows = bench_evaluate()
    for row in rows:
        print("  ".join(cell for cell in row if cell))
    return 0


if __name__ == "__main__":
    sys.exit(main())
