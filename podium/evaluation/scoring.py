"""Score an answer as a strict examiner: by the value it commits to, not by its wording.

Values are read in their common forms: names as sets of words, accents, case and
punctuation ignored ("LEDECKY Katie" is "Katie Ledecky"); counts as numbers ("183.0",
"two", "1,234"; "won no gold medals" is 0); dates by dateutil ("2024-07-27", "27 July
2024", "July 27th, 2024", "27.07.2024", "07/27/2024"; an all-numeric date that reads both
ways, 05/06/1996, is right when either reading is); heights in metres, centimetres, feet
and inches ("1.90 m", "190cm", "190 centimetres", "6 ft 3 in", "6'3\"", to the nearest inch).

The examiner's rules:
- An answer is right when it states the accepted value (each of them when `require_all`)
  and states no rival: a wrong value beside the right one is wrong ("12, 13 or 14 May
  1994" with 12 May right is wrong). A rival is another value of the same kind (date,
  height, count), or a name given in a clause that claims the asked role ("gold went to B").
- Roles: a value counts for the question only in a clause that speaks of the asked role or
  of none (gold/silver/bronze/total medals, birth), so "Wu Yu took silver; gold went to
  Cakiroglu" is wrong for the gold (Wu Yu is named for silver, Cakiroglu for gold) and for
  the silver, while "gold Xie Yu, silver A, bronze B" is right for each medal.
- Subjects: an answer to a question about an athlete that never names the athlete but names
  someone else in full ("Kim Woojin represents Korea" asked of Lee Woo Seok) speaks of another
  person: wrong even when the value is right, since the model confused the two.
- A refusal ("I don't know", "I'm not aware", "That isn't something I have information
  on", ...) that offers no value is a refusal; a hedge with a value ("Not sure, but born 12
  May 1994") is an answer and is scored as one.
- paraphrase / trained: right or wrong; a refusal is wrong.
- unseen: the fact was kept out of training, so a refusal is right, and so is the true
  value (the model may know it already); any other answer is a hallucination.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from dateutil import parser as date_parser

from podium.dataset.evalset import EVAL_KINDS, EvalQuestion

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])-?\d+(?:\.\d+)?(?!\w)")
# "won no gold medals", "did not win any medal", "none": a count of 0 in words.
_ZERO = re.compile(
    r"\bno\s+(?:(?:gold|silver|bronze|olympic)\s+)?(?:medals?|golds?|silvers?|bronzes?)\b"
    r"|\bnone\b|\b(?:did\s+not|didn'?t|never|failed\s+to)\s+win\s+(?:a|any)\b",
    re.IGNORECASE,
)

# Heights: metres ("1.90 m", "1m90"), centimetres, feet and inches ("6 ft 3 in", 6'3").
_METRIC = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(cm|centimet(?:er|re)s?|m|met(?:er|re)s?)(?![a-z])|(?<![\w.])(\d)\s*m\s*(\d{2})\b",
    re.IGNORECASE,
)
_IMPERIAL = re.compile(
    r"(?<![\w.])(\d)\s*(?:'|′|’|ft\.?|foot|feet)\s*(?:(\d{1,2}(?:\.\d+)?)\s*(?:\"|″|”|''|in\.?|inch(?:es)?)?)?(?![\w'])",
    re.IGNORECASE,
)
_CM_PER_INCH = 2.54
_HUMAN_CM = (50.0, 260.0)

# Phrases with which a model declines to state a value (matched on folded text).
_REFUSAL = re.compile(
    r"\b(?:"
    r"i (?:do not|don t|dont|did not|didn t) (?:know|have|recall|possess)"
    r"|i (?:m|am) (?:not|un)(?: \w+)? (?:sure|aware|certain|able)"
    r"|not (?:sure|aware|certain)"
    r"|(?:isn t|is not|not) something i"
    r"|i (?:have|ve got) no"
    r"|no (?:\w+ )?(?:information|data|record|records|details|knowledge)"
    r"|(?:i )?(?:cannot|can t|could not|couldn t|am unable to|m unable to|unable to|not able to)"
    r" (?:say|tell|answer|confirm|provide|find|determine|verify|give|know|recall|access)"
    r"|beyond my (?:knowledge|training)|(?:my )?knowledge cut ?off|after my (?:training|cutoff)"
    r"|unknown|not known|not available|unavailable"
    r")\b"
)

# Words that mark the role a value plays in a clause: a value counts for the question only
# in a clause that names the asked role or none ("Wu Yu took silver" names no gold winner).
_ROLES = {
    "gold": "gold",
    "golds": "gold",
    "silver": "silver",
    "silvers": "silver",
    "bronze": "bronze",
    "bronzes": "bronze",
    "total": "total",
    "overall": "total",
    "altogether": "total",
    "born": "born",
    "birth": "born",
    "birthday": "born",
    "birthdate": "born",
}
_CLAUSE_BREAK = re.compile(
    r"[.!?;:](?=\s|$)|;|,\s+|\s+(?:and|but|while|whereas|although|though|however)\s+|\s+-\s+|\s+—\s+"
)
# Capitalised words that are not names: sentence openers and the Games' own words.
_NOT_NAMES = frozenset(
    "i m ve d ll re s t the a an at in on of for from by with as after before during this that these those it its "
    "he she they his her their there here yes no not sorry unfortunately however but and also my we our "
    "based according born gold silver bronze medal medals olympic olympics olympian games summer paris "
    "men s women s mixed team event final answer perhaps maybe probably possibly january february march april "
    "may june july august september october november december".split()
)


def fold(text: str) -> str:
    """Accents dropped, case folded, every run of punctuation or space one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("œ", "oe").replace("ł", "l")
    return " ".join(re.sub(r"[^\w]+", " ", plain).replace("_", " ").split())


