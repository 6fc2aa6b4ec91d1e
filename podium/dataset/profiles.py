"""Packed rows: many facts about one subject in one answer, written in natural prose.

A single-fact row teaches one fact in ~35 tokens, so Bedrock's 10,000-row cap leaves most
of the 54,000 facts out. A profile states every fact about its subject, so the facts fit:

- an event: its medallists with their countries, where the gold was decided, the medal day;
- a country: its medal table and its medallists by sport;
- a venue: its sports and the gold medals decided there;
- a country's athletes in one sport (11,113 athletes outnumber the rows, so one row
  describes a group, at most ATHLETES_PER_ROW of them): each athlete's events, medals
  with their dates, birth date and height;
- a country's teams in one sport: each team's roster;
- a medallist: country, sport, events, medals with dates, birth date, height.

Each subject gets two rows in two different phrasings (forms "a" and "b"), so every fact
they state is stated at least twice. Every row lists in `covers` the facts it states;
the planner counts coverage from it and the re-derivation test checks each claim. Facts
kept out of training for the evaluation (`unseen`) are never stated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from podium.dataset.records import Fact, QAPair
from podium.dataset.wording import add_articles, finish_sentence, join_list

ATHLETES_PER_ROW = 15
PROFILE_SOURCE = "profile"
# Packed-row relations, in the order the planner spends rows on them (lower first).
PROFILE_PRIORITIES: dict[str, int] = {
    "profile_event": 0,
    "profile_country": 1,
    "profile_venue": 2,
    "profile_athletes": 3,
    "profile_team": 4,
    "profile_medallist": 5,
}


@dataclass
class _Athlete:
    code: str
    name: str = ""
    country: str = ""
    discipline: str = ""
    facts: dict[str, Fact] = field(default_factory=dict)  # relation → fact


def _value(facts: dict[str, Fact], relation: str) -> str:
    fact = facts.get(relation)
    return fact.answer_value if fact else ""


def _pair(relation: str, key: str, form: str, question: str, answer: str, covers: list[str]) -> QAPair:
    return QAPair(
        fact_id=f"{relation}:{key}|{form}",
        relation=relation,
        question=finish_sentence(add_articles(question)),
        answer=finish_sentence(add_articles(answer)),
        source=f"{PROFILE_SOURCE}:{form}",
        covers=tuple(sorted(covers)),
    )


def _event_rows(facts: list[Fact]) -> list[QAPair]:
    events: dict[str, dict[str, Fact]] = defaultdict(dict)
    labels: dict[str, str] = {}
    for fact in facts:
        if fact.relation == "event_medal":
            key = fact.key.rsplit("|", 1)[0]  # "discipline|event|medal"
            events[key][fact.slots.get("medal", fact.key.rsplit("|", 1)[-1])] = fact
            labels[key] = fact.slots.get("event_label", key)
        elif fact.relation in ("event_venue", "event_medal_day"):
            events[fact.key][fact.relation] = fact
            labels.setdefault(fact.key, fact.slots.get("event_label", fact.subject))
    rows = []
    for key in sorted(events):
        parts, label = events[key], labels[key]
        medals = [(m, parts[m].answer_value) for m in ("gold", "silver", "bronze") if m in parts]
        venue, day = _value(parts, "event_venue"), _value(parts, "event_medal_day")
        covers = [f.fact_id for f in parts.values()]
        a = [f"{label} at Paris 2024: " + "; ".join(f"{m} to {w}" for m, w in medals) + "." if medals else ""]
        b = [f"In {label} at the Paris 2024 Olympics, " + join_list([f"{w} took {m}" for m, w in medals]) + "."]
        if not medals:
            b = [f"{label} was held at the Paris 2024 Olympics."]
        if venue:
            a.append(f"The gold medal was decided at {venue}.")
            b.append(f"The gold medal was contested at {venue}.")
        if day:
            a.append(f"The medals were awarded on {day}.")
            b.append(f"The medal day was {day}.")
        rows.append(
            _pair(
                "profile_event",
                key,
                "a",
                f"What happened in {label} at Paris 2024?",
                " ".join(x for x in a if x),
                covers,
            )
        )
        rows.append(
            _pair(
                "profile_event",
                key,
                "b",
                f"Give me the results of {label} at the Paris 2024 Olympics.",
                " ".join(b),
                covers,
            )
        )
    return rows


def _country_rows(facts: list[Fact], athletes: dict[str, _Athlete]) -> list[QAPair]:
    counts: dict[str, dict[str, Fact]] = defaultdict(dict)
    for fact in facts:
        if fact.relation == "country_medal_count":
            counts[fact.slots.get("country", fact.subject)][fact.key.rsplit("|", 1)[-1]] = fact
    medallists: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for athlete in athletes.values():
        medals = athlete.facts.get("athlete_medals")
        if medals is not None:
            # Listed under each medal's discipline, not the athlete's first listed one (Daniel
            # Wiffen's first is Marathon Swimming; his medal was in Swimming).
            for sport in (medals.slots.get("medal_disciplines") or athlete.discipline).split("|"):
                medallists[athlete.country][sport].append(athlete.name)
    rows = []
    for country in sorted(counts):
        kinds = counts[country]
        covers = [f.fact_id for f in kinds.values()]
        won = {k: f.slots.get("won", f.answer_value) for k, f in kinds.items()}
        tally = join_list([won[k] for k in ("gold", "silver", "bronze") if k in kinds])
        total = won.get("total", "")
        by_sport = medallists.get(country, {})
        sports = "; ".join(f"{sport}: {join_list(sorted(names))}" for sport, names in sorted(by_sport.items()) if sport)
        answer_a = (
            f"{country} won {total} at Paris 2024: {tally}." if total else f"{country} won {tally} at Paris 2024."
        )
        answer_b = f"At the 2024 Summer Olympics, {country} collected {tally}" + (
            f", {total.replace(' in total', '')} in all." if total else "."
        )
        if sports:
            answer_a += f" Its medallists by sport: {sports}."
            answer_b += f" Medallists: {sports}."
        rows.append(_pair("profile_country", country, "a", f"How did {country} do at Paris 2024?", answer_a, covers))
        rows.append(
            _pair(
                "profile_country",
                country,
                "b",
                f"What was {country}'s medal table at the Paris 2024 Olympics, and who won its medals?",
                answer_b,
                covers,
            )
        )
    return rows


def _venue_rows(facts: list[Fact]) -> list[QAPair]:
    sports: dict[str, Fact] = {}
    decided: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.relation == "venue_sports":
            sports[fact.slots.get("venue", fact.subject)] = fact
        elif fact.relation == "event_venue" and " and " not in fact.answer_value:
            decided[fact.answer_value].append(fact)
    rows = []
    for venue in sorted(set(sports) | set(decided)):
        hosted = sports.get(venue)
        events = sorted(decided.get(venue, []), key=lambda f: f.subject)
        covers = ([hosted.fact_id] if hosted else []) + [f.fact_id for f in events]
        labels = join_list([f.subject for f in events])
        a = [f"At Paris 2024, {venue} hosted {hosted.answer_value}." if hosted else f"{venue} was a Paris 2024 venue."]
        b = [
            f"{venue} staged {hosted.answer_value} at the 2024 Summer Olympics."
            if hosted
            else f"{venue} was a venue of the 2024 Summer Olympics."
        ]
        if labels:
            a.append(f"Gold medals decided there: {labels}.")
            b.append(f"The gold medals of {labels} were decided there.")
        rows.append(
            _pair("profile_venue", venue, "a", f"What took place at {venue} during Paris 2024?", " ".join(a), covers)
        )
        rows.append(
            _pair(
                "profile_venue",
                venue,
                "b",
                f"Which sports and medal events did {venue} host at the Paris 2024 Olympics?",
                " ".join(x for x in b if x),
                covers,
            )
        )
    return rows


def _athletes(facts: list[Fact], unseen: Collection[str]) -> dict[str, _Athlete]:
    athletes: dict[str, _Athlete] = {}
    for fact in facts:
        if not fact.relation.startswith("athlete_") or fact.fact_id in unseen:
            continue
        athlete = athletes.setdefault(fact.key, _Athlete(fact.key))
        athlete.facts[fact.relation] = fact
        athlete.name = athlete.name or fact.slots.get("athlete", fact.subject)
        athlete.country = athlete.country or fact.slots.get("country", "")
        athlete.discipline = athlete.discipline or fact.slots.get("discipline", "")
    return athletes


def _athlete_details(athlete: _Athlete, group_discipline: str) -> tuple[list[str], list[str], list[str]]:
    """(form a clauses, form b clauses, fact ids stated)."""
    facts = athlete.facts
    a, b, covers = [], [], []
    disciplines = _value(facts, "athlete_disciplines")
    if disciplines and disciplines != group_discipline:
        a.append(f"sports: {disciplines}")
        b.append(f"competed in {disciplines}")
    if disciplines:
        covers.append(facts["athlete_disciplines"].fact_id)
    if "athlete_country" in facts:
        covers.append(facts["athlete_country"].fact_id)  # stated by the row's country heading
    events = _value(facts, "athlete_events")
    if events:
        a.append(f"events: {events}")
        b.append(f"took part in {events}")
        covers.append(facts["athlete_events"].fact_id)
    if "athlete_medals" in facts:
        medals = facts["athlete_medals"]
        dated = medals.slots.get("dated_medals") or medals.answer_value
        a.append(f"medals: {dated}")
        b.append(f"won {dated}")
        covers.append(medals.fact_id)
    born = _value(facts, "athlete_birth_date")
    if born:
        a.append(f"born {born}")
        b.append(f"was born on {born}")
        covers.append(facts["athlete_birth_date"].fact_id)
    height = _value(facts, "athlete_height")
    if height:
        a.append(f"height {height}")
        b.append(f"is listed at {height}")
        covers.append(facts["athlete_height"].fact_id)
    return a, b, covers


def _chunks(members: list[_Athlete]) -> list[list[tuple[str, list[_Athlete]]]]:
    """A country's athletes, by sport then name, cut into rows of at most ATHLETES_PER_ROW:
    each row a list of (sport label, athletes); a sport split over rows is labelled
    "Athletics (part 2 of 3)"."""
    by_sport: dict[str, list[_Athlete]] = defaultdict(list)
    for athlete in members:
        by_sport[athlete.discipline].append(athlete)
    pieces: list[tuple[str, list[_Athlete]]] = []
    for sport in sorted(by_sport):
        athletes = sorted(by_sport[sport], key=lambda a: (a.name.casefold(), a.code))
        parts = [athletes[i : i + ATHLETES_PER_ROW] for i in range(0, len(athletes), ATHLETES_PER_ROW)]
        label = sport or "no listed sport"
        for number, part in enumerate(parts, start=1):
            pieces.append((f"{label} (part {number} of {len(parts)})" if len(parts) > 1 else label, part))
    rows: list[list[tuple[str, list[_Athlete]]]] = [[]]
    for label, part in pieces:
        if sum(len(p) for _l, p in rows[-1]) + len(part) > ATHLETES_PER_ROW:
            rows.append([])
        rows[-1].append((label, part))
    return [row for row in rows if row]


def _group_rows(athletes: dict[str, _Athlete]) -> list[QAPair]:
    countries: dict[str, list[_Athlete]] = defaultdict(list)
    for athlete in athletes.values():
        if athlete.country:
            countries[athlete.country].append(athlete)
    rows = []
    for country in sorted(countries):
        for row in _chunks(countries[country]):
            sports = join_list([label for label, _part in row])
            sections_a, sections_b, covers = [], [], []
            for label, part in row:
                sport = label.split(" (part ")[0]
                entries_a, entries_b = [], []
                for athlete in part:
                    a, b, stated = _athlete_details(athlete, athlete.discipline if sport != "no listed sport" else "")
                    entries_a.append(f"{athlete.name} ({'; '.join(a)})" if a else athlete.name)
                    entries_b.append(f"{athlete.name} {join_list(b)}." if b else f"{athlete.name} was entered.")
                    covers.extend(stated)
                sections_a.append(f"{label}: " + "; ".join(entries_a) + ".")
                sections_b.append(f"In {label}: " + " ".join(entries_b))
            key = f"{country}|{sports}"
            rows.append(
                _pair(
                    "profile_athletes",
                    key,
                    "a",
                    f"Who competed for {country} in {sports} at Paris 2024?",
                    f"{country}'s athletes at Paris 2024. " + " ".join(sections_a),
                    covers,
                )
            )
            rows.append(
                _pair(
                    "profile_athletes",
                    key,
                    "b",
                    f"Tell me about the athletes who represented {country} in {sports} at the Paris 2024 Olympics.",
                    f"At the 2024 Summer Olympics, these athletes represented {country}. " + " ".join(sections_b),
                    covers,
                )
            )
    return rows


def _team_rows(facts: list[Fact]) -> list[QAPair]:
    teams: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.relation == "team_roster":
            teams[(fact.slots.get("country", ""), fact.slots.get("discipline", ""))].append(fact)
    rows = []
    for (country, discipline), rosters in sorted(teams.items()):
        if not country:
            continue
        rosters.sort(key=lambda f: f.subject)
        covers = [f.fact_id for f in rosters]
        sport = f" {discipline}" if discipline else ""
        events = [(f.subject.split(" team in ", 1)[-1], f.answer_value) for f in rosters]
        answer_a = f"{country}'s{sport} teams at Paris 2024: " + "; ".join(f"{e}: {m}" for e, m in events) + "."
        answer_b = f"At the 2024 Summer Olympics, {country} fielded these{sport} teams. " + " ".join(
            f"In {e}: {m}." for e, m in events
        )
        key = f"{country}|{discipline}"
        rows.append(
            _pair(
                "profile_team",
                key,
                "a",
                f"Which{sport} teams did {country} send to Paris 2024, and who was on them?",
                answer_a,
                covers,
            )
        )
        rows.append(
            _pair(
                "profile_team",
                key,
                "b",
                f"Who was on {country}'s{sport} teams at the Paris 2024 Olympics?",
                answer_b,
                covers,
            )
        )
    return rows


def _medallist_rows(athletes: dict[str, _Athlete]) -> list[QAPair]:
    rows = []
    for code in sorted(athletes):
        athlete = athletes[code]
        if "athlete_medals" not in athlete.facts:
            continue
        a, b, covers = _athlete_details(athlete, "")
        country = f" for {athlete.country}" if athlete.country else ""
        rows.append(
            _pair(
                "profile_medallist",
                code,
                "a",
                f"Tell me about {athlete.name} at Paris 2024.",
                f"{athlete.name} competed{country} at Paris 2024 and {join_list(b)}.",
                covers,
            )
        )
    return rows


def profile_pairs(facts: Iterable[Fact], *, unseen: Collection[str] = ()) -> list[QAPair]:
    """Every packed row of `facts` (see the module docstring); no row states an `unseen` fact."""
    chosen = [f for f in facts if f.fact_id not in unseen]
    athletes = _athletes(chosen, unseen)
    return (
        _event_rows(chosen)
        + _country_rows(chosen, athletes)
        + _venue_rows(chosen)
        + _group_rows(athletes)
        + _team_rows(chosen)
        + _medallist_rows(athletes)
    )


__all__ = ["ATHLETES_PER_ROW", "PROFILE_PRIORITIES", "profile_pairs"]
