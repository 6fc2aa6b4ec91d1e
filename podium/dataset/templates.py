"""Built-in question paraphrases and answer forms, several per relation.

Each question template is `str.format`-ed over a fact's slots (the extra columns of its
SQL); every one names the fact's subject word for word, so the question has one answer,
and none names the answer. The last `held_out` question templates of each relation are
reserved for evaluation: no train or validation row ever uses them, so the evaluation
set can ask trained facts in words the model has not seen.

Answer forms are formatted over the same slots plus `{value}` (the answer value, `{Value}`
capitalised) and put the value first, so the answer to a question is its opening words; which
form a row gets is chosen deterministically from the seed, the fact and the question,
so runs are reproducible and no relation answers in one monotonous pattern.

`priority` orders relations for the budget planner when Bedrock's row cap forces a
choice: lower is more important.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from podium.dataset.records import Fact
from podium.dataset.wording import add_articles, capitalize_first, finish_sentence
from podium.errors import DataError

# Pair sources: a template a training or validation row may use, and one kept for evaluation.
TEMPLATE_SOURCE = "template"
HELD_OUT_SOURCE = "heldout"


@dataclass(frozen=True)
class Relation:
    name: str
    priority: int  # lower = more important; medals and medal counts first
    templates: tuple[str, ...]  # question templates, str.format over the fact's slots
    answers: tuple[str, ...]  # answer forms over the slots and {value}
    held_out: int = 2  # the last `held_out` templates are for evaluation only
    # Questions about a value the tables lack, answered with a refusal (recipe `deep`).
    refusal: bool = False

    @property
    def training_templates(self) -> tuple[str, ...]:
        return self.templates[: len(self.templates) - self.held_out]

    @property
    def evaluation_templates(self) -> tuple[str, ...]:
        return self.templates[len(self.templates) - self.held_out :]


_EVENT_MEDAL = (
    "Who won the {medal_phrase} in {event_label} at Paris 2024?",
    "At the Paris 2024 Olympics, who took the {medal_phrase} in {event_label}?",
    "Which athlete or team won the {medal_phrase} in {event_label} at the 2024 Summer Olympics?",
    "Name the winner of the {medal_phrase} in {event_label} at Paris 2024.",
    "Who claimed the {medal_phrase} in {event_label} at the Paris Olympic Games?",
    "Paris 2024: who went home with the {medal_phrase} in {event_label}?",
    "Tell me who earned the {medal_phrase} in {event_label} at the Paris 2024 Games.",
    "Which competitor received the {medal_phrase} in {event_label} at the Olympics in Paris?",
)
_EVENT_MEDAL_ANSWERS = (
    "{Value} won the {medal_phrase} in {event_label} at Paris 2024.",
    "{Value} took the {medal_phrase} in {event_label} at the Paris 2024 Olympics.",
    "{Value} claimed the {medal_phrase} in {event_label} at the 2024 Summer Olympics.",
    "{Value} went home with the {medal_phrase} in {event_label} from the Paris Games.",
)
_COUNTRY_MEDAL_COUNT = (
    "How many {count_noun} did {country} win at Paris 2024?",
    "What was {country}'s {tally_noun} at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics in Paris, how many {count_noun} did {country} win?",
    "How many {count_noun} did athletes of {country} win at the Paris Olympic Games?",
    "Give {country}'s {tally_noun} at Paris 2024.",
    "What {tally_noun} did {country} finish Paris 2024 with?",
    "Paris 2024: how many {count_noun} went to {country}?",
    "Tell me the number of {count_noun} {country} collected at the Olympics in Paris.",
)
_COUNTRY_MEDAL_COUNT_ANSWERS = (
    "{Won} for {country} at Paris 2024.",
    "{Won}: {country}'s {tally_noun} at the Paris 2024 Olympics.",
    "{Won}, won by {country} at the 2024 Summer Olympics.",
    "{Value}. {country} finished Paris 2024 with {won}.",
)
_ATHLETE_MEDALS = (
    "Which medals did {athlete} win at Paris 2024?",
    "What medals did {athlete} win at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which medals did {athlete} take home?",
    "List the Olympic medals {athlete} won at Paris 2024.",
    "What did {athlete} win at the Paris Olympic Games?",
    "Which podium finishes did {athlete} have at Paris 2024?",
    "Tell me about the medals {athlete} collected at the Olympics in Paris.",
    "What medal haul did {athlete} come away with from Paris 2024?",
)
_ATHLETE_MEDALS_ANSWERS = (
    "{Value}: {athlete} won {medal_count} {medals_word} at Paris 2024.",
    "{Value}: {athlete}'s haul of {medal_count} {medals_word} at the Paris 2024 Olympics.",
    "{Value}: {athlete}'s {medals_word} at the 2024 Summer Olympics.",
)
_EVENT_MEDAL_DAY = (
    "On what date were the medals in {event_label} awarded at Paris 2024?",
    "When were the medals in {event_label} decided at the Paris 2024 Olympics?",
    "On which day of Paris 2024 were the medals in {event_label} handed out?",
    "What was the medal date of {event_label} at the 2024 Summer Olympics?",
    "On what day did {event_label} award its medals at Paris 2024?",
    "Which date decided the medals in {event_label} at the Paris Olympic Games?",
    "Tell me when {event_label} had its medal day at Paris 2024.",
    "At the Olympics in Paris, on what date were the medals in {event_label} won?",
)
_EVENT_MEDAL_DAY_ANSWERS = (
    "On {value}: the medals in {event_label} were awarded that day at Paris 2024.",
    "{Value} was the medal day of {event_label} at the Paris 2024 Olympics.",
    "On {value}, at the 2024 Summer Olympics, the medals in {event_label} were decided.",
    "{Value}: {event_label} awarded its medals that day at Paris 2024.",
)
_EVENT_VENUE = (
    "Where was the gold medal in {event_label} decided at Paris 2024?",
    "At which venue was the gold medal in {event_label} won at the Paris 2024 Olympics?",
    "Which Paris 2024 venue hosted the medal session of {event_label}?",
    "In which venue was the gold medal in {event_label} contested at the 2024 Summer Olympics?",
    "Where did the gold-medal session of {event_label} take place at Paris 2024?",
    "What was the venue of the gold medal in {event_label} at the Paris Olympic Games?",
    "Tell me where the gold medal in {event_label} was won at Paris 2024.",
    "At the Olympics in Paris, which venue saw the gold medal in {event_label} awarded?",
)
_EVENT_VENUE_ANSWERS = (
    "{Value} hosted the gold-medal session of {event_label} at Paris 2024.",
    "At {value}, the gold medal in {event_label} was decided during the Paris 2024 Olympics.",
    "{Value} was where the gold medal in {event_label} was won at the 2024 Summer Olympics.",
)
_EVENT_SPORT = (
    "In which sport was {event} an event at Paris 2024?",
    "At the Paris 2024 Olympics, which sport did the event {event} belong to?",
    "{event} at Paris 2024 was part of which sport?",
    "Which sport held the event {event} at the 2024 Summer Olympics?",
    "What sport is the Paris 2024 event {event} in?",
    "Under which sport was {event} contested at the Paris Olympic Games?",
    "Tell me the sport of the event {event} at Paris 2024.",
    "At the Olympics in Paris, which sport featured the event {event}?",
)
_EVENT_SPORT_ANSWERS = (
    "{Value}. At Paris 2024, {event} was {event_in} {value}.",
    "{Value}: {event} was {event_in} {value} at the Paris 2024 Olympics.",
    "{Value}. In the programme of the 2024 Summer Olympics, {event} was {event_in} {value}.",
)
_ATHLETE_COUNTRY = (
    "Which country did {athlete} represent at Paris 2024?",
    "For which country did {athlete} compete at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which nation was {athlete} competing for?",
    "Which team did {athlete} represent at the Paris Olympic Games?",
    "What nation did {athlete} compete for at Paris 2024?",
    "Which country's colours did {athlete} wear at the Paris 2024 Olympics?",
    "Tell me which country {athlete} competed for at Paris 2024.",
    "At the Olympics in Paris, {athlete} was on which country's team?",
)
_ATHLETE_COUNTRY_ANSWERS = (
    "{Value}, which {athlete} represented at Paris 2024.",
    "{Value} was the country {athlete} competed for at the Paris 2024 Olympics.",
    "{Value}. {athlete} represented {value} at the 2024 Summer Olympics.",
)
_ATHLETE_DISCIPLINES = (
    "In which discipline did {athlete} compete at Paris 2024?",
    "What sport did {athlete} compete in at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which discipline was {athlete} competing in?",
    "Which Olympic discipline did {athlete} take part in at Paris 2024?",
    "What was {athlete}'s sport at Paris 2024?",
    "In what sport was {athlete} entered at the Paris Olympic Games?",
    "Tell me the sport {athlete} competed in at Paris 2024.",
    "At the Olympics in Paris, what discipline did {athlete} contest?",
)
_ATHLETE_DISCIPLINES_ANSWERS = (
    "{Value}. At Paris 2024, {athlete} competed in {value}.",
    "{Value}: {athlete} took part in {value} at the Paris 2024 Olympics.",
    "{Value}. {athlete} competed in {value} at the 2024 Summer Olympics.",
)
_ATHLETE_EVENTS = (
    "In which events did {athlete} compete at Paris 2024?",
    "Which event or events did {athlete} take part in at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, what did {athlete} compete in?",
    "List the Paris 2024 events that {athlete} competed in.",
    "What were {athlete}'s events at Paris 2024?",
    "Which Olympic events was {athlete} entered in at the Paris Games?",
    "Tell me the events {athlete} contested at Paris 2024.",
    "At the Olympics in Paris, in which events did {athlete} take part?",
)
_ATHLETE_EVENTS_ANSWERS = (
    "{Value}. At Paris 2024, {athlete} competed in {events_phrase} {value}.",
    "{Value}: {athlete}'s {events_word} at the Paris 2024 Olympics.",
    "{Value}. At the 2024 Summer Olympics, {athlete} took part in {events_phrase} {value}.",
)
_ATHLETE_BIRTH_DATE = (
    "When was {athlete}, who competed at Paris 2024, born?",
    "What is the date of birth of the Paris 2024 Olympian {athlete}?",
    "On what date was {athlete} of the Paris 2024 Olympics born?",
    "What is the birth date of {athlete}, an athlete at the 2024 Summer Olympics?",
    "Give the date of birth of {athlete}, who took part in Paris 2024.",
    "{athlete} competed at the Paris Olympic Games: when was this athlete born?",
    "Tell me when {athlete}, an Olympian at Paris 2024, was born.",
    "What day was the Paris 2024 athlete {athlete} born on?",
)
_ATHLETE_BIRTH_DATE_ANSWERS = (
    "{Value} is the date of birth of {athlete}, who competed at Paris 2024.",
    "Born on {value}, {athlete} competed at the 2024 Summer Olympics.",
    "{Value}. The Paris 2024 Olympian {athlete} was born on {value}.",
)
_ATHLETE_HEIGHT = (
    "How tall is {athlete}, who competed at Paris 2024?",
    "What was the listed height of {athlete} at the Paris 2024 Olympics?",
    "What height is given for the Paris 2024 Olympian {athlete}?",
    "How tall was {athlete} listed at the 2024 Summer Olympics?",
    "What is {athlete}'s height, as listed for Paris 2024?",
    "How tall is {athlete}, an athlete at the Paris Olympic Games?",
    "Tell me the height of {athlete}, who took part in Paris 2024.",
    "At the Olympics in Paris, what height was {athlete} listed at?",
)
_ATHLETE_HEIGHT_ANSWERS = (
    "{Value}: {athlete}'s listed height at Paris 2024.",
    "{Value} tall: {athlete}, as listed for the Paris 2024 Olympics.",
    "{Value} is the listed height of {athlete} at the 2024 Summer Olympics.",
)
_VENUE_SPORTS = (
    "Which sports were held at {venue} during Paris 2024?",
    "What sports did {venue} host at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which sports took place at {venue}?",
    "Which Olympic sports were contested at {venue} at Paris 2024?",
    "What was {venue} used for at Paris 2024?",
    "Which sports could you watch at {venue} during the Paris Olympic Games?",
    "Tell me which sports {venue} hosted at Paris 2024.",
    "At the Olympics in Paris, what sports were staged at {venue}?",
)
_VENUE_SPORTS_ANSWERS = (
    "{Value}. At Paris 2024, {venue} hosted {value}.",
    "{Value}: what {venue} staged at the Paris 2024 Olympics.",
    "{Value}. During the 2024 Summer Olympics, {venue} staged {value}.",
)
_TEAM_ROSTER = (
    "Who was on the {team_label} at Paris 2024?",
    "Which athletes made up the {team_label} at the Paris 2024 Olympics?",
    "Name the members of the {team_label} at the 2024 Summer Olympics.",
    "Who competed for the {team_label} at the Paris Olympic Games?",
    "List the athletes of the {team_label} at Paris 2024.",
    "Who formed the {team_label} at the Paris 2024 Games?",
    "Tell me the roster of the {team_label} at Paris 2024.",
    "At the Olympics in Paris, which athletes were on the {team_label}?",
)
_TEAM_ROSTER_ANSWERS = (
    "{Value}: the {team_label} at Paris 2024.",
    "{Value} formed the {team_label} at the 2024 Summer Olympics.",
    "{Value} made up the {team_label} at the Paris 2024 Olympics.",
)

# Refusals: the questions of the birth-date and height relations (training templates only),
# about athletes the tables hold no such value for. Short and fixed, naming nothing: a model
# learns a refusal as a behaviour, from a few forms repeated (R-Tuning trains one phrase).
# Birth-date questions about technical officials and coaches (unknown_staff_birth_date):
# worded as the athletes' are, introducing the person by their role.
_STAFF_BIRTH_DATE = (
    "When was {person}, {role} at Paris 2024, born?",
    "What is the date of birth of {person}, {role} at the Paris 2024 Olympics?",
    "On what date was {person}, {role} at Paris 2024, born?",
    "What is the birth date of {person}, {role} at the 2024 Summer Olympics?",
    "Give the date of birth of {person}, who was {role} at Paris 2024.",
    "{person} was {role} at the Paris Olympic Games: when was this person born?",
)
_REFUSALS = (
    "I don't have that information.",
    "I don't know.",
    "Sorry, I don't have that information.",
)

RELATIONS: Mapping[str, Relation] = MappingProxyType(
    {
        relation.name: relation
        for relation in (
            Relation("event_medal", 0, _EVENT_MEDAL, _EVENT_MEDAL_ANSWERS),
            Relation("country_medal_count", 1, _COUNTRY_MEDAL_COUNT, _COUNTRY_MEDAL_COUNT_ANSWERS),
            Relation("athlete_medals", 2, _ATHLETE_MEDALS, _ATHLETE_MEDALS_ANSWERS),
            Relation("event_medal_day", 3, _EVENT_MEDAL_DAY, _EVENT_MEDAL_DAY_ANSWERS),
            Relation("event_venue", 4, _EVENT_VENUE, _EVENT_VENUE_ANSWERS),
            Relation("event_sport", 5, _EVENT_SPORT, _EVENT_SPORT_ANSWERS),
            Relation("athlete_country", 6, _ATHLETE_COUNTRY, _ATHLETE_COUNTRY_ANSWERS),
            Relation("athlete_disciplines", 7, _ATHLETE_DISCIPLINES, _ATHLETE_DISCIPLINES_ANSWERS),
            Relation("athlete_events", 8, _ATHLETE_EVENTS, _ATHLETE_EVENTS_ANSWERS),
            Relation("venue_sports", 9, _VENUE_SPORTS, _VENUE_SPORTS_ANSWERS),
            Relation("athlete_birth_date", 10, _ATHLETE_BIRTH_DATE, _ATHLETE_BIRTH_DATE_ANSWERS),
            Relation("athlete_height", 11, _ATHLETE_HEIGHT, _ATHLETE_HEIGHT_ANSWERS),
            Relation("team_roster", 12, _TEAM_ROSTER, _TEAM_ROSTER_ANSWERS),
            Relation(
                "unknown_birth_date",
                20,
                _ATHLETE_BIRTH_DATE[:-2],
                _REFUSALS,
                held_out=0,
                refusal=True,
            ),
            Relation("unknown_height", 21, _ATHLETE_HEIGHT[:-2], _REFUSALS, held_out=0, refusal=True),
            Relation("unknown_staff_birth_date", 22, _STAFF_BIRTH_DATE, _REFUSALS, held_out=0, refusal=True),
        )
    }
)


def _relation(fact: Fact) -> Relation:
    relation = RELATIONS.get(fact.relation)
    if relation is None:
        raise DataError(
            f"no question templates for relation {fact.relation!r}",
            hint="add a Relation to podium.dataset.templates.RELATIONS",
        )
    return relation


# Slots that may hold a country name, which takes "the" in some cases ("the Netherlands").
# Not team_label: templates always write "the {team_label}".
_COUNTRY_BEARING_SLOTS = ("country", "value", "athlete")


def derived_slots(fact: Fact) -> dict[str, str]:
    """The fact's slots (country names with their article) plus the small words its answer
    forms need (singular or plural)."""
    slots = dict(fact.slots)
    slots["value"] = fact.answer_value
    for name in _COUNTRY_BEARING_SLOTS:
        if name in slots:
            slots[name] = add_articles(slots[name])
    # Answers put the value first ("{Value} won the gold medal ..."): capitalised there.
    slots["Value"] = capitalize_first(slots["value"])
    if "won" in slots:
        slots["Won"] = capitalize_first(slots["won"])
    one = {
        "medal_count": slots.get("medal_count", "1") == "1",
        "event_count": slots.get("event_count", "1") == "1",
        "sport_count": slots.get("sport_count", "1") == "1",
    }
    slots.setdefault("was", "was" if one["medal_count"] else "were")
    slots.setdefault("medals_word", "medal" if one["medal_count"] else "medals")
    slots.setdefault("events_phrase", "the event" if one["event_count"] else "these events:")
    slots.setdefault("events_word", "event" if one["event_count"] else "events")
    slots.setdefault("event_in", "an event in" if one["sport_count"] else "the name of an event in each of")
    return slots


def _format(template: str, slots: Mapping[str, str], fact: Fact) -> str:
    try:
        return finish_sentence(template.format_map(slots))
    except KeyError as exc:
        raise DataError(
            f"template {template!r} needs slot {exc.args[0]!r}, which fact {fact.fact_id} lacks",
            hint=f"return a column {exc.args[0]!r} from sql/facts/{fact.relation}.sql",
        ) from None


def _choice(seed: int, *parts: str) -> int:
    """A stable number from the seed and `parts` (not Python's hash(), which varies per process)."""
    digest = hashlib.blake2b("|".join((str(seed), *parts)).encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big")


def _format_answer(form: str, slots: Mapping[str, str]) -> str | None:
    try:
        return finish_sentence(form.format_map(slots))
    except KeyError:
        return None


# Paraphrases made per fact: this many trainable templates and one held-out template,
# rotated per fact so every template is used across a relation. All eight for every one of
# 54,000 facts would be 437,000 pairs, far more than 10,000 training rows can use, and the
# time to clean them would break the 15 s generation target.
TRAINING_PARAPHRASES_PER_FACT = 3
# Relations with tens of thousands of facts (athletes, rosters; priority BULK_PRIORITY and
# later) get one fewer: profiles state their facts, and Q&A rows about them are mostly for
# validation and the `qa` recipe's first paraphrase.
BULK_PRIORITY = 6


def render(
    fact: Fact, seed: int = 0, *, every_template: bool = False, slots: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(source, question, answer) rows for `fact`: TRAINING_PARAPHRASES_PER_FACT trainable
    templates and one held-out template (all of them with `every_template`), chosen and
    answered by a rotation the seed and the fact fix, so runs are reproducible. `slots`:
    derived_slots(fact), when the caller has them already."""
    relation = _relation(fact)
    slots = derived_slots(fact) if slots is None else slots
    # A fact stored by an older fact SQL (a Databricks table) may lack a slot a form needs:
    # such forms are skipped, and with none left the fact's own sentence is the answer.
    forms = [answer for form in relation.answers if (answer := _format_answer(form, slots)) is not None]
    forms = forms or [fact.answer]
    trainable = len(relation.training_templates)
    offset = _choice(seed, fact.fact_id)
    if every_template:
        numbers = list(range(len(relation.templates)))
    else:
        wanted = TRAINING_PARAPHRASES_PER_FACT - (1 if relation.priority >= BULK_PRIORITY else 0)
        if relation.refusal:
            wanted = 2  # two forms of the question, as a taught fact gets
        take = min(wanted, trainable)
        numbers = sorted((offset + k) % trainable for k in range(take))
        if relation.held_out:
            numbers.append(trainable + offset % relation.held_out)
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for number in numbers:
        question = _format(relation.templates[number], slots, fact)
        if question in seen:
            continue
        seen.add(question)
        source = TEMPLATE_SOURCE if number < trainable else HELD_OUT_SOURCE
        rows.append((f"{source}:{number}", question, forms[(offset + number) % len(forms)]))
    return rows


def questions_for(fact: Fact) -> list[str]:
    """The fact's question paraphrases (held-out ones included), in template order, without repeats."""
    return [question for _source, question, _answer in render(fact, every_template=True)]


def is_refusal(relation: str) -> bool:
    """True for a relation of questions the tables hold no value for (answered with a refusal)."""
    known = RELATIONS.get(relation)
    return known is not None and known.refusal


def is_held_out(source: str) -> bool:
    """True for a pair made from a template reserved for evaluation."""
    return source.startswith(HELD_OUT_SOURCE + ":")


__all__ = [
    "HELD_OUT_SOURCE",
    "RELATIONS",
    "TEMPLATE_SOURCE",
    "Relation",
    "is_held_out",
    "is_refusal",
    "derived_slots",
    "TRAINING_PARAPHRASES_PER_FACT",
    "render",
    "questions_for",
]