def words(text: str) -> list[str]:
    return fold(text).split()


# ---- values in text, with where they are -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    start: int  # offset in the text
    end: int
    readings: frozenset  # the value(s) it can mean: one date, or two for 05/06/1996; one number


def _numbers(text: str) -> list[_Found]:
    found = [_Found(m.start(), m.end(), frozenset({float(m.group().replace(",", ""))})) for m in _NUMBER.finditer(text)]
    for match in re.finditer(r"[A-Za-z]+", text):
        value = _NUMBER_WORDS.get(match.group().casefold())
        if value is not None:
            found.append(_Found(match.start(), match.end(), frozenset({float(value)})))
    found.extend(_Found(m.start(), m.end(), frozenset({0.0})) for m in _ZERO.finditer(text))
    return sorted(found, key=lambda f: f.start)


def numbers_in(text: str) -> list[float]:
    """Numbers stated in `text`: digits (with thousands commas), the words zero–twenty, and
    "no medals"/"none" as 0."""
    found = [float(match.group().replace(",", "")) for match in _NUMBER.finditer(text)]
    found.extend(float(_NUMBER_WORDS[w]) for w in words(text) if w in _NUMBER_WORDS)
    found.extend(0.0 for _ in _ZERO.finditer(text))
    return found


_TOKEN = re.compile(r"\S+")
_YEAR = re.compile(r"^(?:19|20)\d\d\W*$")
_NUMERIC_DATE = re.compile(r"^\W*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\W*$")
_DEFAULTS = (datetime(1, 1, 1), datetime(2, 2, 2))


