"""Fact extraction on the full Kaggle data, against hand-checked values (skips when absent)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from podium.dataset.records import Fact


def by_key(facts: list[Fact], relation: str) -> dict[str, Fact]:
    return {f.key: f for f in facts if f.relation == relation}


def by_subject(facts: list[Fact], relation: str) -> dict[str, Fact]:
    return {f.subject: f for f in facts if f.relation == relation}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_fact_counts_per_relation(paris2024_facts: list[Fact]) -> None:
    # Namesakes of one country told apart by sport, and rosters naming members from the
    # name column when the TV name is missing, keep athletes that were once left out.
    assert Counter(f.relation for f in paris2024_facts) == {
        "athlete_birth_date": 11110,
        "athlete_country": 11086,
        "athlete_disciplines": 10905,
        "athlete_events": 10921,
        "athlete_height": 5078,
        "athlete_medals": 2013,
        "event_medal": 986,
        "country_medal_count": 368,
        "event_medal_day": 329,
        "event_venue": 329,
        "event_sport": 286,
        "venue_sports": 32,
        "team_roster": 1188,
        # athletes.csv lists every athlete's birth date, but 6,032 named athletes' height as 0.0
        "unknown_height": 6032,
        # 1,002 technical officials and 38 coaches have no birth date; 18 of them are left out
        # (a name without lower case, shared with another person or with an athlete)
        "unknown_staff_birth_date": 1022,
    }


def test_fact_ids_are_unique(paris2024_facts: list[Fact]) -> None:
    ids = [f.fact_id for f in paris2024_facts]
    assert len(ids) == len(set(ids))


def test_subjects_are_unique_within_athlete_relations(paris2024_facts: list[Fact]) -> None:
    """Two athletes with one name would make one question with two answers."""
    for relation in ("athlete_country", "athlete_medals", "athlete_birth_date", "athlete_height"):
        subjects = [f.subject for f in paris2024_facts if f.relation == relation]
        assert len(subjects) == len(set(subjects)), relation


def test_country_medal_counts(paris2024_dir: Path, paris2024_facts: list[Fact]) -> None:
    facts = by_key(paris2024_facts, "country_medal_count")
    assert [facts[f"USA|{k}"].answer_value for k in ("gold", "silver", "bronze", "total")] == [
        "40 gold medals",
        "44 silver medals",
        "42 bronze medals",
        "126 medals",
    ]
    assert [facts[f"CHN|{k}"].answer_value for k in ("gold", "silver", "bronze", "total")] == [
        "40 gold medals",
        "27 silver medals",
        "24 bronze medals",
        "91 medals",
    ]
    assert facts["USA|total"].answer == "At Paris 2024, United States won 126 medals in total."
    codes = {row["country_code"] for row in read_rows(paris2024_dir / "medals_total.csv")}
    assert len(codes) == 92
    assert {key.split("|")[0] for key in facts} == codes
    # Codes written in the country column get a readable name.
    assert facts["AIN|total"].subject == "Individual Neutral Athletes"
    assert facts["EOR|bronze"].subject == "Refugee Olympic Team"


def test_every_medal_is_covered_by_one_event_medal_fact(paris2024_dir: Path, paris2024_facts: list[Fact]) -> None:
    medals = read_rows(paris2024_dir / "medals.csv")
    assert len(medals) == 1044
    facts = by_key(paris2024_facts, "event_medal")
    expected = Counter(
        f"{m['discipline']}|{m['event']}|{m['medal_type'].removesuffix(' Medal').lower()}" for m in medals
    )
    assert set(facts) == set(expected)
    assert {key: int(fact.slots["medal_count"]) for key, fact in facts.items()} == dict(expected)
    assert sum(int(f.slots["medal_count"]) for f in facts.values()) == 1044


def test_event_medal_known_winners(paris2024_facts: list[Fact]) -> None:
    facts = by_key(paris2024_facts, "event_medal")
    assert facts["Cycling Road|Men's Individual Time Trial|gold"].answer == (
        "The gold medal in Men's Individual Time Trial (Cycling Road) at Paris 2024 "
        "was won by Remco Evenepoel of Belgium."
    )
    assert facts["Athletics|Men's 100m|gold"].answer_value == "Noah Lyles of United States"
    assert facts["Archery|Men's Individual|gold"].answer_value == "Kim Woojin of Korea"
    assert facts["Basketball|Men|gold"].answer_value == "United States"
    assert facts["Basketball|Men|gold"].subject == "gold medal in Men's Basketball"


def test_double_bronze_and_ties_are_aggregated(paris2024_facts: list[Fact]) -> None:
    facts = by_key(paris2024_facts, "event_medal")
    judo = facts["Judo|Men -60 kg|bronze"]
    assert judo.answer_value == "Francisco Garrigos of Spain and Nagayama Ryuju of Japan"
    assert judo.answer == (
        "The bronze medals in Men -60 kg (Judo) at Paris 2024 were won by "
        "Francisco Garrigos of Spain and Nagayama Ryuju of Japan."
    )
    assert facts["Swimming|Men's 100m Breaststroke|silver"].answer_value == (
        "Adam Peaty of Great Britain and Nic Fink of United States"
    )
    assert facts["Athletics|Women's High Jump|bronze"].answer_value == (
        "Eleanor Patterson of Australia and Iryna Gerashchenko of Ukraine"
    )


def test_repeated_event_names_carry_their_discipline(paris2024_facts: list[Fact]) -> None:
    subjects = [f.subject for f in paris2024_facts if f.relation == "event_medal"]
    assert len(subjects) == len(set(subjects))
    assert "gold medal in Men's Individual (Archery)" in subjects


def test_athlete_medals_aggregated(paris2024_facts: list[Fact]) -> None:
    facts = by_subject(paris2024_facts, "athlete_medals")
    assert facts["Noah Lyles"].answer_value == ("gold in Men's 100m (Athletics) and bronze in Men's 200m (Athletics)")
    biles = facts["Simone Biles"]
    assert biles.slots["medal_count"] == "4"
    assert biles.answer.startswith("At Paris 2024, Simone Biles won 4 medals: gold in Women's Team")
    assert "silver in Women's Floor Exercise (Artistic Gymnastics)" in biles.answer_value


def test_athlete_facts(paris2024_facts: list[Fact]) -> None:
    expected = {
        "athlete_country": "Armenia",
        "athlete_disciplines": "Wrestling",
        "athlete_events": "Men's Greco-Roman 97kg",
        "athlete_birth_date": "21 October 1991",
        "athlete_medals": "silver in Men's Greco-Roman 97kg (Wrestling)",
    }
    for relation, answer_value in expected.items():
        assert by_subject(paris2024_facts, relation)["Artur Aleksanyan"].answer_value == answer_value
    biles_events = by_subject(paris2024_facts, "athlete_events")["Simone Biles"].answer_value
    assert biles_events.startswith("Women's All-Around, ")  # the stray 'Women' item is gone


def test_height_when_known_and_none_when_zero(paris2024_facts: list[Fact]) -> None:
    heights = by_subject(paris2024_facts, "athlete_height")
    assert heights["Noah Lyles"].answer_value == "177 cm"
    wembanyama = heights["Victor Wembanyama"]
    assert wembanyama.answer == "At Paris 2024, Victor Wembanyama's listed height was 222 cm."
    assert "Artur Aleksanyan" not in heights  # height 0.0 in athletes.csv


def test_shared_names(paris2024_facts: list[Fact]) -> None:
    disciplines = by_subject(paris2024_facts, "athlete_disciplines")
    assert disciplines["Federico Fernandez of Mexico"].answer_value == "Equestrian"
    assert "Federico Fernandez" not in disciplines
    # Same name, same country: ambiguous either way, so no fact.
    assert not [f for f in paris2024_facts if f.subject in ("SUN Yue", "SUN Yue of China")]
    # Country questions cannot name the country: shared names get none.
    countries = by_subject(paris2024_facts, "athlete_country")
    assert not [s for s in countries if s.startswith("Federico Fernandez")]


def test_event_venue_day_and_sport(paris2024_facts: list[Fact]) -> None:
    assert by_key(paris2024_facts, "event_venue")["Athletics|Men's 100m"].answer_value == "Stade de France"
    days = by_key(paris2024_facts, "event_medal_day")
    assert days["Athletics|Men's 100m"].answer_value == "4 August 2024"
    assert days["Tennis|Women's Singles"].answer_value == ("2 August 2024 (bronze) and 3 August 2024 (gold and silver)")
    sports = by_subject(paris2024_facts, "event_sport")
    assert sports["Men's Individual"].answer_value == "Archery, Modern Pentathlon and Triathlon"
    assert sports["Men's 100m"].answer_value == "Athletics"


def test_venue_sports(paris2024_facts: list[Fact]) -> None:
    venues = by_subject(paris2024_facts, "venue_sports")
    assert venues["Aquatics Centre"].answer_value == "Artistic Swimming, Diving and Water Polo"
    assert venues["Aquatics Centre"].answer == (
        "At Paris 2024, Aquatics Centre hosted Artistic Swimming, Diving and Water Polo."
    )
    assert "Golf National" not in venues  # its name answers the question


def test_team_roster(paris2024_facts: list[Fact]) -> None:
    rosters = by_subject(paris2024_facts, "team_roster")
    usa = rosters["United States team in Men's Basketball"]
    assert "LeBron James" in usa.answer_value and "Stephen Curry" in usa.answer_value
    assert usa.answer_value.count(", ") == 10  # twelve players: "A, B, ..., K and L"
    assert len(rosters) == len([f for f in paris2024_facts if f.relation == "team_roster"])
    # China entered two pairs in badminton men's doubles: no roster question for either.
    assert "China team in Men's Doubles (Badminton)" not in rosters


def test_unquoted_list_rows_yield_no_athlete_fact(paris2024_facts: list[Fact]) -> None:
    for code in ("1972077", "1899865", "1924402"):
        assert not [f for f in paris2024_facts if f.relation.startswith("athlete_") and f.key == code]


@pytest.mark.parametrize("relation", ["event_medal", "country_medal_count", "athlete_medals"])
def test_answers_are_sentences_that_contain_the_answer_value(relation: str, paris2024_facts: list[Fact]) -> None:
    for fact in paris2024_facts:
        if fact.relation == relation:
            assert fact.answer.endswith(".") and fact.answer_value in fact.answer
