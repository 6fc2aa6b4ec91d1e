from __future__ import annotations

from collections import Counter

import pytest

from podium.dataset import pairs as p
from podium.dataset.records import Fact, QAPair

FACT = Fact(
    "event_medal",
    "Athletics|Men's 100m|Gold",
    "gold medal in Men's 100m (Athletics)",
    "Zed QUICKLEY",
    "The gold medal in Men's 100m (Athletics) at Paris 2024 was won by Zed QUICKLEY.",
)


def pair(question: str, answer: str, fact_id: str = "r:1") -> QAPair:
    return QAPair(fact_id, "r", question, answer, "template:0")


def test_a_question_naming_the_subject_without_the_answer_is_kept():
    assert p.verify_paraphrase("Who won the Gold Medal in men's 100m  (Athletics) at Paris 2024?", FACT) is None


def test_curly_apostrophes_from_an_llm_still_match_the_subject():
    assert p.verify_paraphrase("Who won the gold medal in Men\u2019s 100m (Athletics)?", FACT) is None


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("", p.EMPTY_QUESTION),
        ("   ", p.EMPTY_QUESTION),
        ("Who won the 100m?", p.MISSING_SUBJECT),
        ("Did Zed Quickley win the gold medal in Men's 100m (Athletics)?", p.LEAKS_ANSWER),
        (
            "Who won the gold medal in Men's 100m (Athletics)? " + "x" * p.MAX_QUESTION_CHARS,
            p.QUESTION_TOO_LONG,
        ),
    ],
)
def test_bad_paraphrases_are_rejected_with_their_reason(question, reason):
    assert p.verify_paraphrase(question, FACT) == reason


def test_a_number_answer_leaks_only_as_a_whole_word():
    fact = Fact(
        "country_medal_count",
        "X|gold",
        "gold medals did Freedonia win",
        "40",
        "Freedonia won 40 gold medals.",
    )
    assert p.verify_paraphrase("How many gold medals did Freedonia win at Paris 2024?", fact) is None
    assert p.verify_paraphrase("Did Freedonia win 40 gold medals did Freedonia win", fact) == p.LEAKS_ANSWER


def test_make_pairs_numbers_templates_and_counts_rejections():
    rejected: Counter[str] = Counter()
    questions = [
        "Who won the gold medal in Men's 100m (Athletics)?",
        "Who won the sprint?",
        "Name the gold medal in Men's 100m (Athletics) winner at Paris 2024.",
    ]
    made = p.make_pairs([FACT], lambda fact: questions, rejected=rejected)
    assert [m.source for m in made] == ["template:0", "template:2"]
    assert all(m.fact_id == FACT.fact_id and m.answer == FACT.answer for m in made)
    assert rejected == Counter({p.MISSING_SUBJECT: 1})


def test_clean_drops_duplicates_by_normalized_text_and_keeps_the_first():
    first = pair("Who won X?", "A won X.")
    kept, rejections = p.clean_pairs([first, pair("who  won x?", "a won X."), pair("Who won Y?", "B won Y.")])
    assert kept == [first, pair("Who won Y?", "B won Y.")]
    assert rejections == Counter({p.DUPLICATE: 1})


def test_a_question_with_two_different_answers_anywhere_is_dropped_entirely():
    pairs = [
        pair("Who won X?", "A won X.", "r:1"),
        pair("Who won Z?", "C won Z.", "r:3"),
        pair("Who won X?", "A won X.", "r:1"),  # a duplicate of a conflicting pair
        pair("WHO WON X?", "B won X.", "r:2"),
    ]
    kept, rejections = p.clean_pairs(pairs)
    assert [k.question for k in kept] == ["Who won Z?"]
    assert rejections == Counter({p.CONFLICT: 2, p.DUPLICATE: 1})


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("Unknown", p.NON_ANSWER),
        ("n/a.", p.NON_ANSWER),
        ("", p.EMPTY_ANSWER),
        ("183.0", p.BARE_NUMBER),
        ("1,044", p.BARE_NUMBER),
    ],
)
def test_non_answers_and_bare_numbers_are_rejected(answer, reason):
    kept, rejections = p.clean_pairs([pair("How tall is Q?", answer)])
    assert kept == []
    assert rejections == Counter({reason: 1})


def test_an_answer_sentence_with_a_number_is_kept():
    assert p.answer_problem("Q is 183 cm tall.") is None
