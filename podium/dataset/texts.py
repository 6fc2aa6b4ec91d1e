"""Short single-subject texts: the `deep` recipe's way of stating a fact several times.

A fact becomes answerable to a question in new words when training stated it in many
varied phrasings (Allen-Zhu & Li, "Physics of Language Models 3.1": several short texts
per subject, sentences in varied order, the full name in every sentence). So each subject
(an event, a country's medal table, an athlete, a team, a venue, an event name) gets one
text per form in TEXT_FORMS: a prompt of its own, and one sentence per fact in a wording
of that form. Every sentence names the subject in full and states one value, and the
forms order the sentences differently (form a in the subject's natural order, b reversed,
c rotated by the subject), so no two texts read alike and any sentence can be dropped.

A text row is a QAPair with source "text:<form>", `covers` the facts it states and
`parts` their sentences (parts[i] states covers[i]): the planner keeps the sentences of
the facts it teaches (`narrowed`) and drops the rest, so a text never states a fact the
plan leaves out. Facts kept out of training for the evaluation are never stated.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from podium.dataset.records import Fact, QAPair
from podium.dataset.templates import derived_slots
from podium.dataset.wording import finish_sentence

TEXT_SOURCE = "text"
TEXT_FORMS = ("a", "b", "c")
# Answers stay short: the planner adds no fact to a subject whose text would grow past this.
MAX_TEXT_CHARS = 1_000

# Sentences per relation, one per form; each names the subject and states the value.
SENTENCES: Mapping[str, tuple[str, str, str]] = {
    "event_medal": (
        "{Value} won the {medal_phrase} in {event_label} at Paris 2024.",
        "The {medal_phrase} in {event_label} went to {value}.",
        "In {event_label}, {value} took {medal}.",
    ),
    "event_medal_day": (
        "The medals in {event_label} were awarded on {value}.",
        "{event_label} had its medal day on {value}.",
        "On {value}, {event_label} decided its medals.",
    ),
    "event_venue": (
        "The gold medal in {event_label} was decided at {value}.",
        "{Value} hosted the gold-medal session of {event_label}.",
        "{event_label} was decided at {value}.",
    ),
    "country_medal_count": (
        "{country} won {won} at Paris 2024.",
        "{country}'s {tally_noun} at the Paris 2024 Olympics was {value}.",
        "{Won} went to {country} at the 2024 Summer Olympics.",
    ),
    "athlete_medals": (
        "{athlete} won {value} at Paris 2024.",
        "At the Paris 2024 Olympics, {athlete} won {dated_medals}.",
        "{athlete}'s {medals_word} at the 2024 Summer Olympics: {value}.",
    ),
    "athlete_country": (
        "{athlete} represented {value} at Paris 2024.",
        "{athlete} competed for {value}.",
        "At the 2024 Summer Olympics, {athlete} was on {value}'s team.",
    ),
    "athlete_disciplines": (
        "{athlete} competed in {value} at Paris 2024.",
        "{athlete} took part in {value}.",
        "At the 2024 Summer Olympics, {athlete} was entered in {value}.",
    ),
    "athlete_events": (
        "{athlete}'s {events_word} at Paris 2024: {value}.",
        "{athlete} took part in {value}.",
        "At the 2024 Summer Olympics, {athlete} was entered in {value}.",
    ),
    "athlete_birth_date": (
        "{athlete} was born on {value}.",
        "{athlete}'s date of birth is {value}.",
        "Born on {value}, {athlete} competed at the 2024 Summer Olympics.",
    ),
    "athlete_height": (
        "{athlete} is listed at {value} tall.",
        "{athlete}'s listed height is {value}.",
        "{athlete} stands {value} tall, as listed for the 2024 Summer Olympics.",
    ),
    "team_roster": (
        "The {team_label} at Paris 2024 was made up of {value}.",
        "{Value} formed the {team_label}.",
        "Playing for the {team_label} at the 2024 Summer Olympics were {value}.",
    ),
    "venue_sports": (
        "{venue} hosted {value} at Paris 2024.",
        "At the Paris 2024 Olympics, {venue} staged {value}.",
        "The 2024 Summer Olympics brought {value} to {venue}.",
    ),
    "event_sport": (
        "At Paris 2024, {event} was {event_in} {value}.",
        "{event} was contested in {value} at the Paris 2024 Olympics.",
        "The event {event} belonged to {value} at the 2024 Summer Olympics.",
    ),
}


@dataclass(frozen=True)
class SubjectKind:
    name: str  # the text rows' relation: text_<name>
    prompts: tuple[str, str, str]  # one per form, over the subject's slots
    relations: tuple[str, ...]  # the relations whose facts it states, in their natural order


KINDS: Mapping[str, SubjectKind] = {
    kind.name: kind
    for kind in (
        SubjectKind(
            "event",
            (
                "Tell me about {event_label} at Paris 2024.",
                "What happened in {event_label} at the Paris 2024 Olympics?",
                "Write a short account of {event_label} at the 2024 Summer Olympics.",
            ),
            ("event_medal", "event_medal_day", "event_venue"),
        ),
        SubjectKind(
            "country",
            (
                "Tell me about {country}'s medals at Paris 2024.",
                "How did {country} do in the medal table at the Paris 2024 Olympics?",
                "Write a short summary of {country}'s medal count at the 2024 Summer Olympics.",
            ),
            ("country_medal_count",),
        ),
        SubjectKind(
            "athlete",
            (
                "Give me a short summary of {athlete} at Paris 2024.",
                "What did {athlete} do at the Paris 2024 Olympics?",
                "Write a short profile of {athlete} at the 2024 Summer Olympics.",
            ),
            (
                "athlete_medals",
                "athlete_country",
                "athlete_disciplines",
                "athlete_events",
                "athlete_birth_date",
                "athlete_height",
            ),
        ),
        SubjectKind(
            "team",
            (
                "Tell me about the {team_label} at Paris 2024.",
                "Describe the {team_label} at the Paris 2024 Olympics.",
                "Write a short note on the {team_label} at the 2024 Summer Olympics.",
            ),
            ("team_roster",),
        ),
        SubjectKind(
            "venue",
            (
                "Tell me about {venue} at Paris 2024.",
                "Describe the role of {venue} at the Paris 2024 Olympics.",
                "Write a short note on {venue} at the 2024 Summer Olympics.",
            ),
            ("venue_sports",),
        ),
        SubjectKind(
            "sport_of_event",
            (
                "Tell me about the event {event} at Paris 2024.",
                "Describe the event {event} at the Paris 2024 Olympics.",
                "Write a short note on the event {event} at the 2024 Summer Olympics.",
            ),
            ("event_sport",),
        ),
    )
}
_KIND_OF_RELATION = {relation: kind for kind in KINDS.values() for relation in kind.relations}
_MEDAL_ORDER = {"gold": 0, "silver": 1, "bronze": 2}


def subject_of(fact: Fact) -> tuple[str, str] | None:
    """(kind, subject key) of the text that states `fact`, or None for a relation no text states."""
    kind = _KIND_OF_RELATION.get(fact.relation)
    if kind is None:
        return None
    if fact.relation == "event_medal":
        return kind.name, fact.key.rsplit("|", 1)[0]  # "discipline|event|medal" → the event
    if fact.relation == "country_medal_count":
        return kind.name, fact.key.split("|", 1)[0]  # "USA|gold" → the country
    return kind.name, fact.key


def _order(fact: Fact) -> tuple[int, int, str]:
    kind = _KIND_OF_RELATION[fact.relation]
    within = _MEDAL_ORDER.get(fact.slots.get("medal", ""), 3)
    if fact.relation == "country_medal_count":
        within = {"gold": 0, "silver": 1, "bronze": 2, "total": 3}.get(fact.slots.get("kind", ""), 4)
    return kind.relations.index(fact.relation), within, fact.key


def _sentence(fact: Fact, form: int, slots: Mapping[str, str]) -> str:
    """The fact in form `form`'s wording; a form needing a slot the fact lacks (a fact from an
    older fact SQL) falls back to the first form, then to the fact's own answer."""
    for template in (SENTENCES[fact.relation][form], SENTENCES[fact.relation][0]):
        try:
            return finish_sentence(template.format_map(slots))
        except KeyError:
            continue
    return fact.answer


