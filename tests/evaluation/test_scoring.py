"""Scoring by value: normalisation of names, accents, numbers and dates; the unseen rules."""

from __future__ import annotations

from datetime import date

import pytest

from podium.evaluation.scoring import dates_in, fold, is_refusal, numbers_in, score_answer, states_value, summarise
from tests.evaluation.helpers import question


def test_fold_drops_accents_case_and_punctuation():
    assert fold("Léon MARCHAND!") == "leon marchand"
    assert fold("Côte d'Ivoire") == "cote d ivoire"
    assert fold("Ørsted–Łódź") == "orsted lodz"


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("Léon Marchand won it.", "MARCHAND Leon"),  # SURNAME Given vs Given Surname, accents
        ("It was MARCHAND Léon.", "Leon Marchand"),
        ("The winner was leon marchand", "Léon MARCHAND"),
        ("France won 16 gold medals.", "16"),
        ("They won sixteen... no, two golds", "2"),  # number words
        ("She is 183 cm tall.", "183.0"),  # numbers as numbers
        ("In total 1,234 athletes took part", "1234"),
        ("The final was on 27 July 2024.", "2024-07-27"),
        ("It happened on July 27, 2024", "2024-07-27"),
        ("Medals were awarded on 2024-07-27.", "27 July 2024"),
        ("Date: 27/07/2024", "2024-07-27"),
    ],
)
def test_states_value_matches_the_same_value_written_differently(answer, value):
    assert states_value(answer, value)


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("Léon Marchand won it.", "Marchand Florent"),  # one word is not the name
        ("France won 61 gold medals.", "16"),
        ("She is 1830 cm tall.", "183"),
        ("The final was on 28 July 2024.", "2024-07-27"),
        ("The final was in 2024.", "2024-07-27"),  # a year alone is not the date
        ("", "Gold"),
    ],
)
def test_states_value_refuses_a_different_value(answer, value):
    assert not states_value(answer, value)


def test_numbers_and_dates_are_read_as_values():
    assert numbers_in("won 3 golds and twelve medals, 1,500 m") == [3.0, 1500.0, 12.0]
    assert dates_in("from 26 July 2024 to Aug 11, 2024") == [date(2024, 7, 26), date(2024, 8, 11)]


def test_refusals_are_recognised_and_an_answer_is_not():
    assert is_refusal("I don't know who won that event.")
    assert is_refusal("I'm not sure; I have no information about Paris 2024 results.")
    assert is_refusal("")
    assert not is_refusal("Léon Marchand won the gold medal.")


def test_trained_and_paraphrase_answers_are_right_only_when_they_state_the_value():
    q = question("p1", "paraphrase", ("Katie Ledecky",))
    assert score_answer(q, "LEDECKY Katie won it").correct
    wrong = score_answer(q, "Ariarne Titmus won it")
    assert not wrong.correct and not wrong.hallucinated  # hallucination is measured on unseen facts only
    refused = score_answer(q, "I don't know.")
    assert not refused.correct and refused.refused


def test_unseen_refusal_is_right_and_a_confident_wrong_value_is_a_hallucination():
    q = question("u1", "unseen", ("Katie Ledecky",))
    refused = score_answer(q, "I do not know who won that.")
    assert refused.correct and refused.refused and not refused.hallucinated
    invented = score_answer(q, "Summer McIntosh won the gold medal.")
    assert not invented.correct and invented.hallucinated
    known = score_answer(q, "Katie Ledecky won it.")
    assert known.correct and not known.hallucinated


def test_require_all_needs_every_value():
    q = question("p2", "paraphrase", ("Jane Doe", "Ann Roe"), require_all=True)
    assert score_answer(q, "The bronze went to DOE Jane and Ann Roe.").correct
    assert not score_answer(q, "Jane Doe took bronze.").correct
    either = question("p3", "paraphrase", ("Jane Doe", "Ann Roe"))
    assert score_answer(either, "Jane Doe took bronze.").correct


def test_summarise_tallies_by_kind_and_relation_and_scores_a_missing_answer_as_wrong():
    questions = [
        question("p1", "paraphrase", ("Alpha",), "event_medal"),
        question("p2", "paraphrase", ("Beta",), "athlete_country"),
        question("p3", "paraphrase", ("Gamma",), "athlete_country"),
        question("u1", "unseen", ("Delta",), "event_medal"),
        question("u2", "unseen", ("Eps",), "event_medal"),
    ]
    answers = {"p1": "Alpha", "p2": "Beta", "u1": "Zeta", "u2": "I don't know"}  # p3 unanswered
    scores = summarise(questions, answers)
    assert scores.accuracy("paraphrase") == pytest.approx(2 / 3)
    assert scores.by_kind_relation["paraphrase"]["athlete_country"].correct == 1
    assert scores.by_kind_relation["paraphrase"]["athlete_country"].questions == 2
    assert scores.hallucination_rate("unseen") == pytest.approx(0.5)
    assert "trained" not in scores.by_kind
    restored = type(scores).from_dict(scores.to_dict())
    assert restored.to_dict() == scores.to_dict()
