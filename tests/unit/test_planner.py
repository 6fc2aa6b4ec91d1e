from __future__ import annotations

import pytest
from dataset_helpers import PRIORITIES, make_facts, make_pairs_for

from podium.dataset.planner import plan_dataset
from podium.dataset.records import QAPair


def plan(pairs, train=10_000, validation=1_000, evaluation=1_000, seed=0, priorities=PRIORITIES, recipe="mixed"):
    return plan_dataset(
        pairs,
        max_train_rows=train,
        max_validation_rows=validation,
        max_eval_rows=evaluation,
        priorities=priorities,
        seed=seed,
        recipe=recipe,
    )


def test_when_the_cap_binds_higher_priority_relations_are_covered_first():
    pairs = make_pairs_for(make_facts(events=30, countries=10, athletes=200, heights=50))
    result = plan(pairs, train=60, validation=10, evaluation=8)
    coverage = result.coverage
    assert result.train_rows == 60
    assert coverage["event_medal"].facts_trained == 30
    assert coverage["country_medal_count"].facts_trained == 10
    assert coverage["athlete_country"].facts_trained == 20
    assert coverage["athlete_height"].facts_trained == 0
    assert list(coverage) == ["event_medal", "country_medal_count", "athlete_country", "athlete_height"]
    assert coverage["event_medal"].percent_covered == 100.0
    assert coverage["athlete_country"].percent_covered == 10.0


def test_caps_are_respected_and_held_out_rows_come_only_from_trained_facts():
    pairs = make_pairs_for(make_facts())
    result = plan(pairs, train=100, validation=15, evaluation=12)
    assert result.train_rows == 100 == len(result.train)
    assert result.validation_rows == 15
    for fact in result.facts.values():
        assert fact.train + fact.validation <= fact.available
        if fact.validation:
            assert fact.train >= 1
    trained_questions = {p.question for p in result.train}
    assert not [p for p in result.validation if p.question in trained_questions]


def test_held_out_rows_are_spread_across_relations_in_both_splits():
    pairs = make_pairs_for(make_facts())
    result = plan(pairs, train=200, validation=40, evaluation=40)
    for relation in ("event_medal", "country_medal_count", "athlete_country"):
        assert result.coverage[relation].validation_rows > 0


def test_with_room_to_spare_every_fact_is_trained_then_more_paraphrases_are_added():
    facts = make_facts(events=5, countries=3, athletes=10, heights=4)
    pairs = make_pairs_for(facts)
    result = plan(pairs)
    assert all(f.train >= 1 for f in result.facts.values())
    # small data: at most 10% of pairs are held out for validation
    assert 1 <= result.validation_rows <= len(pairs) // 10
    # every remaining paraphrase went to training
    assert result.train_rows + result.validation_rows == len(pairs)
    assert any(f.train > 1 for f in result.facts.values())


def test_more_paraphrases_go_to_higher_priority_facts_first():
    pairs = make_pairs_for(make_facts(events=10, countries=0, athletes=10, heights=0))
    # 20 facts get one row each, 5 rows left over: they go to event_medal facts
    result = plan(pairs, train=25, validation=0, evaluation=0)
    assert result.coverage["event_medal"].train_rows == 15
    assert result.coverage["athlete_country"].train_rows == 10


def test_the_plan_is_deterministic_and_the_seed_changes_which_facts_are_chosen():
    pairs = make_pairs_for(make_facts(athletes=300))

    def chosen(p):
        return sorted(f.fact_id for f in p.facts.values() if f.train)

    assert chosen(plan(pairs, train=100, seed=1)) == chosen(plan(list(reversed(pairs)), train=100, seed=1))
    assert chosen(plan(pairs, train=100, seed=1)) != chosen(plan(pairs, train=100, seed=2))


def test_relations_without_a_priority_come_last():
    pairs = make_pairs_for(make_facts(events=5, countries=5, athletes=5, heights=5))
    result = plan(pairs, train=10, priorities={"athlete_height": 0})
    assert result.coverage["athlete_height"].facts_trained == 5
    assert next(iter(result.coverage)) == "athlete_height"


def test_report_has_the_coverage_fields():
    result = plan(make_pairs_for(make_facts(events=3, countries=0, athletes=0, heights=0)))
    row = result.to_dict()["coverage"][0]
    assert set(row) >= {
        "relation",
        "facts_available",
        "facts_trained",
        "percent_covered",
        "train_rows",
        "validation_rows",
        "eval_rows",
    }


def test_a_combined_cap_keeps_training_plus_validation_within_it_and_keeps_validation():
    pairs = make_pairs_for(make_facts())
    result = plan_dataset(
        pairs,
        max_train_rows=100,
        max_validation_rows=15,
        max_eval_rows=12,
        max_total_rows=105,
        priorities=PRIORITIES,
        recipe="qa",
    )
    assert result.validation_rows == 15  # validation's share is set aside first
    assert result.train_rows == 90 and result.train_rows + result.validation_rows == 105
    assert result.caps["train_and_validation"] == 105


def test_training_takes_back_what_validation_did_not_use_under_a_combined_cap():
    # 4 facts with 2 paraphrases each: validation can take at most 1 row (10% of 8 pairs).
    pairs = make_pairs_for(make_facts(events=4, countries=0, athletes=0, heights=0))[:8]
    result = plan_dataset(
        pairs, max_train_rows=100, max_validation_rows=50, max_eval_rows=0, max_total_rows=8, recipe="qa"
    )
    assert result.validation_rows == 1
    assert result.train_rows == 7  # everything left, within the sum of 8


def _profile(relation: str, key: str, form: str, covers: list[str]) -> QAPair:
    return QAPair(
        f"{relation}:{key}|{form}",
        relation,
        f"Tell me about {key} ({form})?",
        f"All about {key}.",
        f"profile:{form}",
        tuple(covers),
    )


def test_mixed_packs_every_fact_and_qa_leaves_low_priority_relations_out():
    facts = make_facts(events=10, countries=4, athletes=60, heights=30)
    pairs = make_pairs_for(facts)
    athletes = [f.fact_id for f in facts if f.relation in ("athlete_country", "athlete_height")]
    groups = [athletes[i : i + 15] for i in range(0, len(athletes), 15)]
    profiles = [_profile("profile_athletes", str(n), form, g) for n, g in enumerate(groups) for form in "ab"]
    qa = plan(pairs + profiles, train=40, validation=5, recipe="qa")
    mixed = plan(pairs + profiles, train=40, validation=5, recipe="mixed")
    assert not [p for p in qa.train if p.covers]  # qa: single-fact rows only
    assert qa.coverage["athlete_height"].facts_trained == 0
    assert mixed.summary()["facts_trained"] == len(facts)
    assert mixed.summary()["percent_trained_with_two_phrasings"] == 100.0
    assert all(mixed.facts[f].train >= 2 for f in athletes)  # both forms of the group row
    assert mixed.train_rows == 40 and mixed.coverage["profile_athletes"].train_rows == 2 * len(groups)
    assert mixed.coverage["profile_athletes"].tokens > 0


def test_an_unknown_recipe_is_refused():
    with pytest.raises(ValueError, match="unknown recipe 'all'"):
        plan(make_pairs_for(make_facts(events=2, countries=0, athletes=0, heights=0)), recipe="all")
