"""The `deep` recipe (podium/dataset/deep.py, texts.py): every taught fact in at least five
varied phrasings, single-subject texts, short value-first answers, refusal rows about values
the tables lack, and every fact it leaves out reported as left out."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from podium.config import DEFAULT_TEACH_PRIORITIES, TeachableRelation
from podium.dataset import build
from podium.dataset.deep import MIN_PHRASINGS, QUESTIONS_PER_FACT, REFUSAL_SHARE, TEXTS_PER_FACT
from podium.dataset.eval_questions import is_unseen
from podium.dataset.facts import extract_facts
from podium.dataset.pairs import normalize_text, template_pairs
from podium.dataset.records import Fact, QAPair
from podium.dataset.templates import RELATIONS
from podium.dataset.texts import MAX_TEXT_CHARS, TEXT_FORMS, is_text, narrowed, subject_of, text_pairs
from podium.models import RowCaps, get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")


def _build(facts: list[Fact], **kwargs) -> build.BuiltDataset:
    return build.build_dataset(template_pairs(facts), LLAMA31, **kwargs)


def _phrasings(rows: list[QAPair]) -> Counter[str]:
    return Counter(fact_id for row in rows for fact_id in row.facts_stated)


def _check_shape(built: build.BuiltDataset, facts: list[Fact]) -> dict[str, int]:
    """The recipe's promises on one built dataset; returns the counts the tests compare."""
    by_id = {f.fact_id: f for f in facts}
    phrasings = _phrasings(built.train)
    taught = {f for f, plan in built.plan.facts.items() if plan.train}
    # Every fact a training row states is taught, in at least five phrasings: three texts and
    # two single-fact questions.
    assert set(phrasings) - {f for f in phrasings if by_id[f].relation.startswith("unknown_")} == taught
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for row in built.train:
        for fact_id in row.facts_stated:
            kinds[fact_id]["text" if is_text(row) else "question"] += 1
    for fact_id in taught:
        assert phrasings[fact_id] >= MIN_PHRASINGS, fact_id
        assert kinds[fact_id] == {"text": TEXTS_PER_FACT, "question": QUESTIONS_PER_FACT}, fact_id
    for row in built.train:
        assert "(part" not in row.question
        assert len(row.answer) <= MAX_TEXT_CHARS, row.fact_id
        if is_text(row):  # one subject a text: every fact it states belongs to it
            assert len({subject_of(by_id[f]) for f in row.covers}) == 1, row.fact_id
            assert len(row.parts) == len(row.covers) and row.answer == " ".join(row.parts)
    # No fact kept out for the evaluation is stated; every paraphrase question asks a taught fact.
    assert not [f for f in phrasings if is_unseen(f)]
    assert {q.fact_id for q in built.eval if q.kind == "paraphrase"} <= taught
    assert {q.fact_id for q in built.eval if q.kind == "unseen"}.isdisjoint(phrasings)
    refusals = [row for row in built.train if row.relation.startswith("unknown_")]
    return {"taught": len(taught), "refusals": len(refusals), "train": len(built.train)}


def test_sample_every_taught_fact_has_five_phrasings_and_refusals_are_a_small_share(sample_facts) -> None:
    built = _build(sample_facts)
    assert built.valid, built.problems
    counts = _check_shape(built, sample_facts)
    assert counts["taught"] > 300 and counts["refusals"] > 0
    assert counts["refusals"] <= round(REFUSAL_SHARE * counts["train"]) + 1
    coverage = {c["relation"]: c for c in built.report["coverage"]}
    # event → sport is off the default priorities: left out, and said so.
    assert coverage["event_sport"]["facts_trained"] == 0 and coverage["event_sport"]["facts_left_out"] > 0
    assert not [row for row in built.train if row.relation in ("event_sport", "text_sport_of_event")]
    assert coverage["athlete_birth_date"]["facts_held_out"] > 0  # kept for the unseen questions
    assert built.report["plan"]["min_phrasings"] >= MIN_PHRASINGS


def test_refusals_ask_only_about_values_the_tables_lack(sample_facts) -> None:
    built = _build(sample_facts)
    valued = {(f.relation, f.key) for f in sample_facts}  # held-out facts included: they have a value
    refusals = [row for row in built.train if row.relation.startswith("unknown_")]
    assert refusals
    for row in refusals:
        key = row.fact_id.split(":", 1)[1]
        if row.relation == "unknown_staff_birth_date":  # technical officials and coaches, no athlete
            assert key.startswith(("official-", "coach-")), row.fact_id
        else:
            assert (row.relation.replace("unknown_", "athlete_"), key) not in valued, row.fact_id
        assert "I don't" in row.answer and len(row.answer) < 60
        assert not row.values  # never scored as an evaluation question
    assert not [q for q in built.eval if q.relation.startswith("unknown_")]
    assert {row.relation for row in refusals} == {"unknown_birth_date", "unknown_height", "unknown_staff_birth_date"}


