"""Score an answer by the value it states, not by its wording.

Normalisation: Unicode accents dropped, case folded, punctuation to spaces; names
compared as sets of words, so "LEDECKY Katie" and "Katie Ledecky" agree; numbers
compared as numbers ("183.0" is 183, "two" is 2, "1,234" is 1234); dates compared as
dates ("2024-07-27", "27 July 2024", "July 27, 2024", "27/07/2024").

A question's verdict:
- paraphrase / trained: right when the answer states the accepted value (all of them
  when `require_all`); a refusal is wrong.
- unseen: the fact was kept out of training, so a refusal is right, and so is the true
  value (the model may know it already); any other answer is a hallucination.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from podium.dataset.evalset import EVAL_KINDS, EvalQuestion

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+(\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")  # day/month/year, as in Paris
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])-?\d+(?:\.\d+)?(?!\w)")

# Phrases with which a model declines to state a value (checked on normalised text).
_REFUSALS = (
    "i don t know",
    "i do not know",
    "i m not sure",
    "i am not sure",
    "not sure",
    "i don t have",
    "i do not have",
    "no information",
    "not aware",
    "i cannot",
    "i can t",
    "unable to",
    "i couldn t find",
    "i could not find",
    "unknown",
    "no record",
    "not available",
    "don t have access",
    "beyond my knowledge",
    "after my knowledge cutoff",
    "knowledge cutoff",
)


def fold(text: str) -> str:
    """Accents dropped, case folded, every run of punctuation or space one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("œ", "oe").replace("ł", "l")
    return " ".join(re.sub(r"[^\w]+", " ", plain).replace("_", " ").split())


def words(text: str) -> list[str]:
    return fold(text).split()


def numbers_in(text: str) -> list[float]:
    """Numbers stated in `text`: digits (with thousands commas) and the words zero–twenty."""
    found = [float(match.group().replace(",", "")) for match in _NUMBER.finditer(text)]
    found.extend(float(_NUMBER_WORDS[w]) for w in words(text) if w in _NUMBER_WORDS)
    return found


def dates_in(text: str) -> list[date]:
    """Dates stated in `text`, in the forms people and models write them."""
    lowered = unicodedata.normalize("NFKD", text).casefold()
    found: list[date] = []
    candidates = [(int(y), int(m), int(d)) for y, m, d in _ISO_DATE.findall(lowered)]
    candidates += [(int(y), _MONTHS[m], int(d)) for d, m, y in _DAY_MONTH_YEAR.findall(lowered)]
    candidates += [(int(y), _MONTHS[m], int(d)) for m, d, y in _MONTH_DAY_YEAR.findall(lowered)]
    candidates += [(int(y), int(m), int(d)) for d, m, y in _SLASH_DATE.findall(lowered)]
    for year, month, day in candidates:
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue
    return found


def _as_number(value: str) -> float | None:
    text = value.strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        folded = fold(value)
        return float(_NUMBER_WORDS[folded]) if folded in _NUMBER_WORDS else None


def states_value(answer: str, value: str) -> bool:
    """Does `answer` state `value`? Dates as dates, numbers as numbers, anything else as a
    set of words (so name order and case do not matter)."""
    value_dates = dates_in(value)
    if value_dates:
        return value_dates[0] in dates_in(answer)
    number = _as_number(value)
    if number is not None:
        return any(abs(found - number) < 1e-9 for found in numbers_in(answer))
    wanted = words(value)
    if not wanted:
        return False
    stated = set(words(answer))
    return all(word in stated for word in wanted)


def is_refusal(answer: str) -> bool:
    folded = fold(answer)
    return not folded or any(f" {phrase} " in f" {folded} " for phrase in _REFUSALS)


@dataclass(frozen=True, slots=True)
class Verdict:
    correct: bool  # counts toward accuracy (for unseen: refused or stated the true value)
    stated_value: bool  # the answer states the accepted value(s)
    refused: bool
    hallucinated: bool  # unseen only: a confident answer without the true value


def score_answer(question: EvalQuestion, answer: str) -> Verdict:
    check = all if question.require_all else any
    stated = check(states_value(answer, value) for value in question.answers)
    refused = is_refusal(answer) and not stated
    if question.kind == "unseen":
        return Verdict(
            correct=stated or refused, stated_value=stated, refused=refused, hallucinated=not (stated or refused)
        )
    return Verdict(correct=stated, stated_value=stated, refused=refused, hallucinated=False)


@dataclass
class Tally:
    questions: int = 0
    correct: int = 0
    refused: int = 0
    hallucinated: int = 0

    def add(self, verdict: Verdict) -> None:
        self.questions += 1
        self.correct += verdict.correct
        self.refused += verdict.refused
        self.hallucinated += verdict.hallucinated

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.questions if self.questions else None

    @property
    def hallucination_rate(self) -> float | None:
        return self.hallucinated / self.questions if self.questions else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "questions": self.questions,
            "correct": self.correct,
            "refused": self.refused,
            "hallucinated": self.hallucinated,
            "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
            "hallucination_rate": None if self.hallucination_rate is None else round(self.hallucination_rate, 4),
        }


@dataclass
class ModelScores:
    """One model's tallies: by kind, and by kind × relation."""

    by_kind: dict[str, Tally]
    by_kind_relation: dict[str, dict[str, Tally]]

    def accuracy(self, kind: str) -> float | None:
        tally = self.by_kind.get(kind)
        return tally.accuracy if tally else None

    def hallucination_rate(self, kind: str = "unseen") -> float | None:
        tally = self.by_kind.get(kind)
        return tally.hallucination_rate if tally else None

    def to_dict(self) -> dict[str, object]:
        return {
            "by_kind": {kind: tally.to_dict() for kind, tally in self.by_kind.items()},
            "by_kind_relation": {
                kind: {relation: tally.to_dict() for relation, tally in sorted(relations.items())}
                for kind, relations in self.by_kind_relation.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ModelScores:
        def tally(row: Mapping[str, object]) -> Tally:
            return Tally(*(int(row[k]) for k in ("questions", "correct", "refused", "hallucinated")))  # type: ignore[call-overload]

        by_kind = {kind: tally(row) for kind, row in data["by_kind"].items()}  # type: ignore[attr-defined]
        by_kind_relation = {
            kind: {relation: tally(row) for relation, row in relations.items()}
            for kind, relations in data["by_kind_relation"].items()  # type: ignore[attr-defined]
        }
        return cls(by_kind, by_kind_relation)


def summarise(questions: Iterable[EvalQuestion], answers: Mapping[str, str]) -> ModelScores:
    """Tallies of one model's `answers` (question id → answer text). A question without an
    answer is scored as an empty answer (a refusal): missing answers never raise a score."""
    by_kind: dict[str, Tally] = {kind: Tally() for kind in EVAL_KINDS}
    by_relation: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for question in questions:
        verdict = score_answer(question, answers.get(question.id, ""))
        by_kind[question.kind].add(verdict)
        by_relation[question.kind][question.relation].add(verdict)
    kinds = {kind: tally for kind, tally in by_kind.items() if tally.questions}
    return ModelScores(kinds, {kind: dict(relations) for kind, relations in by_relation.items()})


__all__ = [
    "ModelScores",
    "Tally",
    "Verdict",
    "dates_in",
    "fold",
    "is_refusal",
    "numbers_in",
    "score_answer",
    "states_value",
    "summarise",
]
