"""Question templates: one entry per fact relation; every question names its subject, never its answer."""

from __future__ import annotations

from collections import defaultdict

import pytest

from podium.dataset.facts import relation_names
from podium.dataset.records import Fact
from podium.dataset.templates import RELATIONS, Relation, questions_for
from podium.errors import DataError


def test_relations_match_the_sql_files_both_ways() -> None:
    assert set(RELATIONS) == set(relation_names())


def test_every_relation_has_several_distinct_templates() -> None:
    for name, relation in RELATIONS.items():
        assert isinstance(relation, Relation) and relation.name == name
        if relation.refusal:  # none held out; short fixed refusals
            assert relation.held_out == 0, name
            assert all("I don't" in answer and "{" not in answer for answer in relation.answers), name
            if name == "unknown_staff_birth_date":
                # officials and coaches are no athletes: the birth-date question, introducing them by role
                births = RELATIONS["athlete_birth_date"]
                assert len(relation.templates) == len(births.training_templates), name
                assert all(
                    "{person}" in t and "{role}" in t and ("born" in t or "birth" in t) for t in relation.templates
                )
                assert not set(relation.templates) & set(births.templates), name
            else:  # the athletes' own training questions of the relation it refuses
                asked = RELATIONS[name.replace("unknown_", "athlete_")]
                assert relation.templates == asked.training_templates, name
            continue
        assert len(relation.templates) >= 8, name
        assert len(set(relation.templates)) == len(relation.templates), name
        # A share of the templates is for evaluation only; most remain for training.
        assert 2 <= relation.held_out <= len(relation.templates) // 3, name
        assert len(relation.answers) >= 3 and len(set(relation.answers)) == len(relation.answers), name


def test_medals_come_first_in_priority() -> None:
    ordered = sorted(RELATIONS.values(), key=lambda r: r.priority)
    assert [r.name for r in ordered[:2]] == ["event_medal", "country_medal_count"]
    assert len({r.priority for r in RELATIONS.values()}) == len(RELATIONS)


def test_questions_in_template_order() -> None:
    fact = Fact(
        relation="venue_sports",
        key="Bercy Arena",
        subject="Bercy Arena",
        answer_value="Basketball",
        answer="At Paris 2024, Bercy Arena hosted Basketball.",
        slots={"venue": "Bercy Arena"},
    )
    questions = questions_for(fact)
    assert questions == [t.format(venue="Bercy Arena") for t in RELATIONS["venue_sports"].templates]


def test_missing_slot_is_a_clear_error() -> None:
    fact = Fact("venue_sports", "x", "X", "Golf", "X hosted Golf.", slots={})
    with pytest.raises(DataError, match="needs slot 'venue'"):
        questions_for(fact)


def test_unknown_relation_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="no question templates"):
        questions_for(Fact("athlete_shoe_size", "x", "X", "42", "X wears 42."))


def _check_questions(facts: list[Fact]) -> None:
    answers_by_question: dict[str, set[str]] = defaultdict(set)
    for fact in facts:
        questions = questions_for(fact)
        assert len(questions) >= 3, fact.fact_id
        assert len(questions) == len(set(questions))
        for question in questions:
            assert fact.subject.lower() in question.lower(), (fact.fact_id, question)
            assert fact.answer_value.lower() not in question.lower(), (fact.fact_id, question)
            assert "{" not in question and "}" not in question
            answers_by_question[question].add(fact.answer)
    ambiguous = {q: a for q, a in answers_by_question.items() if len(a) > 1}
    assert not ambiguous, list(ambiguous.items())[:3]


def test_sample_questions_name_the_subject_and_hide_the_answer(sample_facts: list[Fact]) -> None:
    _check_questions(sample_facts)


def test_full_data_questions_name_the_subject_and_hide_the_answer(paris2024_facts: list[Fact]) -> None:
    _check_questions(paris2024_facts)
