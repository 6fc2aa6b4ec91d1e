"""The `deep` recipe: teach fewer facts, each in at least MIN_PHRASINGS varied phrasings.

The knowledge-injection literature (Allen-Zhu & Li, "Physics of Language Models 3.1";
Ovadia et al. 2024; Gekhman et al. 2024) finds that fine-tuning makes a fact answerable to
a new question only when training stated it in many varied phrasings, and that facts seen
once or twice are memorised, not learned. Bedrock's row cap (Llama 3.1: 10,000) cannot
give every one of the ~53,000 Paris facts that depth, so this recipe chooses:

- Relations are taught in the order of the `teach_priorities` setting (medals, results
  and medal tables first); a relation left off that list is not taught at all (event →
  sport, by default: base models know the Olympic programme). Within a relation, facts are
  taken in a seeded random order (unbiased, reproducible) while the row budget allows.
- A taught fact is stated by TEXTS_PER_FACT short texts about its subject (texts.py: its
  event, country, athlete, team, venue; one text per form, sentences in varied order and
  wording) and QUESTIONS_PER_FACT single-fact questions in different templates, answered
  value first: MIN_PHRASINGS training rows in all. A subject's texts cost rows once; each
  fact added to them costs its questions. A fact that cannot get every phrasing (too few
  distinct questions, or a text that would pass texts.MAX_TEXT_CHARS) is not taught.
- Refusal rows: REFUSAL_SHARE of the training file asks about values the tables do not
  hold (an athlete's height listed as 0.0 or a missing birth date; the birth date of a
  technical official or coach, which the full data mostly lacks), answered "I don't have
  that information." or a close form, taken from each relation in turn; athletes the file
  teaches come first (the model learns what it does not know about someone it knows).
  Facts kept out for the evaluation have a value, so they are never among them.

Facts not taught are reported as left out (planner.RelationCoverage), never hidden.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from podium import config
from podium.dataset.pairs import normalize_text
from podium.dataset.records import QAPair
from podium.dataset.texts import MAX_TEXT_CHARS, TEXT_FORMS, narrowed, sentence_lengths, subject_key

if TYPE_CHECKING:
    from podium.dataset.planner import FactPlan

TEXTS_PER_FACT = len(TEXT_FORMS)
QUESTIONS_PER_FACT = 2
MIN_PHRASINGS = TEXTS_PER_FACT + QUESTIONS_PER_FACT
# Share of the training rows that are refusals; README "Refusal rows" gives the reasons.
REFUSAL_SHARE = 0.05
# The relations taught, most important first (podium.config holds the setting's default).
DEFAULT_TEACH_PRIORITIES: tuple[str, ...] = config.DEFAULT_TEACH_PRIORITIES


def _seeded(items: Iterable[str], seed: int, salt: str) -> list[str]:
    """`items` sorted, then shuffled by seed and salt: deterministic and unbiased."""
    ordered = sorted(items)
    random.Random(f"{seed}|{salt}").shuffle(ordered)
    return ordered


def choose_rows(
    facts: Mapping[str, FactPlan],
    qa_by_fact: Mapping[str, Sequence[QAPair]],
    texts: Iterable[QAPair],
    refusals: Sequence[QAPair],
    *,
    budget: int,
    teach: Sequence[str],
    seed: int,
    used_questions: set[str],
) -> tuple[list[QAPair], dict[str, dict[str, int]]]:
    """The training rows (see the module docstring) within `budget` rows; increments each
    taught fact's FactPlan.train and adds every question used to `used_questions`.
    Returns (rows, refusals by relation: {"available": people without the value, "trained":
    rows, "people": people they ask about})."""
    forms: dict[str, dict[str, QAPair]] = defaultdict(dict)  # subject → form → text row
    for pair in texts:
        forms[subject_key(pair)][pair.source] = pair
    subject_of: dict[str, str] = {}
    lengths: dict[str, list[dict[str, int]]] = {}  # subject → per form: fact → characters
    for subject, rows in forms.items():
        if len(rows) < TEXTS_PER_FACT:
            continue
        lengths[subject] = [sentence_lengths(row) for row in rows.values()]
        for fact_id in next(iter(rows.values())).covers:
            subject_of[fact_id] = subject

    reserve = min(len(refusals), round(REFUSAL_SHARE * budget))
    budget -= reserve
    by_relation: dict[str, list[str]] = defaultdict(list)
    for fact_id, plan in facts.items():
        by_relation[plan.relation].append(fact_id)
    taught: dict[str, list[str]] = {}  # subject → its taught facts
    text_chars: dict[str, list[int]] = {}  # subject → answer length per form
    train: list[QAPair] = []
    rows_used = 0
    for relation in teach:
        if rows_used + QUESTIONS_PER_FACT > budget:
            break  # not even one more question fits: the remaining relations are left out
        for fact_id in _seeded(by_relation.get(relation, ()), seed, relation):
            subject = subject_of.get(fact_id)
            if subject is None:
                continue
            questions: list[QAPair] = []
            for pair in qa_by_fact.get(fact_id, ()):
                text = normalize_text(pair.question)
                if text not in used_questions and all(normalize_text(q.question) != text for q in questions):
                    questions.append(pair)
                    if len(questions) == QUESTIONS_PER_FACT:
                        break
            if len(questions) < QUESTIONS_PER_FACT:
                continue
            new_subject = subject not in taught
            cost = QUESTIONS_PER_FACT + (TEXTS_PER_FACT if new_subject else 0)
            if rows_used + cost > budget:
                continue  # a later, cheaper fact (of an open subject) may still fit
            grown = [
                chars + per_form[fact_id]
                for chars, per_form in zip(
                    text_chars.get(subject, [-1] * TEXTS_PER_FACT), lengths[subject], strict=True
                )
            ]
            if max(grown) > MAX_TEXT_CHARS:
                continue
            taught.setdefault(subject, []).append(fact_id)
            text_chars[subject] = grown
            used_questions.update(normalize_text(q.question) for q in questions)
            train.extend(questions)
            rows_used += cost
            facts[fact_id].train += MIN_PHRASINGS
    for subject, fact_ids in taught.items():
        for row in forms[subject].values():
            used_questions.add(normalize_text(row.question))
            train.append(narrowed(row, set(fact_ids)))

    # Refusals: as many as make REFUSAL_SHARE of the file, athletes it teaches first.
    wanted = min(reserve, round(REFUSAL_SHARE / (1 - REFUSAL_SHARE) * len(train)))
    candidates: dict[str, list[QAPair]] = defaultdict(list)
    for pair in sorted(refusals, key=lambda p: (p.fact_id, p.question)):
        candidates[pair.relation].append(pair)
    report = {
        relation: {"available": len({p.fact_id for p in pairs}), "trained": 0, "people": 0}
        for relation, pairs in sorted(candidates.items())
    }
    asked: set[str] = set()
    queues = []
    for relation, pairs in sorted(candidates.items()):
        random.Random(f"{seed}|{relation}").shuffle(pairs)
        known = [f"text_athlete:{p.fact_id.split(':', 1)[1]}" in taught for p in pairs]
        queues.append(
            [p for p, k in zip(pairs, known, strict=True) if k]
            + [p for p, k in zip(pairs, known, strict=True) if not k]
        )
    position = [0] * len(queues)
    chosen = 0
    while chosen < wanted and any(position[i] < len(q) for i, q in enumerate(queues)):
        for i, queue in enumerate(queues):  # round-robin: each refusal relation alike
            while position[i] < len(queue) and chosen < wanted:
                pair = queue[position[i]]
                position[i] += 1
                text = normalize_text(pair.question)
                if text in used_questions:
                    continue
                used_questions.add(text)
                train.append(pair)
                report[pair.relation]["trained"] += 1
                if pair.fact_id not in asked:
                    asked.add(pair.fact_id)
                    report[pair.relation]["people"] += 1
                chosen += 1
                break
    return train, report


__all__ = [
    "DEFAULT_TEACH_PRIORITIES",
    "MIN_PHRASINGS",
    "QUESTIONS_PER_FACT",
    "REFUSAL_SHARE",
    "TEXTS_PER_FACT",
    "choose_rows",
]
