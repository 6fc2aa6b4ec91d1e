"""Ask every evaluation question of the new model and of the base model, in chunks.

Lambda runs for at most 15 minutes, so Evaluate is a loop of chunk invocations: chunk i
asks questions [i × size, (i + 1) × size) of both models with bounded concurrency and
writes runs/<run_id>/eval/chunk-<i>.jsonl. A chunk whose file exists is not asked again,
so a retried or repeated invocation costs nothing. `finish` joins the chunks into
eval/answers.jsonl and scores them into eval.json.

The prompt framing is the training rows' framing: the question as the user turn, and for
the conversation format the same system prompt (prompt/completion rows carry none).
Temperature 0, so a repeated question gets the same answer.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from podium.dataset.evalset import EvalQuestion, parse_eval_questions
from podium.evaluation.scoring import ModelScores, score_answer, summarise

CHUNK_QUESTIONS = 100  # × 2 models per invocation: 200 answers, ~2 min at 1 s each and concurrency 2
MODELS = ("custom", "base")  # the new model, then the base model it is compared with


class Throttled(Exception):
    """The model service asked us to slow down (ThrottlingException, 429): retry later."""


@dataclass(frozen=True)
class Reply:
    text: str
    simulated: bool = False  # the service said it is an emulator (rehearsal): label every score


class Asker(Protocol):
    def ask(self, model_id: str, question: str, system: str | None) -> Reply:
        """One Converse turn at temperature 0. Raises Throttled when the service throttles."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base_seconds: float = 0.5
    max_seconds: float = 20.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: uniform in [0, min(max, base × 2^attempt)]."""
        return rand() * min(self.max_seconds, self.base_seconds * (2**attempt))


def ask_with_retry(
    asker: Asker,
    model_id: str,
    question: str,
    system: str | None,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> Reply:
    for attempt in range(policy.attempts):
        try:
            return asker.ask(model_id, question, system)
        except Throttled:
            if attempt == policy.attempts - 1:
                raise
            sleep(policy.delay(attempt))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Answer:
    question_id: str
    model: str  # "custom" | "base"
    model_id: str
    answer: str
    simulated: bool

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.question_id,
            "model": self.model,
            "model_id": self.model_id,
            "answer": self.answer,
            "simulated": self.simulated,
        }

    @classmethod
    def from_json(cls, row: Mapping[str, object]) -> Answer:
        return cls(str(row["id"]), str(row["model"]), str(row["model_id"]), str(row["answer"]), bool(row["simulated"]))


def ask_all(
    questions: Sequence[EvalQuestion],
    models: Mapping[str, str],
    asker: Asker,
    *,
    system: str | None,
    concurrency: int,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int], None] | None = None,
) -> list[Answer]:
    """Ask each question of each model (name → model id), at most `concurrency` at once.
    Answers come back in question order, custom before base."""
    work = [(q, name, model_id) for q in questions for name, model_id in models.items()]
    done = 0
    lock = threading.Lock()

    def one(item: tuple[EvalQuestion, str, str]) -> Answer:
        nonlocal done
        question, name, model_id = item
        reply = ask_with_retry(asker, model_id, question.question, system, policy, sleep)
        if progress is not None:
            with lock:
                done += 1
                progress(done)
        return Answer(question.id, name, model_id, reply.text, reply.simulated)

    if concurrency <= 1:
        return [one(item) for item in work]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, work))


# ---- chunks ------------------------------------------------------------------------------


def chunk_count(questions: int, size: int = CHUNK_QUESTIONS) -> int:
    return max(1, -(-questions // size))


def chunk_slice(chunk: int, size: int = CHUNK_QUESTIONS) -> slice:
    return slice(chunk * size, (chunk + 1) * size)


def chunk_key(run_prefix: str, chunk: int) -> str:
    return f"{run_prefix}eval/chunk-{chunk:04d}.jsonl"


def answers_key(run_prefix: str) -> str:
    return f"{run_prefix}eval/answers.jsonl"


def scores_key(run_prefix: str) -> str:
    return f"{run_prefix}eval.json"


def render_answers(answers: Iterable[Answer]) -> str:
    return "".join(json.dumps(a.to_json(), ensure_ascii=False) + "\n" for a in answers)


def parse_answers(text: str) -> list[Answer]:
    return [Answer.from_json(json.loads(line)) for line in text.splitlines() if line.strip()]


def read_questions(text: str) -> list[EvalQuestion]:
    """eval.jsonl as EvalQuestion rows. A file in Bedrock's evaluation format instead
    ({"prompt", "referenceResponse", "category"}: what BuildDataset wrote before the
    EvalQuestion record) is read as paraphrase questions scored against the whole
    reference sentence, so a run made from such a file is still evaluated, strictly."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        legacy = "referenceResponse" in json.loads(first) if first else False
    except ValueError:
        legacy = False
    if not legacy:
        return list(parse_eval_questions(text))
    questions = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=f"q{number:04d}",
                    kind="paraphrase",
                    relation=str(row.get("category") or "unknown"),
                    fact_id=f"line:{number}",
                    question=str(row["prompt"]),
                    answers=(str(row["referenceResponse"]),),
                    reference=str(row["referenceResponse"]),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"eval.jsonl line {number}: {error}") from None
    return questions


@dataclass(frozen=True)
class Evaluation:
    """Both models' scores and the raw material they came from."""

    custom: ModelScores
    base: ModelScores
    simulated: bool
    questions: int

    def to_dict(self) -> dict[str, object]:
        label = "SIMULATED — answers from the rehearsal's emulated model, not a real model" if self.simulated else ""
        return {
            "label": label,
            "simulated": self.simulated,
            "questions": self.questions,
            "models": {"custom": self.custom.to_dict(), "base": self.base.to_dict()},
        }


def score(questions: Sequence[EvalQuestion], answers: Iterable[Answer]) -> Evaluation:
    by_model: dict[str, dict[str, str]] = {name: {} for name in MODELS}
    simulated = False
    for answer in answers:
        by_model.setdefault(answer.model, {})[answer.question_id] = answer.answer
        simulated = simulated or answer.simulated
    return Evaluation(
        custom=summarise(questions, by_model["custom"]),
        base=summarise(questions, by_model["base"]),
        simulated=simulated,
        questions=len(questions),
    )


def scored_rows(questions: Sequence[EvalQuestion], answers: Iterable[Answer]) -> list[dict[str, object]]:
    """answers.jsonl rows: the answer with its question and verdict, for people to read."""
    by_id = {q.id: q for q in questions}
    rows = []
    for answer in answers:
        question = by_id[answer.question_id]
        verdict = score_answer(question, answer.answer)
        rows.append(
            {
                **answer.to_json(),
                "kind": question.kind,
                "relation": question.relation,
                "question": question.question,
                "accepted": list(question.answers),
                "correct": verdict.correct,
                "refused": verdict.refused,
                "hallucinated": verdict.hallucinated,
                "why": verdict.reason,
            }
        )
    return rows


__all__ = [
    "CHUNK_QUESTIONS",
    "MODELS",
    "Answer",
    "Asker",
    "Evaluation",
    "Reply",
    "RetryPolicy",
    "Throttled",
    "answers_key",
    "ask_all",
    "ask_with_retry",
    "chunk_count",
    "chunk_key",
    "chunk_slice",
    "parse_answers",
    "read_questions",
    "render_answers",
    "score",
    "scored_rows",
    "scores_key",
]
