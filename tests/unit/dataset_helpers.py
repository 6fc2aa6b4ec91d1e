"""Synthetic facts for the dataset tests: invented names, never rows from the Kaggle data."""

from __future__ import annotations

from podium.dataset.records import Fact, QAPair

PRIORITIES = {"event_medal": 0, "country_medal_count": 1, "athlete_country": 6, "athlete_height": 11}

_TEMPLATES = {
    "event_medal": (
        "Who won the {subject} at Paris 2024?",
        "At the Paris 2024 Olympics, who took the {subject}?",
        "Name the winner of the {subject} at Paris 2024.",
        "Who claimed the {subject} at the Paris Olympic Games?",
    ),
    "country_medal_count": (
        "How many {subject} at Paris 2024?",
        "At the 2024 Summer Olympics, how many {subject}?",
        "Give the number of {subject} at the Paris Olympics.",
    ),
    "athlete_country": (
        "Which country does {subject} represent at Paris 2024?",
        "For which nation did {subject} compete at the Paris 2024 Olympics?",
        "What country was {subject} competing for at the 2024 Summer Olympics?",
    ),
    "athlete_height": (
        "How tall is {subject}, who competed at Paris 2024?",
        "What is the height of {subject}, a Paris 2024 Olympian?",
    ),
}


def make_facts(events: int = 30, countries: int = 10, athletes: int = 200, heights: int = 50) -> list[Fact]:
    facts = []
    for i in range(events):
        subject = f"gold medal in Event Number {i} (Sport {i % 7})"
        winner = f"Winner{i} ZEDLAND"
        facts.append(
            Fact(
                "event_medal",
                f"Sport {i % 7}|Event Number {i}|Gold",
                subject,
                winner,
                f"The {subject} at Paris 2024 was won by {winner}.",
            )
        )
    for i in range(countries):
        subject = f"gold medals did Country{i} win"
        facts.append(
            Fact(
                "country_medal_count",
                f"C{i}|gold",
                subject,
                str(i + 3),
                f"Country{i} won {i + 3} gold medals at Paris 2024.",
            )
        )
    for i in range(athletes):
        subject = f"Athlete{i} SURNAME"
        facts.append(
            Fact(
                "athlete_country",
                f"A{i}",
                subject,
                f"Nation{i % 13}",
                f"At Paris 2024, {subject} represented Nation{i % 13}.",
            )
        )
    for i in range(heights):
        subject = f"Jumper{i} TALLPERSON"
        facts.append(
            Fact(
                "athlete_height",
                f"H{i}",
                subject,
                f"{170 + i % 30} cm",
                f"{subject} is {170 + i % 30} cm tall.",
            )
        )
    return facts


def questions_for(fact: Fact) -> list[str]:
    return [t.format(subject=fact.subject) for t in _TEMPLATES[fact.relation]]


def make_pairs_for(facts: list[Fact]) -> list[QAPair]:
    return [
        QAPair(fact.fact_id, fact.relation, question, fact.answer, f"template:{n}")
        for fact in facts
        for n, question in enumerate(questions_for(fact))
    ]
