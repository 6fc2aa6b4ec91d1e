"""Packed rows: every fact a row claims to state is in its answer, in two phrasings, and
every row fits the model's per-row token limit."""

from __future__ import annotations

from collections import Counter

import pytest

from podium.dataset.pairs import normalize_text
from podium.dataset.profiles import ATHLETES_PER_ROW, profile_pairs
from podium.dataset.records import Fact
from podium.dataset.tokens import row_tokens
from podium.dataset.wording import add_articles
from podium.models import get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")


@pytest.fixture(scope="module", params=["sample", "full"])
def facts_and_rows(request) -> tuple[list[Fact], list]:
    facts: list[Fact] = request.getfixturevalue("sample_facts" if request.param == "sample" else "paris2024_facts")
    return facts, profile_pairs(facts)


def test_every_covered_fact_is_stated_in_the_answer(facts_and_rows) -> None:
    facts, rows = facts_and_rows
    by_id = {f.fact_id: f for f in facts}
    for row in rows:
        answer = normalize_text(row.answer)
        for fact_id in row.covers:
            fact = by_id[fact_id]
            value = fact.answer_value
            if fact.relation == "athlete_medals":
                value = fact.slots.get("dated_medals", value)
            assert normalize_text(add_articles(value)) in answer or normalize_text(value) in answer, (
                row.fact_id,
                fact_id,
            )


def test_each_subject_has_two_phrasings_and_rows_fit_the_token_limit(facts_and_rows) -> None:
    facts, rows = facts_and_rows
    forms = Counter(row.fact_id.rsplit("|", 1)[0] for row in rows if row.relation != "profile_medallist")
    assert set(forms.values()) == {2}
    stated = Counter(fact_id for row in rows if row.relation != "profile_medallist" for fact_id in row.covers)
    # Event names across sports: Q&A rows only; unknown_*: questions the tables hold no answer to.
    relations = {f.relation for f in facts} - {
        "event_sport",
        "unknown_birth_date",
        "unknown_height",
        "unknown_staff_birth_date",
    }
    for fact in facts:
        if fact.relation in relations:
            assert stated[fact.fact_id] >= 2, fact.fact_id
    assert max(row_tokens(row.question, row.answer) for row in rows) <= LLAMA31.max_tokens_per_row
    assert len({normalize_text(row.question) for row in rows}) == len(rows)  # no prompt asked twice


def test_athletes_are_described_in_groups_of_at_most_the_row_size(facts_and_rows) -> None:
    _facts, rows = facts_and_rows
    for row in rows:
        if row.relation == "profile_athletes":
            athletes = {c.split(":", 1)[1] for c in row.covers if c.startswith("athlete_")}
            assert 1 <= len(athletes) <= ATHLETES_PER_ROW


def test_unseen_facts_are_left_out(facts_and_rows) -> None:
    facts, _rows = facts_and_rows
    heights = [f.fact_id for f in facts if f.relation == "athlete_height"][:3]
    rows = profile_pairs(facts, unseen=set(heights))
    assert not {c for row in rows for c in row.covers} & set(heights)


def test_country_profile_lists_a_medallist_under_the_medal_discipline() -> None:
    athlete = {"athlete": "Dara Quill", "country": "Zedland", "discipline": "Marathon Swimming"}
    facts = [
        Fact(
            "country_medal_count",
            "ZED|gold",
            "Zedland",
            "1 gold medal",
            "Zedland won 1 gold medal.",
            {"won": "1 gold medal"},
        ),
        Fact(
            "athlete_medals",
            "1",
            "Dara Quill",
            "gold in Men's 800m Freestyle (Swimming)",
            "At Paris 2024, Dara Quill won 1 medal: gold in Men's 800m Freestyle (Swimming).",
            {**athlete, "medal_count": "1", "medal_disciplines": "Swimming"},
        ),
        Fact("athlete_country", "1", "Dara Quill", "Zedland", "Dara Quill represented Zedland.", athlete),
    ]
    rows = [row for row in profile_pairs(facts) if row.relation == "profile_country"]
    assert rows and all("Swimming: Dara Quill" in row.answer for row in rows)
    assert not any("Marathon Swimming" in row.answer for row in rows)