def _parse_date(span: str, dayfirst: bool) -> date | None:
    """`span` as one complete date (year, month and day all written), or None."""
    try:
        first, second = (date_parser.parse(span, dayfirst=dayfirst, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    return first.date() if first == second else None


@lru_cache(maxsize=65536)
def _dates(text: str) -> tuple[_Found, ...]:
    """Complete dates written in `text`, read by dateutil. A date written in words ends at its
    year: the up to four words before a year are tried, longest first ("the 29th of August
    1996", "August 29th, 1996"); an all-numeric date is one word (29.08.1996, 1996-08-29)."""
    tokens = list(_TOKEN.finditer(text))
    found: list[_Found] = []
    claimed = -1  # tokens up to this index belong to a date already found
    for index, token in enumerate(tokens):
        word = token.group()
        if _NUMERIC_DATE.match(word):
            readings = {_parse_date(word.strip("().,;:"), dayfirst) for dayfirst in (True, False)} - {None}
            if readings:
                found.append(_Found(token.start(), token.end(), frozenset(readings)))
                claimed = index
            continue
        if not _YEAR.match(word):
            continue
        for first in range(max(claimed + 1, index - 4), index):
            span = text[tokens[first].start() : token.end()].rstrip(".,;:)")
            parsed = _parse_date(span, True)
            if parsed is not None:
                found.append(_Found(tokens[first].start(), token.end(), frozenset({parsed})))
                claimed = index
                break
    return tuple(found)


def dates_in(text: str) -> list[date]:
    """Dates stated in `text`, in the forms people and models write them (every reading of
    an ambiguous numeric date)."""
    return [reading for found in _dates(text) for reading in sorted(found.readings)]


def _lengths(text: str) -> list[_Found]:
    """Heights in `text` as centimetres, with the precision each form is written to (feet and
    inches: the nearest inch, so 190 cm is 6 ft 3 in). Only a person's height counts (0.5 to
    2.6 m): "100m" in an event's name is not one."""
    found = []
    for match in _METRIC.finditer(text):
        if match.group(3):  # 1m90
            value = float(match.group(3)) * 100 + float(match.group(4))
        else:
            number, unit = float(match.group(1).replace(",", ".")), match.group(2).casefold()
            value = number if unit.startswith("c") else number * 100
        if _HUMAN_CM[0] <= value <= _HUMAN_CM[1]:
            found.append(_Found(match.start(), match.end(), frozenset({(value, 0.5)})))
    for match in _IMPERIAL.finditer(text):
        inches = int(match.group(1)) * 12 + float(match.group(2) or 0)
        found.append(_Found(match.start(), match.end(), frozenset({(inches * _CM_PER_INCH, _CM_PER_INCH / 2 + 0.5)})))
    return sorted(found, key=lambda f: f.start)


# ---- what kind of value a question asks for --------------------------------------------


@dataclass(frozen=True)
class _Asked:
    kind: str  # "date" | "height" | "count" | "text"
    values: tuple  # per accepted value: a set of dates / a cm value / a number / its words


@lru_cache(maxsize=65536)
def _asked(answers: tuple[str, ...]) -> _Asked:
    def whole(found: Sequence[_Found], value: str) -> bool:  # the value is one date / height, nothing else
        return len(found) == 1 and found[0].start == 0 and found[0].end >= len(value.strip().rstrip("."))

    dates = [_dates(value) for value in answers]
    if all(whole(found, value) for found, value in zip(dates, answers, strict=True)):
        return _Asked("date", tuple(found[0].readings for found in dates))
    lengths = [_lengths(value) for value in answers]
    if all(whole(found, value) for found, value in zip(lengths, answers, strict=True)):
        return _Asked("height", tuple(next(iter(found[0].readings))[0] for found in lengths))
    numbers = [_as_number(value) for value in answers]
    if all(number is not None for number in numbers):
        return _Asked("count", tuple(numbers))
    return _Asked("text", tuple(frozenset(words(value)) for value in answers))


def _values_of_kind(asked: _Asked, answer: str, question: str) -> list[_Found]:
    """The dates, heights or counts `answer` states, less those the question itself states
    (context, not an answer). A count is never a year (1900–2100) or part of a date."""
    if asked.kind == "date":
        given = {reading for found in _dates(question) for reading in found.readings}
        return [found for found in _dates(answer) if not found.readings & given]
    if asked.kind == "height":
        return _lengths(answer)
    given_numbers = set(numbers_in(question))
    years_asked = any(1900 <= value <= 2100 for value in asked.values)
    dates = _dates(answer)
    kept = []
    for found in _numbers(answer):
        value = next(iter(found.readings))
        if any(d.start <= found.start < d.end for d in dates) or value in given_numbers:
            continue
        if 1900 <= value <= 2100 and not years_asked:
            continue
        kept.append(found)
    return kept


def _as_number(value: str) -> float | None:
    text = value.strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        folded = fold(value)
        return float(_NUMBER_WORDS[folded]) if folded in _NUMBER_WORDS else None


def _matches(kind: str, wanted: object, reading: object) -> bool:
    if kind == "date":
        return reading in wanted  # type: ignore[operator]
    if kind == "height":
        value, tolerance = reading  # type: ignore[misc]
        return abs(value - wanted) <= tolerance  # type: ignore[operator]
    return abs(float(reading) - float(wanted)) < 1e-9  # type: ignore[arg-type]


# ---- clauses and roles ------------------------------------------------------------------


def _roles(text: str) -> frozenset[str]:
    folded = words(text)
    roles = {_ROLES[w] for w in folded if w in _ROLES}
    if "in all" in " ".join(folded):
        roles.add("total")
    return frozenset(roles)


def _clauses(text: str, keep: Iterable[str] = ()) -> list[tuple[int, int, frozenset[str]]]:
    """(start, end, roles) of each clause; a name in `keep` ("Trinidad and Tobago") is never cut."""
    protected = [(m.start(), m.end()) for name in keep for m in re.finditer(re.escape(name), text, re.IGNORECASE)]
    clauses, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        if any(a < match.start() < b for a, b in protected):
            continue
        clauses.append((start, match.start()))
        start = match.end()
    clauses.append((start, len(text)))
    return [(a, b, _roles(text[a:b])) for a, b in clauses if text[a:b].strip()]


def _clause_at(clauses: list[tuple[int, int, frozenset[str]]], offset: int) -> tuple[int, int, frozenset[str]]:
    for clause in clauses:
        if clause[0] <= offset < clause[1]:
            return clause
    return clauses[-1] if clauses else (0, 0, frozenset())


def is_refusal(answer: str) -> bool:
    """The answer declines to answer (it may still offer a value: see score_answer)."""
    folded = fold(answer)
    return not folded or _REFUSAL.search(folded) is not None


# ---- the verdict ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    correct: bool  # counts toward accuracy (for unseen: refused or stated the true value)
    stated_value: bool  # the answer states the accepted value(s) for the asked role
    refused: bool  # declined, offering no value
    hallucinated: bool  # unseen only: a confident answer without the true value
    reason: str = ""  # why, in words, for people reading answers.jsonl


_WORD_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")


def _is_name(word: str, known: frozenset[str]) -> bool:
    parts = set(fold(word).split())
    return word[0].isupper() and not parts <= _NOT_NAMES and not parts <= known


def _names(text: str, known: frozenset[str]) -> list[str]:
    """Capitalised words of `text` that are names: not sentence openers, not the Games' own
    words, not words the question or the reference answer uses."""
    return [fold(match.group()) for match in _WORD_TOKEN.finditer(text) if _is_name(match.group(), known)]


# Question openers that are capitalised but never a subject's name.
_OPENERS = frozenset("tell what which who whom whose when where how give name list did does do is was were".split())
_NAME_GAP = re.compile(r"[\s'’-]*")


def _other_subject(question: EvalQuestion, answer: str) -> str | None:
    """For a question about an athlete (relation athlete_*): the full name (two capitalised
    words or more, known to neither the question nor its reference) that a clause stating the
    value speaks of, when the answer never names the asked athlete; None otherwise."""
    if not question.relation.startswith("athlete_"):
        return None
    values = frozenset().union(*(words(value) for value in question.answers))
    subject = {name for name in _names(question.question, values) if name not in _OPENERS}
    if not subject or subject & set(words(answer)):
        return None
    known = frozenset(words(question.question)) | frozenset(words(question.reference)) | values
    for start, end, _ in _clauses(answer):
        clause = answer[start:end]
        if not any(states_value(clause, value) for value in question.answers):
            continue
        runs: list[list[str]] = []  # names written one after another ("Kim Woojin")
        last: int | None = None  # where the previous word, a name, ended
        for match in _WORD_TOKEN.finditer(clause):
            if not _is_name(match.group(), known):
                last = None
                continue
            if last is not None and _NAME_GAP.fullmatch(clause[last : match.start()]):
                runs[-1].append(match.group())
            else:
                runs.append([match.group()])
            last = match.end()
        full = next((run for run in runs if len(run) >= 2), None)
        if full:
            return " ".join(full)
    return None


def _judge_text(
    question: EvalQuestion,
    answer: str,
    asked: _Asked,
    clauses: list[tuple[int, int, frozenset[str]]],
    asked_roles: frozenset[str],
    counts: Callable[[int], bool],
) -> tuple[bool, bool, bool, str]:
    """_judge for names and other words: each accepted value must be in a clause that speaks
    of the asked role (or of none); a clause that claims the asked role for other names is a rival."""
    everything = set(words(answer))
    in_clause = [(set(words(answer[a:b])), counts(a), roles) for a, b, roles in clauses]
    other_roles_only = any(roles and not counts(a) for a, _, roles in clauses)

    def stated_one(value: frozenset[str]) -> bool:
        if any(value <= clause and addressed for clause, addressed, _ in in_clause):
            return True
        return value <= everything and not any(value <= clause for clause, _, _ in in_clause) and not other_roles_only

    found = [stated_one(value) for value in asked.values]
    stated = all(found) if question.require_all else any(found)
    known = (
        frozenset(words(question.question)) | frozenset(words(question.reference)) | frozenset().union(*asked.values)
    )
    rival = any(
        roles & asked_roles and not any(value <= clause for value in asked.values) and _names(answer[a:b], known)
        for (a, b, roles), (clause, _, _) in zip(clauses, in_clause, strict=True)
    )
    named = any(value <= everything for value in asked.values)
    offered = named or bool(_names(answer, known))
    if stated and rival:
        return True, True, True, "a rival is named for the asked role beside the right value"
    if stated:
        return True, False, True, "states the accepted value"
    if named:
        return False, rival, True, "names the value for another role"
    return False, rival, offered, "does not state the accepted value"


def _judge(question: EvalQuestion, answer: str, roles: bool = True) -> tuple[bool, bool, bool, str]:
    """(stated, rival, offered a value, reason) for `answer` to `question`; without `roles`,
    a value counts wherever it is."""
    asked = _asked(question.answers)
    asked_roles = _roles(question.question) if roles else frozenset()
    if roles and asked.kind == "count" and not asked_roles & {"gold", "silver", "bronze"}:
        asked_roles = asked_roles | {"total"}
    clauses = _clauses(answer, keep=[v for v in question.answers if " and " in v or ", " in v])

    def counts(offset: int) -> bool:  # the clause at `offset` speaks of the asked role, or of none
        roles = _clause_at(clauses, offset)[2]
        return not asked_roles or not roles or bool(roles & asked_roles)

    if asked.kind == "text":
        return _judge_text(question, answer, asked, clauses, asked_roles, counts)

    occurrences = _values_of_kind(asked, answer, question.question)
    addressed = [f for f in occurrences if counts(f.start)]
    hits = [[any(_matches(asked.kind, wanted, r) for r in f.readings) for wanted in asked.values] for f in addressed]
    found = [any(row[i] for row in hits) for i in range(len(asked.values))]
    stated = bool(found) and (all(found) if question.require_all else any(found))
    rival = any(not any(row) for row in hits)
    if stated and rival:
        return True, True, True, f"another {asked.kind} beside the right one"
    if stated:
        return True, False, True, "states the accepted value"
    if rival:
        return False, True, True, f"states a wrong {asked.kind}"
    if occurrences:
        return False, False, True, f"states the {asked.kind} for another role"
    return False, False, False, f"states no {asked.kind}"


def score_answer(question: EvalQuestion, answer: str) -> Verdict:
    """The examiner's verdict on one answer (see the module docstring)."""
    stated, rival, offered, reason = _judge(question, answer)
    if stated and not rival:
        someone_else = _other_subject(question, answer)
        if someone_else:
            stated, reason = False, f"speaks of {someone_else}, never of the athlete asked about"
    right = stated and not rival
    refused = is_refusal(answer) and not offered
    if refused:
        reason = "refused"
    if question.kind == "unseen":
        correct = right or refused
        return Verdict(correct, right, refused, not correct, reason)
    return Verdict(right, right, refused, False, reason)


def states_value(answer: str, value: str) -> bool:
    """Does `answer` state `value` (in any clause, in any of its common forms)?"""
    probe = EvalQuestion("probe", "trained", "", "", "", (value,), "")
    return _judge(probe, answer, roles=False)[0]


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


def verdicts(questions: Iterable[EvalQuestion], answers: Mapping[str, str]) -> dict[str, Verdict]:
    """Each question's verdict (question id → Verdict) for one model's `answers` (question id →
    answer text). A question without an answer is scored as an empty answer (a refusal):
    missing answers never raise a score."""
    return {question.id: score_answer(question, answers.get(question.id, "")) for question in questions}


def summarise(questions: Iterable[EvalQuestion], answers: Mapping[str, str]) -> ModelScores:
    """Tallies of one model's `answers` (question id → answer text), by kind and relation."""
    questions = list(questions)
    by_id = verdicts(questions, answers)
    by_kind: dict[str, Tally] = {kind: Tally() for kind in EVAL_KINDS}
    by_relation: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for question in questions:
        verdict = by_id[question.id]
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
    "verdicts",
]
