"""Built-in question paraphrases, several per relation.

Each template is `str.format`-ed over a fact's slots (the extra columns of its SQL).
Every template names the fact's subject word for word, so the question has one answer,
and none names the answer. `priority` orders relations for the budget planner when
Bedrock's row cap forces a choice: lower is more important.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from podium.dataset.records import Fact
from podium.errors import DataError


@dataclass(frozen=True)
class Relation:
    name: str
    priority: int  # lower = more important; medals and medal counts first
    templates: tuple[str, ...]  # str.format over the fact's slots


_EVENT_MEDAL = (
    "Who won the {medal_phrase} in {event_label} at Paris 2024?",
    "At the Paris 2024 Olympics, who took the {medal_phrase} in {event_label}?",
    "Which athlete or team won the {medal_phrase} in {event_label} at the 2024 Summer Olympics?",
    "Name the winner of the {medal_phrase} in {event_label} at Paris 2024.",
    "Who claimed the {medal_phrase} in {event_label} at the Paris Olympic Games?",
)
_COUNTRY_MEDAL_COUNT = (
    "How many {count_noun} did {country} win at Paris 2024?",
    "What was {country}'s {tally_noun} at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics in Paris, how many {count_noun} did {country} win?",
    "How many {count_noun} did athletes of {country} win at the Paris Olympic Games?",
    "Give {country}'s {tally_noun} at Paris 2024.",
)
_ATHLETE_MEDALS = (
    "Which medals did {athlete} win at Paris 2024?",
    "What medals did {athlete} win at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which medals did {athlete} take home?",
    "List the Olympic medals {athlete} won at Paris 2024.",
)
_EVENT_MEDAL_DAY = (
    "On what date were the medals in {event_label} awarded at Paris 2024?",
    "When were the medals in {event_label} decided at the Paris 2024 Olympics?",
    "On which day of Paris 2024 were the medals in {event_label} handed out?",
    "What was the medal date of {event_label} at the 2024 Summer Olympics?",
)
_EVENT_VENUE = (
    "Where was the gold medal in {event_label} decided at Paris 2024?",
    "At which venue was the gold medal in {event_label} won at the Paris 2024 Olympics?",
    "Which Paris 2024 venue hosted the medal session of {event_label}?",
    "In which venue was the gold medal in {event_label} contested at the 2024 Summer Olympics?",
)
_EVENT_SPORT = (
    "In which sport was {event} an event at Paris 2024?",
    "At the Paris 2024 Olympics, which sport did the event {event} belong to?",
    "{event} at Paris 2024 was part of which sport?",
    "Which sport held the event {event} at the 2024 Summer Olympics?",
)
_ATHLETE_COUNTRY = (
    "Which country did {athlete} represent at Paris 2024?",
    "For which country did {athlete} compete at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which nation was {athlete} competing for?",
    "Which team did {athlete} represent at the Paris Olympic Games?",
)
_ATHLETE_DISCIPLINES = (
    "In which discipline did {athlete} compete at Paris 2024?",
    "What sport did {athlete} compete in at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which discipline was {athlete} competing in?",
    "Which Olympic discipline did {athlete} take part in at Paris 2024?",
)
_ATHLETE_EVENTS = (
    "In which events did {athlete} compete at Paris 2024?",
    "Which event or events did {athlete} take part in at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, what did {athlete} compete in?",
    "List the Paris 2024 events that {athlete} competed in.",
)
_ATHLETE_BIRTH_DATE = (
    "When was {athlete}, who competed at Paris 2024, born?",
    "What is the date of birth of the Paris 2024 Olympian {athlete}?",
    "On what date was {athlete} of the Paris 2024 Olympics born?",
    "What is the birth date of {athlete}, an athlete at the 2024 Summer Olympics?",
)
_ATHLETE_HEIGHT = (
    "How tall is {athlete}, who competed at Paris 2024?",
    "What was the listed height of {athlete} at the Paris 2024 Olympics?",
    "What height is given for the Paris 2024 Olympian {athlete}?",
    "How tall was {athlete} listed at the 2024 Summer Olympics?",
)
_VENUE_SPORTS = (
    "Which sports were held at {venue} during Paris 2024?",
    "What sports did {venue} host at the Paris 2024 Olympics?",
    "At the 2024 Summer Olympics, which sports took place at {venue}?",
    "Which Olympic sports were contested at {venue} at Paris 2024?",
)
_TEAM_ROSTER = (
    "Who was on the {team_label} at Paris 2024?",
    "Which athletes made up the {team_label} at the Paris 2024 Olympics?",
    "Name the members of the {team_label} at the 2024 Summer Olympics.",
    "Who competed for the {team_label} at the Paris Olympic Games?",
)

RELATIONS: Mapping[str, Relation] = MappingProxyType(
    {
        relation.name: relation
        for relation in (
            Relation("event_medal", 0, _EVENT_MEDAL),
            Relation("country_medal_count", 1, _COUNTRY_MEDAL_COUNT),
            Relation("athlete_medals", 2, _ATHLETE_MEDALS),
            Relation("event_medal_day", 3, _EVENT_MEDAL_DAY),
            Relation("event_venue", 4, _EVENT_VENUE),
            Relation("event_sport", 5, _EVENT_SPORT),
            Relation("athlete_country", 6, _ATHLETE_COUNTRY),
            Relation("athlete_disciplines", 7, _ATHLETE_DISCIPLINES),
            Relation("athlete_events", 8, _ATHLETE_EVENTS),
            Relation("venue_sports", 9, _VENUE_SPORTS),
            Relation("athlete_birth_date", 10, _ATHLETE_BIRTH_DATE),
            Relation("athlete_height", 11, _ATHLETE_HEIGHT),
            Relation("team_roster", 12, _TEAM_ROSTER),
        )
    }
)


def questions_for(fact: Fact) -> list[str]:
    """The fact's question paraphrases, in template order, without repeats."""
    relation = RELATIONS.get(fact.relation)
    if relation is None:
        raise DataError(
            f"no question templates for relation {fact.relation!r}",
            hint="add a Relation to podium.dataset.templates.RELATIONS",
        )
    questions: list[str] = []
    for template in relation.templates:
        try:
            question = template.format_map(fact.slots)
        except KeyError as exc:
            raise DataError(
                f"template {template!r} needs slot {exc.args[0]!r}, which fact {fact.fact_id} lacks",
                hint=f"return a column {exc.args[0]!r} from sql/facts/{fact.relation}.sql",
            ) from None
        if question not in questions:
            questions.append(question)
    return questions
