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
    """A question and its answer, tied to the fact it was made from.

    source: "template:<n>" for built-in paraphrase n of the relation, "ai_query" for an
    LLM paraphrase made on Databricks.
    """

    fact_id: str
    relation: str
    question: str
    answer: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {
            "fact_id": self.fact_id,
            "relation": self.relation,
            "question": self.question,
            "answer": self.answer,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, row: Mapping[str, object]) -> QAPair:
        return cls(**{k: str(row[k]) for k in ("fact_id", "relation", "question", "answer", "source")})
