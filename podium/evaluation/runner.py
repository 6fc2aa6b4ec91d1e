"""Ask every evaluation question of the new model and of the base model, in chunks.

Lambda runs for at most 15 minutes, so Evaluate is a loop of chunk invocations: chunk i
asks questions [i × size, (i + 1) × size) of both models with bounded concurrency and
writes runs/<run_id>/eval/chunk-<i>.jsonl. A chunk whose file exists is not asked again,
so a retried or repeated invocation costs nothing. `finish` joins the chunks into
eval/answers.jsonl and scores them into eval.json.

Each question is framed as the training rows framed it (formats.Framing: InvokeModel with the
raw training prompt for prompt/completion models, Converse with the training system prompt
for conversation models), at temperature 0, so a repeated question gets the same answer.
Throttling is retried by the Asker's client (botocore's adaptive retry mode, see
adapters.factory.asker); what is still throttled after that is Throttled, and the state
machine retries the chunk later.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from podium.dataset.evalset import EvalQuestion, parse_eval_questions
from podium.dataset.formats import Framing, Prompt
from podium.evaluation.scoring import ModelScores, score_answer, summarise

CHUNK_QUESTIONS = 100  # × 2 models per invocation: 200 answers, ~2 min at 1 s each and concurrency 2
MODELS = ("custom", "base")  # the new model, then the base model it is compared with


class Throttled(Exception):
    """The model service asked us to slow down (ThrottlingException, 429): retry later."""


@dataclass(frozen=True)
class Reply:
    text: str
    simulated: bool = False  # the service said it is an emulator (rehearsal): label every score
    # How the emulator says its answers come about (its rule, what its numbers can and cannot
    # tell): eval.json's `simulation`. None from a real model.
    simulation: Mapping[str, object] | None = None


class Asker(Protocol):
    def ask(self, model_id: str, prompt: Prompt) -> Reply:
        """One answer at temperature 0, through the prompt's API (InvokeModel or Converse).
        Raises Throttled when the service still throttles after the client's retries."""
        ...


@dataclass(frozen=True)
class Answer:
    question_id: str
    model: str  # "custom" | "base"
    model_id: str
    answer: str
    simulated: bool
    simulation: Mapping[str, object] | None = field(default=None, compare=False)  # not stored a row

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
    framing: Framing,
    concurrency: int,
    progress: Callable[[int], None] | None = None,
) -> list[Answer]:
    """Ask each question of each model (name → model id), framed as in training, at most
    `concurrency` at once. Answers come back in question order, custom before base. Every
    model is asked the same way: the base model as the new one."""
    work = [(q, name, model_id) for q in questions for name, model_id in models.items()]
    done = 0
    lock = threading.Lock()

    def one(item: tuple[EvalQuestion, str, str]) -> Answer:
        nonlocal done
        question, name, model_id = item
        reply = asker.ask(model_id, framing.prompt(question.question))
        if progress is not None:
            with lock:
                done += 1
                progress(done)
        return Answer(question.id, name, model_id, reply.text, reply.simulated, reply.simulation)

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


def simulation_key(run_prefix: str) -> str:
    """Where the emulator's description of its simulated models is kept for eval.json."""
    return f"{run_prefix}eval/simulation.json"


def simulation_of(answers: Iterable[Answer]) -> dict[str, object] | None:
    """The simulated models' descriptions, by model ("custom", "base"), or None for real models."""
    described = {a.model: dict(a.simulation) for a in answers if a.simulation}
    return described or None


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
    "Throttled",
    "answers_key",
    "ask_all",
    "chunk_count",
    "chunk_key",
    "chunk_slice",
    "parse_answers",
    "read_questions",
    "render_answers",
    "score",
    "scored_rows",
    "scores_key",
    "simulation_key",
    "simulation_of",
]
