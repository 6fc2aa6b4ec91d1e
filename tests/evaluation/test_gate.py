"""The promotion gate's three decisions, and messages naming the failed threshold with the numbers."""

from __future__ import annotations

from podium.config import GateSettings, parse_run_settings
from podium.errors import ConfigError
from podium.evaluation.gate import Decision, decide, may_replace, not_evaluated
from podium.evaluation.scoring import summarise
from tests.evaluation.helpers import eval_set

QUESTIONS = eval_set(paraphrase=10, unseen=10, trained=2)


def _answers(right_paraphrase: int, hallucinated_unseen: int) -> dict[str, str]:
    answers = {}
    for q in QUESTIONS:
        n = int(q.id[1:])
        if q.kind == "paraphrase":
            answers[q.id] = q.answers[0] if n < right_paraphrase else "No idea, maybe someone"
        elif q.kind == "unseen":
            answers[q.id] = "Somebody Else" if n < hallucinated_unseen else "I don't know."
        else:
            answers[q.id] = q.answers[0]
    return answers


def test_promote_when_every_threshold_is_met():
    result = decide(summarise(QUESTIONS, _answers(8, 1)), summarise(QUESTIONS, _answers(2, 0)), GateSettings())
    assert result.decision is Decision.PROMOTE
    assert all(check.passed for check in result.checks)
    assert "80.0%" in result.message


def test_discard_names_each_failed_threshold_with_the_numbers():
    gate = GateSettings(min_paraphrase_accuracy=0.9, min_gain_over_base=0.5, max_unseen_hallucination=0.2)
    custom, base = summarise(QUESTIONS, _answers(6, 3)), summarise(QUESTIONS, _answers(4, 0))
    result = decide(custom, base, gate, label="SIMULATED ")
    assert result.decision is Decision.DISCARD
    assert result.message.startswith("SIMULATED evaluation failed the gate")
    assert "gate.min_paraphrase_accuracy: paraphrase accuracy 60.0% (minimum 90.0%)" in result.message
    assert "gate.min_gain_over_base: gain over the base model 20.0% = 60.0% − base 40.0% (minimum 50.0%)" in (
        result.message
    )
    assert "gate.max_unseen_hallucination: hallucination rate on unseen facts 30.0% (maximum 20.0%)" in result.message


def test_one_failed_threshold_is_the_only_one_named():
    gate = GateSettings(min_paraphrase_accuracy=0.5, min_gain_over_base=0.0, max_unseen_hallucination=0.1)
    result = decide(summarise(QUESTIONS, _answers(9, 5)), summarise(QUESTIONS, _answers(0, 0)), gate)
    assert result.decision is Decision.DISCARD
    assert "max_unseen_hallucination" in result.message
    assert "min_paraphrase_accuracy" not in result.message


def test_no_paraphrase_questions_cannot_pass():
    only_unseen = [q for q in QUESTIONS if q.kind == "unseen"]
    result = decide(summarise(only_unseen, {}), summarise(only_unseen, {}), GateSettings())
    assert result.decision is Decision.DISCARD
    assert "paraphrase accuracy n/a" in result.message


def test_trained_not_evaluated_never_replaces_an_evaluated_model():
    assert not_evaluated("evaluate is off").decision is Decision.NOT_EVALUATED
    assert may_replace(Decision.NOT_EVALUATED, None)
    assert may_replace(Decision.NOT_EVALUATED, "not_evaluated")
    assert not may_replace(Decision.NOT_EVALUATED, "promote")
    assert may_replace(Decision.PROMOTE, "promote")
    assert not may_replace(Decision.DISCARD, None)


def test_gate_settings_are_validated_like_the_others():
    settings = parse_run_settings({"gate": {"min_paraphrase_accuracy": 0.7}, "evaluate": False})
    assert settings.gate.min_paraphrase_accuracy == 0.7 and settings.gate.min_gain_over_base == 0.1
    assert not settings.evaluate and not settings.keep_discarded
    for bad, setting in (
        ({"gate": {"min_paraphrase_accuracy": 1.5}}, "gate.min_paraphrase_accuracy"),
        ({"gate": {"max_hallucination": 0.1}}, "gate.max_hallucination"),
        ({"eval_concurrency": 0}, "eval_concurrency"),
    ):
        try:
            parse_run_settings(bad)
        except ConfigError as error:
            assert error.setting == setting
        else:
            raise AssertionError(f"{bad} was accepted")
