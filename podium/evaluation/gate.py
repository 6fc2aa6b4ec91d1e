"""The promotion gate: three thresholds on the evaluation scores, three decisions.

- promote:        every threshold is met.
- discard:        a threshold is missed; the message names each missed threshold with the numbers.
- not_evaluated:  the run was trained but not evaluated (`evaluate` off); such a model
                  never replaces an evaluated one (see `may_replace`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from podium.config import GateSettings
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
            "value": None if self.value is None else round(self.value, 4),
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


def decide(custom: ModelScores, base: ModelScores, gate: GateSettings, *, label: str = "") -> GateResult:
    """Apply the gate. `label` (e.g. "SIMULATED ") prefixes the message's numbers' origin."""
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
    failed = [check for check in checks if not check.passed]
    if failed:
        reasons = "; ".join(f"{check.setting}: {check.description}" for check in failed)
        return GateResult(Decision.DISCARD, checks, f"{label}evaluation failed the gate — {reasons}.")
    summary = "; ".join(check.description for check in checks)
    return GateResult(Decision.PROMOTE, checks, f"{label}evaluation passed the gate — {summary}.")


def not_evaluated(reason: str) -> GateResult:
    return GateResult(Decision.NOT_EVALUATED, (), f"trained, not evaluated: {reason}")


def may_replace(new_decision: Decision, active_decision: str | None) -> bool:
    """An unevaluated model never replaces an evaluated one; an evaluated one that passed may
    replace anything; a discarded one replaces nothing."""
    if new_decision is Decision.DISCARD:
        return False
    if new_decision is Decision.NOT_EVALUATED:
        return active_decision in (None, "", Decision.NOT_EVALUATED.value)
    return True


__all__ = ["Check", "Decision", "GateResult", "decide", "may_replace", "not_evaluated"]