def _arranged(items: list[str], form: int, key: str) -> list[int]:
    """Sentence order of form `form`: natural, reversed, or rotated by the subject."""
    order = list(range(len(items)))
    if form == 1:
        return order[::-1]
    if form == 2 and len(order) > 1:
        turn = 1 + zlib.crc32(key.encode("utf-8")) % (len(order) - 1)
        return order[turn:] + order[:turn]
    return order


def text_pairs(
    facts: Iterable[Fact], *, unseen: Collection[str] = (), slots: Mapping[str, Mapping[str, str]] | None = None
) -> list[QAPair]:
    """Every subject's text in every form (see the module docstring); no text states an `unseen`
    fact. `slots`: templates.derived_slots of the facts by fact id, when the caller has them."""
    known_slots = slots or {}
    subjects: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        where = subject_of(fact)
        if where is not None and fact.fact_id not in unseen:
            subjects[where].append(fact)
    rows: list[QAPair] = []
    for (kind_name, key), stated in sorted(subjects.items()):
        kind = KINDS[kind_name]
        stated.sort(key=_order)
        slots = [known_slots.get(fact.fact_id) or derived_slots(fact) for fact in stated]
        for form, name in enumerate(TEXT_FORMS):
            sentences = [_sentence(fact, form, fact_slots) for fact, fact_slots in zip(stated, slots, strict=True)]
            order = _arranged(sentences, form, key)
            parts = tuple(sentences[i] for i in order)
            covers = tuple(stated[i].fact_id for i in order)
            try:
                question = finish_sentence(kind.prompts[form].format_map(slots[0]))
            except KeyError:  # a fact from an older fact SQL, without the slot the prompt names
                question = finish_sentence(f"Tell me about {stated[0].subject} at Paris 2024.")
            rows.append(
                QAPair(
                    fact_id=f"text_{kind_name}:{key}|{name}",
                    relation=f"text_{kind_name}",
                    question=question,
                    answer=" ".join(parts),
                    source=f"{TEXT_SOURCE}:{name}",
                    covers=covers,
                    parts=parts,
                )
            )
    return rows


