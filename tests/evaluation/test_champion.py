"""Challenger against champion: stored answers, the paired test, and the gate's check."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from podium.config import GateSettings
from podium.evaluation import champion
from podium.evaluation.gate import Decision, decide
from podium.evaluation.runner import answers_key
from podium.evaluation.scoring import summarise
from podium.evaluation.stats import PairedCounts, paired_difference, wilson
from tests.evaluation.helpers import eval_jsonl, eval_set, question
from tests.workflow.fakes import MemoryStore

QUESTIONS = eval_set(paraphrase=200, unseen=20, trained=10)


def _answers(right: set[str]) -> dict[str, str]:
    """Right where listed; otherwise a confident wrong value (an unseen question refused)."""
    return {
        q.id: (q.answers[0] if q.id in right else ("I don't know." if q.kind == "unseen" else "Nobody Else"))
        for q in QUESTIONS
    }


def _known(answers: dict[str, str]) -> dict[str, champion.KnownAnswer]:
    return {
        champion.question_key(q): champion.KnownAnswer(q, answers[q.id], q.kind in champion.TAUGHT_KINDS)
        for q in QUESTIONS
    }


def _ids(kind: str, count: int) -> set[str]:
    return {q.id for q in [q for q in QUESTIONS if q.kind == kind][:count]}


def test_wilson_intervals_match_the_textbook_values():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 10)[0] == pytest.approx(0.0) and round(wilson(0, 10)[1], 4) == 0.2775
    assert wilson(0, 0) == (0.0, 1.0)  # nothing asked: nothing known


def test_the_paired_interval_is_narrower_than_unpaired_and_centred_on_the_difference():
    # 300 questions both got right, 20 only the champion, 10 only the challenger, 70 neither
    counts = PairedCounts(300, 20, 10, 70)
    low, high = paired_difference(counts)
    assert low < counts.difference < high
    a_low, a_high = wilson(320, 400)
    b_low, b_high = wilson(310, 400)
    assert high - low < (a_high - b_low) - (a_low - b_high)  # pairing removes the shared noise
    # the same difference is more certain from 10 discordant pairs than from 100
    few, many = PairedCounts(390, 10, 0, 0), PairedCounts(300, 55, 45, 0)
    assert few.difference == pytest.approx(many.difference)
    assert (
        paired_difference(few)[1] - paired_difference(few)[0] < paired_difference(many)[1] - paired_difference(many)[0]
    )


def test_stored_answers_are_paired_by_question_and_rescored_today():
    champion_right = _ids("paraphrase", 160) | _ids("trained", 10) | _ids("unseen", 20)
    challenger_right = _ids("paraphrase", 100) | _ids("trained", 10) | _ids("unseen", 20)
    comparison = champion.compare(
        QUESTIONS,
        _answers(challenger_right),
        _known(_answers(champion_right)),
        champion_run_id="run-1",
        champion_model_arn="arn:model/1",
    )
    assert comparison.shared == len(QUESTIONS) and comparison.from_file == len(QUESTIONS)
    assert comparison.counts.only_a == 60 and comparison.counts.only_b == 0
    assert comparison.loss == pytest.approx(60 / 230)
    assert comparison.loss_bounds()[0] > 0.15  # worse beyond noise
    assert len(comparison.disagreements) == champion.EXAMPLES
    assert all(d.champion_right for d in comparison.disagreements)


def test_a_changed_value_is_a_new_question_and_untaught_facts_are_not_counted_against_the_champion():
    known = _known(_answers({q.id for q in QUESTIONS}))
    changed = [replace(q, answers=("Another Value",)) if q.id == "p000" else q for q in QUESTIONS]
    assert champion.question_key(changed[0]) not in known
    # the champion had p001 held out (unseen for it), the challenger was taught it
    untaught = question("p001", "unseen", ("Value p001",))
    known[champion.question_key(untaught)] = champion.KnownAnswer(untaught, "I don't know.", False)
    comparison = champion.compare(
        changed, _answers({q.id for q in QUESTIONS}), known, champion_run_id="r", champion_model_arn="m"
    )
    assert comparison.shared == len(QUESTIONS) - 2
    assert comparison.new_facts == 1 and comparison.new_facts_challenger_right == 1
    assert comparison.new_facts_champion_right == 0


def test_live_answers_fill_the_gaps_and_their_facts_are_looked_up():
    known = _known(_answers(set()))
    gaps = {champion.question_key(q) for q in QUESTIONS[:50]}
    for key in gaps:
        known.pop(key)
    assert len(champion.questions_to_ask_live(QUESTIONS, known)) == 50
    live = {q.id: q.answers[0] for q in QUESTIONS[:50]}
    comparison = champion.compare(
        QUESTIONS,
        _answers(set()),
        known,
        champion_run_id="r",
        champion_model_arn="m",
        live_answers=live,
        champion_taught=lambda fact_id: True,
    )
    assert comparison.asked_live == 50 and comparison.from_file == len(QUESTIONS) - 50
    assert comparison.counts.only_a == 50


def test_the_gate_refuses_a_challenger_worse_than_the_champion_beyond_noise():
    champion_right = _ids("paraphrase", 170) | _ids("trained", 10) | _ids("unseen", 20)
    challenger_right = _ids("paraphrase", 130) | _ids("trained", 10) | _ids("unseen", 20)
    custom, base = summarise(QUESTIONS, _answers(challenger_right)), summarise(QUESTIONS, _answers(set()))
    comparison = champion.compare(
        QUESTIONS, _answers(challenger_right), _known(_answers(champion_right)), champion_run_id="run-1",
        champion_model_arn="m",
    )  # fmt: skip
    result = decide(custom, base, GateSettings(), champion=comparison)
    assert result.decision is Decision.DISCARD
    assert [c.setting for c in result.checks if not c.passed] == ["gate.max_loss_to_champion"]
    assert "loss to the champion (run run-1) 17.4% = champion 87.0% − new 69.6% on 230 shared questions" in (
        result.message
    )
    # a loss within what the setting allows passes
    assert decide(custom, base, GateSettings(max_loss_to_champion=0.25), champion=comparison).decision is (
        Decision.PROMOTE
    )


def test_noise_does_not_flip_the_decision():
    # 2 more questions right for the champion, 1 more for the challenger: not worse beyond noise
    champion_right = _ids("paraphrase", 150) | {"p198", "p199"}
    challenger_right = _ids("paraphrase", 150) | {"p197"}
    comparison = champion.compare(
        QUESTIONS, _answers(challenger_right), _known(_answers(champion_right)), champion_run_id="r",
        champion_model_arn="m",
    )  # fmt: skip
    assert comparison.loss > 0
    custom, base = summarise(QUESTIONS, _answers(challenger_right)), summarise(QUESTIONS, _answers(set()))
    assert decide(custom, base, GateSettings(), champion=comparison).decision is Decision.PROMOTE


def test_too_few_shared_questions_keep_the_champion_unless_comparing_is_off():
    known = _known(_answers(set()))
    few = dict(list(known.items())[:20])
    comparison = champion.compare(QUESTIONS, _answers(set()), few, champion_run_id="r", champion_model_arn="m")
    assert not comparison.enough
    good = summarise(QUESTIONS, _answers({q.id for q in QUESTIONS}))
    base = summarise(QUESTIONS, _answers(set()))
    result = decide(good, base, GateSettings(), champion=comparison)
    assert result.decision is Decision.DISCARD
    assert "only 20 of the 230 questions were also answered by the champion" in result.message
    # A champion with no throughput is not asked (nothing is spent on it): the message says so and how to change it
    assert "it has no provisioned throughput to be asked live" in result.message
    assert "Give the champion a provisioned throughput" in result.message
    assert decide(good, base, GateSettings(max_loss_to_champion=1), champion=comparison).decision is (Decision.PROMOTE)
    assert decide(good, base, GateSettings(), champion=None).decision is Decision.PROMOTE  # no champion


def test_known_answers_come_from_the_champions_run_files_and_live_answers_are_filed_there():
    store = MemoryStore()
    questions = eval_set(paraphrase=4, unseen=2, trained=1)
    store.write_text("runs/champ/eval.jsonl", eval_jsonl(questions))
    rows = [{"id": q.id, "model": "custom", "answer": q.answers[0], "simulated": True} for q in questions]
    rows += [{"id": q.id, "model": "base", "answer": "no", "simulated": True} for q in questions]
    store.write_text(answers_key("runs/champ/"), "".join(json.dumps(r) + "\n" for r in rows))
    extra = question("x001", "paraphrase", ("Extra",))
    champion.file_live_answers(store, "champ", "run-2", [(extra, "Extra it is", True, True)])
    known = champion.known_answers(store, "champ")
    assert len(known) == len(questions) + 1
    assert known[champion.question_key(extra)].answer == "Extra it is"
    assert known[champion.question_key(questions[0])].taught is True
    assert known[champion.question_key(questions[-2])].taught is False  # unseen: held out of its training
    assert champion.known_answers(store, "no-such-run") == {}