def test_answers_put_the_value_before_the_subject(sample_facts) -> None:
    by_id = {f.fact_id: f for f in sample_facts}
    built = _build(sample_facts)
    checked = 0
    for row in built.train + built.validation:
        fact = by_id.get(row.fact_id)
        if row.covers or not row.values or fact is None:
            continue
        answer = normalize_text(row.answer)
        value, subject = normalize_text(row.values[0]), normalize_text(fact.subject)
        if subject in answer and value in answer:
            checked += 1
            assert answer.index(value) < answer.index(subject), row.answer
    assert checked > 200


def test_teach_priorities_choose_and_order_what_is_taught(sample_facts) -> None:
    only_tables = _build(sample_facts, teach_priorities=["country_medal_count"])
    taught = {f.split(":", 1)[0] for f, plan in only_tables.plan.facts.items() if plan.train}
    assert taught == {"country_medal_count"}
    # Under a small cap the first relation is taught before the second gets a row.
    caps = RowCaps(train=60, validation=10, total=70, epochs=10, source="documented", note="test")
    first = _build(sample_facts, teach_priorities=["event_medal", "athlete_medals"], caps=caps)
    coverage = {c.relation: c for c in first.plan.coverage.values()}
    assert coverage["event_medal"].facts_trained > 0 and coverage["athlete_medals"].facts_trained == 0
    swapped = _build(sample_facts, teach_priorities=["athlete_medals", "event_medal"], caps=caps)
    coverage = {c.relation: c for c in swapped.plan.coverage.values()}
    assert coverage["athlete_medals"].facts_trained > 0 and coverage["event_medal"].facts_trained == 0
    assert len(first.train) <= 60 and len(swapped.train) <= 60


def test_texts_vary_order_and_wording_and_narrow_to_the_taught_facts(sample_facts) -> None:
    texts = [row for row in text_pairs(sample_facts) if row.relation == "text_event"]
    by_subject: dict[str, list[QAPair]] = defaultdict(list)
    for row in texts:
        by_subject[row.fact_id.rsplit("|", 1)[0]].append(row)
    several = [rows for rows in by_subject.values() if len(rows[0].covers) >= 3]
    assert several and all(len(rows) == len(TEXT_FORMS) for rows in by_subject.values())
    for rows in several:
        assert len({row.covers for row in rows}) > 1  # sentence order differs between forms
        assert len({row.question for row in rows}) == len(TEXT_FORMS)
        assert not {p for p in rows[0].parts} & {p for p in rows[1].parts}  # so does the wording
    row = several[0][0]
    kept = narrowed(row, {row.covers[0], row.covers[-1]})
    assert kept.covers == (row.covers[0], row.covers[-1]) and kept.answer == f"{row.parts[0]} {row.parts[-1]}"


def test_teachable_relations_in_the_settings_are_the_template_registry() -> None:
    assert set(TeachableRelation.__args__) == {name for name, r in RELATIONS.items() if not r.refusal}
    assert set(DEFAULT_TEACH_PRIORITIES) == set(TeachableRelation.__args__) - {"event_sport"}
    assert list(DEFAULT_TEACH_PRIORITIES[:3]) == ["event_medal", "country_medal_count", "athlete_medals"]


@pytest.fixture(scope="module")
def full_deep(paris2024_dir: Path) -> tuple[build.BuiltDataset, list[Fact]]:
    facts = extract_facts(paris2024_dir)
    return _build(facts), facts


def test_full_data_default_recipe_teaches_every_medal_and_medal_table_deeply(full_deep) -> None:
    built, facts = full_deep
    assert built.valid, built.problems[:5]
    counts = _check_shape(built, facts)
    assert counts["train"] + len(built.validation) <= 10_000
    coverage = {c["relation"]: c for c in built.report["coverage"]}
    for relation in ("event_medal", "country_medal_count"):
        assert coverage[relation]["facts_left_out"] == 0 and coverage[relation]["min_phrasings"] >= MIN_PHRASINGS
    assert coverage["athlete_medals"]["facts_trained"] > 500
    assert counts["refusals"] == round(REFUSAL_SHARE * counts["train"])
    # Every athlete's birth date is listed: the birth-date refusals ask about officials and
    # coaches, in turn with the heights the tables lack.
    refused = Counter(row.relation for row in built.train if row.relation.startswith("unknown_"))
    assert refused["unknown_birth_date"] == 0
    assert abs(refused["unknown_staff_birth_date"] - refused["unknown_height"]) <= 1
    assert not [row for row in built.train if row.relation == "event_sport"]
    # Every fact is accounted for: taught, held out for the evaluation, or left out.
    for row in built.report["coverage"]:
        assert row["facts_trained"] + row["facts_left_out"] == row["facts_available"]


@pytest.mark.parametrize("recipe", ["deep", "mixed", "qa"])
def test_pairs_made_for_one_recipe_plan_the_same_rows_as_pairs_made_for_all(sample_facts, recipe) -> None:
    # The built-in generator (StartGeneration) makes every kind; `podium generate` only its recipe's.
    every_kind = build.build_dataset(template_pairs(sample_facts), LLAMA31, recipe=recipe)
    its_own = build.build_dataset(template_pairs(sample_facts, recipe=recipe), LLAMA31, recipe=recipe)
    assert every_kind.texts == its_own.texts
    assert every_kind.report["rejections"] == its_own.report["rejections"] == {}
