"""Budget planner: which rows fit the model's caps, and which facts they teach.

Bedrock caps a Llama 3.1 training file at 10,000 rows (and the account caps training
plus validation together), far fewer than the Paris data has facts. Three recipes:

- `deep` (default): fewer facts, each taught in at least five varied phrasings (short
  single-subject texts and single-fact questions, deep.py), by the relation priorities of
  the `teach_priorities` setting, plus a share of refusal rows. Facts the budget or the
  priorities leave out are reported as left out.

- `qa`: single-fact question–answer rows only. One row per fact, relation by relation in
  priority order (medals and medal tables first), then more paraphrases by priority.
  When the cap binds, low-priority relations are left out.
- `mixed`: packed rows first (profiles.py: every event, country, venue, team
  and every athlete in groups, each in two phrasings), then Q&A rows until every fact is
  stated in at least two different phrasings, then more Q&A rows for the highest-priority
  facts. Nearly every fact is trained within 10,000 rows; rows are longer.

Validation holds other paraphrases (Q&A rows) of trained facts, spread across relations,
never a question text that training uses. A fact's "phrasings" are the training rows
that state it; the planner reports them with coverage and tokens per relation.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from podium.dataset import deep
from podium.dataset.pairs import normalize_text
from podium.dataset.profiles import PROFILE_PRIORITIES
from podium.dataset.records import QAPair
from podium.dataset.texts import KINDS, is_text
from podium.dataset.tokens import row_tokens

Recipe = Literal["deep", "qa", "mixed"]
RECIPES: tuple[str, ...] = ("deep", "qa", "mixed")
DEFAULT_RECIPE: Recipe = "deep"
# Phrasings (training rows stating it) each recipe aims to give a trained fact.
PHRASINGS_AIMED: dict[str, int] = {"deep": deep.MIN_PHRASINGS, "mixed": 2, "qa": 1}
# Row kinds that state facts of other relations, in the order coverage lists them.
PACKED_PRIORITIES: dict[str, int] = {
    **PROFILE_PRIORITIES,
    **{f"text_{name}": n for n, name in enumerate(KINDS)},
}
# Bedrock evaluation jobs take at most 1,000 prompts from a custom dataset.
MAX_EVAL_PROMPTS = 1_000
# Relations without a known priority go after every known one.
UNKNOWN_PRIORITY = 1_000
# On small data, hold out at most this share of the Q&A pairs for validation.
HOLDOUT_FRACTION = 0.1
# Each fact should be stated in at least this many different training rows.
MIN_PHRASINGS = 2
# Packed rows of this kind come after the Q&A rows that give every fact two phrasings.
LATE_PROFILES = ("profile_medallist",)


@dataclass
class FactPlan:
    fact_id: str
    relation: str
    available: int = 0  # single-fact paraphrases of this fact
    train: int = 0  # training rows stating it (its phrasings)
    validation: int = 0


@dataclass
class RelationCoverage:
    relation: str
    priority: int
    facts_available: int = 0
    paraphrases_available: int = 0
    facts_trained: int = 0
    facts_with_two_phrasings: int = 0
    facts_with_five_phrasings: int = 0
    facts_held_out: int = 0  # kept out of training for the evaluation's unseen questions
    min_phrasings: int = 0  # the fewest training rows stating a trained fact of this relation
    train_rows: int = 0  # rows of this relation (Q&A rows, or packed rows of this kind)
    validation_rows: int = 0
    eval_rows: int = 0  # evaluation questions (filled in by the build)
    tokens: int = 0  # training tokens (row-cap estimate) of this relation's rows

    @property
    def percent_covered(self) -> float:
        return 100.0 * self.facts_trained / self.facts_available if self.facts_available else 0.0

    @property
    def facts_left_out(self) -> int:
        """Trainable facts the plan does not train (the row budget or the priorities left them out)."""
        return self.facts_available - self.facts_trained

    def to_dict(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "priority": self.priority,
            "facts_available": self.facts_available,
            "paraphrases_available": self.paraphrases_available,
            "facts_trained": self.facts_trained,
            "percent_covered": round(self.percent_covered, 2),
            "facts_left_out": self.facts_left_out,
            "facts_held_out": self.facts_held_out,
            "facts_with_two_phrasings": self.facts_with_two_phrasings,
            "facts_with_five_phrasings": self.facts_with_five_phrasings,
            "min_phrasings": self.min_phrasings,
            "train_rows": self.train_rows,
            "validation_rows": self.validation_rows,
            "eval_rows": self.eval_rows,
            "tokens": self.tokens,
        }


@dataclass
class Plan:
    facts: dict[str, FactPlan]  # every fact seen; untrained ones have train == 0
    coverage: dict[str, RelationCoverage]  # in priority order, packed-row kinds last
    train: list[QAPair] = field(default_factory=list)
    validation: list[QAPair] = field(default_factory=list)
    caps: dict[str, int] = field(default_factory=dict)
    recipe: str = DEFAULT_RECIPE
    refusals: dict[str, dict[str, int]] = field(default_factory=dict)  # relation → available, trained
    teach_priorities: tuple[str, ...] = ()  # the `deep` recipe's relation order

    @property
    def train_rows(self) -> int:
        return len(self.train)

    @property
    def validation_rows(self) -> int:
        return len(self.validation)

    def summary(self) -> dict[str, Any]:
        """Facts covered, phrasings per fact and tokens, over every relation."""
        facts = list(self.facts.values())
        trained = [f for f in facts if f.train]
        phrasings = Counter(min(f.train, 5) for f in trained)
        aimed = PHRASINGS_AIMED.get(self.recipe, MIN_PHRASINGS)
        refusal_rows = sum(r["trained"] for r in self.refusals.values())
        return {
            "recipe": self.recipe,
            "phrasings_aimed": aimed,
            "facts_with_phrasings_aimed": sum(1 for f in trained if f.train >= aimed),
            "min_phrasings": min((f.train for f in trained), default=0),
            "teach_priorities": list(self.teach_priorities),
            "refusal_rows": refusal_rows,
            "percent_refusal_rows": round(100.0 * refusal_rows / len(self.train), 2) if self.train else 0.0,
            "refusals": {relation: dict(counts) for relation, counts in self.refusals.items()},
            "facts": len(facts),
            "facts_trained": len(trained),
            "percent_facts_trained": round(100.0 * len(trained) / len(facts), 2) if facts else 0.0,
            "facts_with_two_phrasings": sum(1 for f in trained if f.train >= MIN_PHRASINGS),
            "percent_trained_with_two_phrasings": (
                round(100.0 * sum(1 for f in trained if f.train >= MIN_PHRASINGS) / len(trained), 2) if trained else 0.0
            ),
            "phrasings_per_trained_fact": {("5+" if k == 5 else str(k)): n for k, n in sorted(phrasings.items())},
            "train_tokens": sum(c.tokens for c in self.coverage.values()),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "caps": dict(self.caps),
            "rows": {"train": self.train_rows, "validation": self.validation_rows},
            "summary": self.summary(),
            "coverage": [c.to_dict() for c in self.coverage.values()],
        }


def _round_robin(queues: list[list[Any]]) -> Iterable[Any]:
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


def plan_dataset(
    pairs: Iterable[QAPair],
    *,
    max_train_rows: int,
    max_validation_rows: int,
    max_eval_rows: int = MAX_EVAL_PROMPTS,
    max_total_rows: int | None = None,
    priorities: Mapping[str, int] | None = None,
    seed: int = 0,
    recipe: str = DEFAULT_RECIPE,
    teach_priorities: Sequence[str] = deep.DEFAULT_TEACH_PRIORITIES,
    refusals: Sequence[QAPair] = (),
    held_out: Mapping[str, int] | None = None,
) -> Plan:
    """Choose training and validation rows within the caps; see the module docstring.

    `max_total_rows` bounds training + validation together (Bedrock's "Sum of training and
    validation records" quota): validation's share is set aside before training fills up.
    Profile rows (pairs with `covers`) are used only by the `mixed` recipe, text rows and
    `refusals` (questions the tables hold no value for) only by `deep`, which teaches the
    relations of `teach_priorities` in that order. `held_out`: facts kept out for the
    evaluation, per relation, for the coverage report.
    """
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}: use one of {', '.join(RECIPES)}")
    priorities = priorities or {}
    if recipe == "deep":  # the taught relations in their order, then the others
        teaching = {relation: n for n, relation in enumerate(dict.fromkeys(teach_priorities))}
        priorities = {r: UNKNOWN_PRIORITY + p for r, p in priorities.items() if r not in teaching} | teaching
    facts: dict[str, FactPlan] = {}
    qa_by_fact: dict[str, list[QAPair]] = {}
    profiles: list[QAPair] = []
    texts: list[QAPair] = []
    for pair in pairs:
        if pair.covers:
            if is_text(pair):
                if recipe == "deep":
                    texts.append(pair)
            elif recipe == "mixed":
                profiles.append(pair)
            continue
        plan = facts.get(pair.fact_id)
        if plan is None:
            plan = facts[pair.fact_id] = FactPlan(pair.fact_id, pair.relation)
        plan.available += 1
        qa_by_fact.setdefault(pair.fact_id, []).append(pair)
    for pair in profiles + texts:
        for fact_id in pair.covers:
            if fact_id not in facts:
                facts[fact_id] = FactPlan(fact_id, fact_id.split(":", 1)[0])

    def priority(relation: str) -> int:
        return priorities.get(relation, UNKNOWN_PRIORITY)

    by_relation: dict[str, list[FactPlan]] = {}
    for plan in facts.values():
        by_relation.setdefault(plan.relation, []).append(plan)
    order = sorted(by_relation, key=lambda r: (priority(r), r))
    for relation in order:
        # Sorted, then shuffled with a per-relation seed: the choice under a binding cap is
        # deterministic and unbiased (not "athletes whose names start with A").
        queue = sorted(by_relation[relation], key=lambda p: p.fact_id)
        random.Random(f"{seed}|{relation}").shuffle(queue)
        by_relation[relation] = queue
    for fact_id, paraphrases in qa_by_fact.items():
        # A seeded rotation (cheaper than a Random per fact) decides which paraphrase goes first.
        paraphrases.sort(key=lambda p: (p.source, p.question))
        turn = zlib.crc32(f"{seed}|{fact_id}".encode()) % len(paraphrases)
        paraphrases[:] = paraphrases[turn:] + paraphrases[:turn]
    tiers: dict[int, list[str]] = {}
    for relation in order:
        tiers.setdefault(priority(relation), []).append(relation)

    total_qa = sum(p.available for p in facts.values())
    validation_cap = min(max_validation_rows, max(1, int(total_qa * HOLDOUT_FRACTION)))
    train_cap = max_train_rows
    if max_total_rows is not None:
        validation_cap = min(validation_cap, max_total_rows // 2)  # never more validation than training
        train_cap = min(max_train_rows, max_total_rows - validation_cap)

    train: list[QAPair] = []
    used_questions: set[str] = set()
    next_paraphrase: Counter[str] = Counter()

    def take(pair: QAPair) -> bool:
        if len(train) >= train_cap:
            return False
        text = normalize_text(pair.question)
        if text in used_questions:
            return True  # another fact's identical question: skip it, keep going
        used_questions.add(text)
        train.append(pair)
        for fact_id in pair.facts_stated:
            facts[fact_id].train += 1
        return True

    def take_paraphrase(plan: FactPlan) -> bool:
        """One more Q&A row for `plan`'s fact; False when the cap is reached."""
        paraphrases = qa_by_fact.get(plan.fact_id, [])
        while next_paraphrase[plan.fact_id] < len(paraphrases):
            pair = paraphrases[next_paraphrase[plan.fact_id]]
            next_paraphrase[plan.fact_id] += 1
            before = len(train)
            if not take(pair):
                next_paraphrase[plan.fact_id] -= 1
                return False
            if len(train) > before:
                return True
        return True

    def qa_pass(wanted: int) -> None:
        """Give each fact, by priority tier, Q&A rows until it has `wanted` phrasings."""
        for tier in sorted(tiers):
            for plan in _round_robin([by_relation[r] for r in tiers[tier]]):
                while plan.train < wanted and next_paraphrase[plan.fact_id] < plan.available:
                    if not take_paraphrase(plan):
                        return

    refusal_report: dict[str, dict[str, int]] = {}
    if recipe == "deep":
        # 1–2. Texts and questions for the facts the priorities and the budget allow; refusals.
        train, refusal_report = deep.choose_rows(
            facts,
            qa_by_fact,
            texts,
            refusals,
            budget=train_cap,
            teach=teach_priorities,
            seed=seed,
            used_questions=used_questions,
        )
    else:
        # 1. Packed rows, kind by kind, first form of every subject before any second form.
        early = [p for p in profiles if p.relation not in LATE_PROFILES]
        late = [p for p in profiles if p.relation in LATE_PROFILES]
        for rows in (early, late):
            rows.sort(key=lambda p: (p.source, PROFILE_PRIORITIES.get(p.relation, UNKNOWN_PRIORITY), p.fact_id))
        for pair in early:
            if not take(pair):
                break
        # 2. Q&A rows until every fact has one phrasing, then two (the cap may stop either pass).
        for wanted in range(1, MIN_PHRASINGS + 1):
            qa_pass(wanted)
        for pair in late:
            if not take(pair):
                break

    # 3. Validation: other paraphrases of trained facts, round-robin over relations.
    validation: list[QAPair] = []
    trained_queues = [[p for p in by_relation[r] if p.train] for r in order]
    progress = True
    while progress and len(validation) < validation_cap:
        progress = False
        for plan in _round_robin(trained_queues):
            if len(validation) >= validation_cap:
                break
            paraphrases = qa_by_fact.get(plan.fact_id, [])
            while next_paraphrase[plan.fact_id] < len(paraphrases):
                pair = paraphrases[next_paraphrase[plan.fact_id]]
                next_paraphrase[plan.fact_id] += 1
                text = normalize_text(pair.question)
                if text in used_questions:
                    continue
                used_questions.add(text)
                validation.append(pair)
                plan.validation += 1
                progress = True
                break

    # 4. More Q&A rows by priority while the cap allows (validation may have used less than its
    # share); not for `deep`, whose facts have their phrasings and whose left-out facts stay out.
    if max_total_rows is not None:
        train_cap = min(max_train_rows, max_total_rows - len(validation))
    wanted = MIN_PHRASINGS
    while recipe != "deep" and len(train) < train_cap:
        before = len(train)
        wanted += 1
        qa_pass(wanted)
        if len(train) == before:
            break

    coverage = {r: RelationCoverage(r, priority(r)) for r in order}
    for relation, count in (held_out or {}).items():
        coverage.setdefault(relation, RelationCoverage(relation, priority(relation))).facts_held_out = count
    for plan in facts.values():
        c = coverage[plan.relation]
        c.facts_available += 1
        c.paraphrases_available += plan.available
        c.facts_trained += 1 if plan.train else 0
        c.facts_with_two_phrasings += 1 if plan.train >= 2 else 0
        c.facts_with_five_phrasings += 1 if plan.train >= deep.MIN_PHRASINGS else 0
        if plan.train:
            c.min_phrasings = min(c.min_phrasings or plan.train, plan.train)
        c.validation_rows += plan.validation
    for pair in train:
        if pair.relation not in coverage:
            coverage[pair.relation] = RelationCoverage(pair.relation, PACKED_PRIORITIES.get(pair.relation, 0))
        coverage[pair.relation].train_rows += 1
        coverage[pair.relation].tokens += row_tokens(pair.question, pair.answer)
    caps = {"train": max_train_rows, "validation": max_validation_rows, "eval": max_eval_rows}
    if max_total_rows is not None:
        caps["train_and_validation"] = max_total_rows
    teach = tuple(teach_priorities) if recipe == "deep" else ()
    return Plan(facts, coverage, train, validation, caps, recipe, refusal_report, teach)


__all__ = [
    "DEFAULT_RECIPE",
    "MAX_EVAL_PROMPTS",
    "RECIPES",
    "FactPlan",
    "Plan",
    "Recipe",
    "RelationCoverage",
    "plan_dataset",
]
