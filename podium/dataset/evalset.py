"""The evaluation set's record: the contract between the dataset builder, which writes
`eval.jsonl`, and the Evaluate step, which asks each question and scores the answer.

Each question carries the answer value(s) it is scored against, not only a sentence,
so scoring compares values (a name, a number, a date), never whole sentences.

kind:
- "paraphrase": a trained fact asked with a question template that no train or
  validation row uses (held-out template): did the model learn the fact?
- "unseen": a fact deliberately kept out of training: does the model invent an answer?
- "trained": an exact training prompt: the memorisation ceiling.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EvalKind = Literal["paraphrase", "unseen", "trained"]
EVAL_KINDS: tuple[EvalKind, ...] = ("paraphrase", "unseen", "trained")


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One evaluation question (one line of eval.jsonl).

    id:          stable within the run ("q0001"), the key raw answers are stored under
    kind:        see the module docstring
    relation:    the fact's relation, e.g. "event_medal"
    fact_id:     the fact asked about ("<relation>:<key>")
    question:    the prompt, framed as the training rows frame it
    answers:     accepted answer values; the answer is right when it states any one of
                 them (or all of them when require_all), after normalisation
    reference:   the full reference answer sentence (for people and Bedrock evaluation jobs)
    require_all: the fact has several values (e.g. two bronze medallists) that must all be named
    """

    id: str
    kind: EvalKind
    relation: str
    fact_id: str
    question: str
    answers: tuple[str, ...]
    reference: str
    require_all: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["answers"] = list(self.answers)
        row["extra"] = dict(self.extra)
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> EvalQuestion:
        kind = row["kind"]
        if kind not in EVAL_KINDS:
            raise ValueError(f"eval question {row.get('id')!r}: kind {kind!r} is not one of {EVAL_KINDS}")
        answers = row["answers"]
        if isinstance(answers, str) or not answers:
            raise ValueError(f"eval question {row.get('id')!r}: answers must be a non-empty list")
        return cls(
            id=str(row["id"]),
            kind=kind,
            relation=str(row["relation"]),
            fact_id=str(row["fact_id"]),
            question=str(row["question"]),
            answers=tuple(str(a) for a in answers),
            reference=str(row.get("reference", "")),
            require_all=bool(row.get("require_all", False)),
            extra={str(k): str(v) for k, v in (row.get("extra") or {}).items()},
        )


def render_eval_questions(questions: Iterable[EvalQuestion]) -> str:
    """eval.jsonl: one compact JSON object a line."""
    return "".join(json.dumps(q.to_json(), ensure_ascii=False) + "\n" for q in questions)


def parse_eval_questions(text: str) -> Iterator[EvalQuestion]:
    """Read eval.jsonl text; a bad line raises ValueError naming its line number."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield EvalQuestion.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"eval.jsonl line {number}: {error}") from None


def bedrock_evaluation_row(question: EvalQuestion) -> dict[str, str]:
    """The same question for Bedrock's own model-evaluation jobs (custom prompt dataset),
    which cannot hold the scoring keys: {"prompt", "referenceResponse", "category"}."""
    return {"prompt": question.question, "referenceResponse": question.reference, "category": question.relation}


__all__ = [
    "EVAL_KINDS",
    "EvalKind",
    "EvalQuestion",
    "bedrock_evaluation_row",
    "parse_eval_questions",
    "render_eval_questions",
]
