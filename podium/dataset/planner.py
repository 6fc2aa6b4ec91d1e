"""Budget planner: which facts, and how many paraphrases of each, fit the model's caps.

Bedrock caps a Llama 3.1 training file at 10,000 rows, far fewer than the Paris data
has facts. The planner spends that budget in a fixed order of value:

1. one training paraphrase for each fact, relation by relation in priority order
   (lower number first: medals and medal tables before heights), so when the cap
   binds, the most important relations are covered completely;
2. held-out paraphrases of *trained* facts for validation and evaluation (never a fact
   training lacks), spread round-robin across relations so every relation is measured;
3. with room left, more training paraphrases per fact, again by priority.

It works on counts only; `split.py` decides which paraphrase text goes where.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podium.dataset.records import QAPair

# Bedrock evaluation jobs take at most 1,000 prompts from a custom dataset.
MAX_EVAL_PROMPTS = 1_000
# Relations without a known priority go after every known one.
UNKNOWN_PRIORITY = 1_000
# On small data, hold out at most this share of the pairs for each of validation and eval.
HOLDOUT_FRACTION = 0.1


@dataclass
class FactPlan:
    fact_id: str
    relation: str
    available: int  # paraphrases of this fact
    train: int = 0
    validation: int = 0
    eval: int = 0

    @property
    def unassigned(self) -> int:
        return self.available - self.train - self.validation - self.eval


@dataclass
class RelationCoverage:
    relation: str
    priority: int
    facts_available: int = 0
    paraphrases_available: int = 0
    facts_trained: int = 0
    train_rows: int = 0
    validation_rows: int = 0
    eval_rows: int = 0

    @property
    def percent_covered(self) -> float:
        return 100.0 * self.facts_trained / self.facts_available if self.facts_available else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "priority": self.priority,
            "facts_available": self.facts_available,
            "paraphrases_available": self.paraphrases_available,
            "facts_trained": self.facts_trained,
            "percent_covered": round(self.percent_covered, 2),
            "train_rows": self.train_rows,
            "validation_rows": self.validation_rows,
            "eval_rows": self.eval_rows,
        }


@dataclass
class Plan:
    facts: dict[str, FactPlan]  # every fact seen; unchosen ones have train == 0
    coverage: dict[str, RelationCoverage]  # in priority order
    caps: dict[str, int] = field(default_factory=dict)

    @property
    def train_rows(self) -> int:
        return sum(f.train for f in self.facts.values())

    @property
    def validation_rows(self) -> int:
        return sum(f.validation for f in self.facts.values())

    @property
    def eval_rows(self) -> int:
        return sum(f.eval for f in self.facts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "caps": dict(self.caps),
            "rows": {"train": self.train_rows, "validation": self.validation_rows, "eval": self.eval_rows},
            "coverage": [c.to_dict() for c in self.coverage.values()],
        }


def _round_robin(queues: list[list[FactPlan]]) -> Iterable[FactPlan]:
    """Yield one item from each queue in turn until all are empty."""
    positions = [0] * len(queues)
    live = [i for i, q in enumerate(queues) if q]
    while live:
        still = []
        for i in live:
            yield queues[i][positions[i]]
            positions[i] += 1
            if positions[i] < len(queues[i]):
                still.append(i)
        live = still


def _other(split: str) -> str:
    return "eval" if split == "validation" else "validation"


def plan_dataset(
    pairs: Iterable[QAPair],
    *,
    max_train_rows: int,
    max_validation_rows: int,
    max_eval_rows: int = MAX_EVAL_PROMPTS,
    max_total_rows: int | None = None,
    priorities: Mapping[str, int] | None = None,
    seed: int = 0,
) -> Plan:
    """Plan row counts per fact within the caps; see the module docstring for the order.
    `max_total_rows` bounds training + validation together (Bedrock's "Sum of training and
    validation records" quota): validation's share is set aside before training fills up."""
    priorities = priorities or {}
    facts: dict[str, FactPlan] = {}
    for pair in pairs:
        plan = facts.get(pair.fact_id)
        if plan is None:
            facts[pair.fact_id] = FactPlan(pair.fact_id, pair.relation, 1)
        else:
            plan.available += 1

    by_relation: dict[str, list[FactPlan]] = {}
    for plan in facts.values():
        by_relation.setdefault(plan.relation, []).append(plan)
    order = sorted(by_relation, key=lambda r: (priorities.get(r, UNKNOWN_PRIORITY), r))
    for relation in order:
        # Sorted, then shuffled with a per-relation seed: the choice under a binding cap is
        # deterministic and unbiased (not "athletes whose names start with A").
        queue = sorted(by_relation[relation], key=lambda p: p.fact_id)
        random.Random(f"{seed}|{relation}").shuffle(queue)
        by_relation[relation] = queue

    tiers: dict[int, list[str]] = {}
    for relation in order:
        tiers.setdefault(priorities.get(relation, UNKNOWN_PRIORITY), []).append(relation)

    total_pairs = sum(p.available for p in facts.values())
    small_data_cap = max(1, int(total_pairs * HOLDOUT_FRACTION))
    validation_cap = min(max_validation_rows, small_data_cap)
    train_cap = max_train_rows
    if max_total_rows is not None:
        validation_cap = min(validation_cap, max_total_rows // 2)  # never more validation than training
        train_cap = min(max_train_rows, max_total_rows - validation_cap)

    # 1. One training paraphrase per fact, tier by tier (relations of equal priority interleaved).
    train_budget = train_cap
    for tier in sorted(tiers):
        if train_budget == 0:
            break
        for plan in _round_robin([by_relation[r] for r in tiers[tier]]):
            plan.train = 1
            train_budget -= 1
            if train_budget == 0:
                break

    # 2. Held-out paraphrases of trained facts, alternating validation and eval, spread over relations.
    budgets = {
        "validation": validation_cap,
        "eval": min(max_eval_rows, small_data_cap),
    }
    trained = [[p for p in by_relation[r] if p.train] for r in order]
    # Alternate per relation, so each relation has rows in both validation and eval.
    next_split = {relation: "validation" for relation in order}
    progress = True
    while progress and (budgets["validation"] or budgets["eval"]):
        progress = False  # each pass gives a fact at most one more held-out paraphrase
        for plan in _round_robin(trained):
            if plan.unassigned < 1:
                continue
            wanted = next_split[plan.relation]
            split = wanted if budgets[wanted] else _other(wanted)
            if budgets[split] == 0:
                break
            setattr(plan, split, getattr(plan, split) + 1)
            budgets[split] -= 1
            next_split[plan.relation], progress = _other(split), True

    # 3. More training paraphrases per fact while the cap allows, by priority.
    if max_total_rows is not None:  # validation may have used less than its share
        used_train = sum(p.train for p in facts.values())
        used_validation = sum(p.validation for p in facts.values())
        train_budget = max(0, min(max_train_rows, max_total_rows - used_validation) - used_train)
    while train_budget > 0:
        added = 0
        for tier in sorted(tiers):
            for plan in _round_robin([[p for p in by_relation[r] if p.train] for r in tiers[tier]]):
                if train_budget == 0:
                    break
                if plan.unassigned > 0:
                    plan.train += 1
                    train_budget -= 1
                    added += 1
        if added == 0:
            break

    coverage = {r: RelationCoverage(r, priorities.get(r, UNKNOWN_PRIORITY)) for r in order}
    for plan in facts.values():
        c = coverage[plan.relation]
        c.facts_available += 1
        c.paraphrases_available += plan.available
        c.facts_trained += 1 if plan.train else 0
        c.train_rows += plan.train
        c.validation_rows += plan.validation
        c.eval_rows += plan.eval
    caps = {"train": max_train_rows, "validation": max_validation_rows, "eval": max_eval_rows}
    if max_total_rows is not None:
        caps["train_and_validation"] = max_total_rows
    return Plan(facts, coverage, caps)


__all__ = ["MAX_EVAL_PROMPTS", "FactPlan", "Plan", "RelationCoverage", "plan_dataset"]
