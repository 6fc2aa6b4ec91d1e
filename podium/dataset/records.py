"""The records passed between dataset stages. Small on purpose: they are the contract
between the fact SQL, the question templates, the Databricks job and the dataset builder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Fact:
    """One true statement read from the tables.

    relation:     the relation it belongs to, e.g. "event_medal" (a file sql/facts/<relation>.sql)
    key:          unique within the relation, stable across runs (e.g. "Judo|Men -60 kg|Bronze")
    subject:      the words a question about this fact must contain to have one answer
    answer_value: the short answer; a question must not contain it
    answer:       the full answer sentence, built from the fact, so true by construction
    slots:        named values the question templates interpolate
    """

    relation: str
    key: str
    subject: str
    answer_value: str
    answer: str
    slots: Mapping[str, str] = field(default_factory=dict)

    @property
    def fact_id(self) -> str:
        return f"{self.relation}:{self.key}"


@dataclass(frozen=True, slots=True)
class QAPair:
    """A question and its answer, tied to the fact(s) it states.

    source: "template:<n>" for built-in paraphrase n of the relation, "heldout:<n>" for a
    paraphrase reserved for evaluation, "ai_query" for an LLM paraphrase made on
    Databricks, "profile:<form>" for a packed row.
    covers: for a packed row (a profile: many facts about one subject), the ids of every
    fact its answer states; empty for a single-fact row, which states `fact_id`.
    values: the fact's answer values an evaluation accepts (eval_questions.answer_values),
    with require_all when several must all be named; empty when unknown (ai_query rows).
    parts: for a text row (texts.py, source "text:<form>"), the answer's sentences, one per
    fact: parts[i] states covers[i], so the planner can keep the sentences of the facts it
    teaches and drop the others; empty for every other row.
    """

    fact_id: str
    relation: str
    question: str
    answer: str
    source: str
    covers: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    require_all: bool = False
    parts: tuple[str, ...] = ()

    @property
    def facts_stated(self) -> tuple[str, ...]:
        return self.covers or (self.fact_id,)

    def to_json(self) -> dict[str, object]:
        row: dict[str, object] = {
            "fact_id": self.fact_id,
            "relation": self.relation,
            "question": self.question,
            "answer": self.answer,
            "source": self.source,
        }
        if self.covers:
            row["covers"] = list(self.covers)
        if self.values:
            row["values"] = list(self.values)
            row["require_all"] = self.require_all
        if self.parts:
            row["parts"] = list(self.parts)
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, object]) -> QAPair:
        # Read ~220,000 times a run (BuildDataset): positional, lists only when present.
        covers, values, parts = _strings(row, "covers"), _strings(row, "values"), _strings(row, "parts")
        if parts and len(parts) != len(covers):
            raise ValueError("parts must hold one sentence for each fact in covers")
        return cls(
            str(row["fact_id"]),
            str(row["relation"]),
            str(row["question"]),
            str(row["answer"]),
            str(row["source"]),
            covers,
            values,
            bool(row.get("require_all", False)),
            parts,
        )


def _strings(row: Mapping[str, object], name: str) -> tuple[str, ...]:
    value = row.get(name)
    if not value:
        return ()
    if not isinstance(value, list | tuple):  # a string is no list of strings
        raise ValueError(f"{name} must be a list of strings")
    return tuple(map(str, value))
