"""Knowledge-injection split: hold out paraphrases of trained facts, never the facts.

A fine-tune that teaches facts is measured by asking about facts it was trained on in
words it has not seen. So validation and eval rows are other paraphrases of facts the
training file contains, and no question text (normalized) appears in training and in a
held-out split. Everything is seeded: the same pairs and seed give the same files.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from podium.dataset.pairs import normalize_text
from podium.dataset.planner import Plan
from podium.dataset.records import QAPair


@dataclass(frozen=True)
class Split:
    train: list[QAPair]
    validation: list[QAPair]
    eval: list[QAPair]
    dropped_overlap: int = 0  # held-out rows dropped because their text was also in another split


def split_pairs(pairs: Iterable[QAPair], plan: Plan, *, seed: int = 0) -> Split:
    """Assign paraphrases to splits following `plan`'s counts per fact."""
    by_fact: dict[str, list[QAPair]] = {}
    for pair in pairs:
        by_fact.setdefault(pair.fact_id, []).append(pair)

    train: list[QAPair] = []
    held: dict[str, list[QAPair]] = {"validation": [], "eval": []}
    for fact_id in sorted(by_fact):
        fact_plan = plan.facts.get(fact_id)
        if fact_plan is None or fact_plan.train == 0:
            continue  # not chosen: no training row, so no held-out row either
        paraphrases = sorted(by_fact[fact_id], key=lambda p: (p.source, p.question))
        random.Random(f"{seed}|{fact_id}").shuffle(paraphrases)
        cut_validation = fact_plan.train + fact_plan.validation
        cut_eval = cut_validation + fact_plan.eval
        train.extend(paraphrases[: fact_plan.train])
        held["validation"].extend(paraphrases[fact_plan.train : cut_validation])
        held["eval"].extend(paraphrases[cut_validation:cut_eval])

    # Different facts can share a question text only when they also share the answer
    # (clean_pairs drops conflicts), but pairs from other generators may not be cleaned:
    # enforce the no-overlap rule here rather than trust upstream.
    seen = {normalize_text(p.question) for p in train}
    dropped = 0
    kept: dict[str, list[QAPair]] = {}
    for name in ("validation", "eval"):
        kept[name] = []
        for pair in held[name]:
            text = normalize_text(pair.question)
            if text in seen:
                dropped += 1
                continue
            seen.add(text)
            kept[name].append(pair)

    rng = random.Random(seed)
    for rows in (train, kept["validation"], kept["eval"]):
        rng.shuffle(rows)  # mix relations so no stretch of a file is one kind of fact
    return Split(train, kept["validation"], kept["eval"], dropped)


__all__ = ["Split", "split_pairs"]
