"""Knowledge-injection split: the planner's training and validation rows, mixed.

A fine-tune that teaches facts is measured by asking about facts it was trained on in
words it has not seen. So validation rows are other paraphrases of facts the training
file states (the planner chose them), and no question text (normalized) appears in both.
Held-out templates and facts kept out of training go to the evaluation set
(eval_questions.py), never here. Everything is seeded: the same pairs and seed give the
same files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from podium.dataset.pairs import normalize_text
from podium.dataset.planner import Plan
from podium.dataset.records import QAPair


@dataclass(frozen=True)
class Split:
    train: list[QAPair]
    validation: list[QAPair]
    dropped_overlap: int = 0  # validation rows dropped because their text was also in training


def split_pairs(plan: Plan, *, seed: int = 0) -> Split:
    """The plan's rows, shuffled; validation rows whose question training also asks are dropped
    (the planner avoids them; pairs from other generators are not trusted to)."""
    train = list(plan.train)
    seen = {normalize_text(p.question) for p in train}
    validation, dropped = [], 0
    for pair in plan.validation:
        text = normalize_text(pair.question)
        if text in seen:
            dropped += 1
            continue
        seen.add(text)
        validation.append(pair)
    rng = random.Random(seed)
    for rows in (train, validation):
        rng.shuffle(rows)  # mix relations so no stretch of a file is one kind of fact
    return Split(train, validation, dropped)


__all__ = ["Split", "split_pairs"]
