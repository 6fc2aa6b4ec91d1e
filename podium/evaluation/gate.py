"""The promotion gate: thresholds on the evaluation scores, against the base model and
against the active model (the champion), and three decisions.

- promote:        every threshold is met.
- discard:        a threshold is missed; the message names each missed threshold with the numbers.
- not_evaluated:  the run was trained but not evaluated (`evaluate` off); such a model
                  never replaces an evaluated one (see `may_replace`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from podium.config import GateSettings
from podium.evaluation.champion import Comparison
from podium.evaluation.scoring import ModelScores


class Decision(str, enum.Enum):
    PROMOTE = "promote"
    DISCARD = "discard"
    NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True)
class Check:
    setting: str  # the gate setting, e.g. "gate.min_paraphrase_accuracy"
    value: float | None  # what the model reached (None: nothing to measure it on)
    threshold: float
    passed: bool
    description: str  # one sentence with the numbers

    def to_dict(self) -> dict[str, object]:
        return {
            "setting": self.setting,
            "value": None if self.value is None else round(self.value, 6),
            "threshold": self.threshold,
            "passed": self.passed,
            "description": self.description,
        }


@dataclass(frozen=True)
class GateResult:
    decision: Decision
    checks: tuple[Check, ...]
    message: str

    def to_dict(self) -> dict[str, object]:
        return {
            "decision": self.decision.value,
            "message": self.message,
            "checks": [check.to_dict() for check in self.checks],
        }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


CHAMPION_SETTING = "gate.max_loss_to_champion"


def champion_check(comparison: Comparison | None, gate: GateSettings, *, can_ask_live: bool = False) -> Check | None:
    """The challenger may be worse than the champion by at most gate.max_loss_to_champion:
    refused when the paired test's one-sided 95% lower bound of the loss is above it (worse
    beyond noise). None: there is no evaluated champion to compare with."""
    if comparison is None:
        return None
    allowed = gate.max_loss_to_champion
    run = comparison.champion_run_id
    if allowed >= 1:
        return Check(
            CHAMPION_SETTING, None, allowed, True, f"not compared with the champion (run {run}): allowed loss 100%"
        )
    if not comparison.enough:
        why = "it was asked live as well" if can_ask_live else "it has no provisioned throughput to be asked live"
        return Check(
            CHAMPION_SETTING,
            None,
            allowed,
            False,
            f"only {comparison.shared} of the {comparison.questions} questions were also answered by the champion "
            f"(run {run}; {why}): too few to show the new model is not worse, so the champion stays. Give the "
            "champion a provisioned throughput so it can be asked, or set gate_max_loss_to_champion to 1 in cdk.json "
            "(and redeploy) to stop comparing",
        )
    loss = comparison.loss or 0.0
    low, _ = comparison.loss_bounds()
    counts = comparison.counts
    new = comparison.new_facts
    return Check(
        CHAMPION_SETTING,
        loss,
        allowed,
        low <= allowed + 1e-12,
        f"loss to the champion (run {run}) {_pct(loss)} = champion {_pct(counts.accuracy_a)} − new "
        f"{_pct(counts.accuracy_b)} on {counts.n} shared questions ({counts.only_a} right only by the champion, "
        f"{counts.only_b} only by the new model); the loss is at least {_pct(max(low, 0.0))} with 95% confidence "
        f"(maximum {_pct(allowed)})" + (f"; {new} questions on facts new to the challenger not counted" if new else ""),
    )


def decide(
    custom: ModelScores,
    base: ModelScores,
    gate: GateSettings,
    *,
    label: str = "",
    champion: Comparison | None = None,
    can_ask_champion: bool = False,
) -> GateResult:
    """Apply the gate. `label` (e.g. "SIMULATED ") prefixes the message's numbers' origin;
    `champion`: the comparison with the active model (None: there is none to compare with)."""
    new_accuracy = custom.accuracy("paraphrase")
    base_accuracy = base.accuracy("paraphrase")
    gain = None if new_accuracy is None or base_accuracy is None else new_accuracy - base_accuracy
    hallucination = custom.hallucination_rate("unseen")
    checks = (
        Check(
            "gate.min_paraphrase_accuracy",
            new_accuracy,
            gate.min_paraphrase_accuracy,
            new_accuracy is not None and new_accuracy >= gate.min_paraphrase_accuracy,
            f"paraphrase accuracy {_pct(new_accuracy)} (minimum {_pct(gate.min_paraphrase_accuracy)})",
        ),
        Check(
            "gate.min_gain_over_base",
            gain,
            gate.min_gain_over_base,
            gain is not None and gain >= gate.min_gain_over_base - 1e-12,
            f"gain over the base model {_pct(gain)} = {_pct(new_accuracy)} − base {_pct(base_accuracy)} "
            f"(minimum {_pct(gate.min_gain_over_base)})",
        ),
        Check(
            "gate.max_unseen_hallucination",
            hallucination,
            gate.max_unseen_hallucination,
            # no unseen questions: nothing was invented
            hallucination is None or hallucination <= gate.max_unseen_hallucination,
            f"hallucination rate on unseen facts {_pct(hallucination)} (maximum {_pct(gate.max_unseen_hallucination)})",
        ),
    )
    against_champion = champion_check(champion, gate, can_ask_live=can_ask_champion)
    if against_champion is not None:
        checks = (*checks, against_champion)
    failed = [check for check in checks if not check.passed]
    if failed:
        reasons = "; ".join(f"{check.setting}: {check.description}" for check in failed)
        return GateResult(Decision.DISCARD, checks, f"{label}evaluation failed the gate — {reasons}.")
    summary = "; ".join(check.description for check in checks)
    return GateResult(Decision.PROMOTE, checks, f"{label}evaluation passed the gate — {summary}.")


def not_evaluated(reason: str) -> GateResult:
    return GateResult(Decision.NOT_EVALUATED, (), f"trained, not evaluated: {reason}")


def may_replace(new_decision: Decision, active_decision: str | None) -> bool:
    """An unevaluated model never replaces an evaluated one; an evaluated one that passed the
    gate (which compared it with the evaluated champion, see champion_check) may replace
    anything; a discarded one replaces nothing."""
    if new_decision is Decision.DISCARD:
        return False
    if new_decision is Decision.NOT_EVALUATED:
        return active_decision in (None, "", Decision.NOT_EVALUATED.value)
    return True


__all__ = [
    "CHAMPION_SETTING",
    "Check",
    "Decision",
    "GateResult",
    "champion_check",
    "decide",
    "may_replace",
    "not_evaluated",
]