def is_text(pair: QAPair) -> bool:
    return pair.source.startswith(TEXT_SOURCE + ":")


def subject_key(pair: QAPair) -> str:
    """The subject a text row describes ("text_event:Judo|Men -60 kg"), the same for all its forms."""
    return pair.fact_id.rsplit("|", 1)[0]


def sentence_lengths(pair: QAPair) -> dict[str, int]:
    """Characters each covered fact's sentence adds to the text (with its space)."""
    return {fact_id: len(part) + 1 for fact_id, part in zip(pair.covers, pair.parts, strict=True)}


def narrowed(pair: QAPair, taught: Collection[str]) -> QAPair:
    """The text row stating only the `taught` facts among those it covers, in its own order."""
    kept = [(fact_id, part) for fact_id, part in zip(pair.covers, pair.parts, strict=True) if fact_id in taught]
    parts = tuple(part for _fact_id, part in kept)
    return replace(pair, answer=" ".join(parts), covers=tuple(f for f, _part in kept), parts=parts)


__all__ = [
    "KINDS",
    "MAX_TEXT_CHARS",
    "SENTENCES",
    "TEXT_FORMS",
    "TEXT_SOURCE",
    "is_text",
    "narrowed",
    "sentence_lengths",
    "subject_key",
    "subject_of",
    "text_pairs",
]
