"""The evaluation set: held-out templates never trained, unseen facts never stated in
training or validation, answers that are the tables' values, the composition reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podium.dataset import build
from podium.dataset.eval_questions import answer_values, is_unseen
from podium.dataset.evalset import parse_eval_questions
from podium.dataset.facts import extract_facts
from podium.dataset.pairs import normalize_text, template_pairs
from podium.dataset.planner import MAX_EVAL_PROMPTS
from podium.dataset.records import Fact
from podium.dataset.templates import RELATIONS
from podium.models import get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")


@pytest.fixture(scope="module", params=["sample", "full"])
def dataset(request) -> tuple[list[Fact], build.BuiltDataset]:
    folder: Path = request.getfixturevalue("sample_dir" if request.param == "sample" else "paris2024_dir")
    facts = extract_facts(folder)
    return facts, build.build_dataset(template_pairs(facts), LLAMA31)


def test_no_held_out_template_is_used_in_train_or_validation(dataset) -> None:
    facts, built = dataset
    held_out_texts = set()
    for fact in facts:
        relation = RELATIONS[fact.relation]
        slots = {**fact.slots, "value": fact.answer_value}
        for template in relation.evaluation_templates:
            try:
                held_out_texts.add(normalize_text(template.format_map(slots)))
            except KeyError:
                pass
    for pair in built.train + built.validation:
        assert not pair.source.startswith("heldout"), pair
        assert normalize_text(pair.question) not in held_out_texts, pair.question
    paraphrase = [q for q in built.eval if q.kind == "paraphrase"]
    assert paraphrase and all(q.extra["source"].startswith("heldout:") for q in paraphrase)


def test_unseen_facts_are_stated_by_no_training_or_validation_row(dataset) -> None:
    facts, built = dataset
    unseen = {f.fact_id for f in facts if is_unseen(f.fact_id)}
    stated = {fact_id for pair in built.train + built.validation for fact_id in pair.facts_stated}
    assert not unseen & stated
    asked = [q for q in built.eval if q.kind == "unseen"]
    assert {q.fact_id for q in asked} <= unseen
    # No training answer states the value in what it says about that athlete (an entry runs
    # from the name to the next ")" or sentence end; a twin may share the birth date).
    by_id = {f.fact_id: f for f in facts}
    for question in asked:
        fact = by_id[question.fact_id]
        name = fact.slots["athlete"]
        for pair in built.train:
            for part in pair.answer.split(name)[1:]:
                entry = re.split(r"\)|\. ", part, maxsplit=1)[0]
                assert fact.answer_value not in entry, (question.fact_id, pair.question)


def test_eval_answers_are_the_facts_values_and_the_composition_is_reported(dataset) -> None:
    facts, built = dataset
    by_id = {f.fact_id: f for f in facts}
    questions = list(parse_eval_questions(built.texts[build.EVAL_FILE]))
    assert 0 < len(questions) <= MAX_EVAL_PROMPTS
    assert len({q.id for q in questions}) == len(questions)
    for question in questions:
        fact = by_id[question.fact_id]
        assert (question.answers, question.require_all) == answer_values(fact)
        for value in question.answers[:1] if not question.require_all else question.answers:
            assert normalize_text(value) in normalize_text(question.reference) or fact.relation == "event_medal"
    composition = built.report["eval"]["composition"]
    assert sum(sum(kinds.values()) for kinds in composition.values()) == len(questions)
    assert set(composition) <= {"paraphrase", "unseen", "trained"}
    trained = {normalize_text(p.question) for p in built.train}
    assert all(normalize_text(q.question) in trained for q in questions if q.kind == "trained")
    assert len(built.texts[build.EVAL_BEDROCK_FILE].splitlines()) == len(questions)


def test_answer_values_are_values_not_sentences() -> None:
    medal = Fact(
        "event_medal",
        "Judo|Men -60 kg|bronze",
        "bronze medals in Men -60 kg (Judo)",
        "Ann Temple of Zedland and Ola Brack of Yland",
        "…",
        {"winner_names": "Ann Temple|Ola Brack", "tv_winners": "Ann TEMPLE|Ola BRACK", "medal_count": "2"},
    )
    assert answer_values(medal) == (("Ann Temple", "Ola Brack"), True)
    single = Fact(
        "event_medal",
        "k",
        "s",
        "Ann Temple of Zedland",
        "…",
        {"winner_names": "Ann Temple", "tv_winners": "Ann TEMPLE"},
    )
    assert answer_values(single) == (("Ann Temple", "Ann TEMPLE"), False)
    count = Fact("country_medal_count", "ZED|gold", "Zedland", "40 gold medals", "…", {"kind": "gold"})
    assert answer_values(count) == (("40",), False)
    events = Fact("athlete_events", "1", "Ann Temple", "Men's 100m, Men's 200m and Men's 4 x 100m Relay", "…")
    assert answer_values(events) == (("Men's 100m", "Men's 200m", "Men's 4 x 100m Relay"), True)
