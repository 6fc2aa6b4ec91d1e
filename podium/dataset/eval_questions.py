"""The evaluation set (eval.jsonl): questions that tell learning from memorising.

- "paraphrase": a trained fact asked with a held-out template (templates.Relation.held_out),
  which no train or validation row uses;
- "unseen": a fact deliberately kept out of training (and validation): `is_unseen` picks
  them before any row is made, so no profile states them either. Only relations whose
  facts no other relation restates can be kept out (an athlete's birth date and height;
  a medal or a country would be restated by events, rosters and profiles);
- "trained": an exact training prompt (the memorisation ceiling).

Relations are weighted as in training (by facts trained, at least MIN_PER_RELATION each),
at most planner.MAX_EVAL_PROMPTS (Bedrock's limit for an evaluation job) in all. Each question
carries the accepted answer values.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import cache

from podium.dataset.evalset import EvalQuestion
from podium.dataset.planner import MAX_EVAL_PROMPTS
from podium.dataset.records import Fact, QAPair
from podium.dataset.templates import is_held_out

SHARES = {"paraphrase": 0.80, "unseen": 0.15, "trained": 0.05}
MIN_PER_RELATION = 10
# Facts kept out of training: relations nothing else restates, and the share of each.
UNSEEN_RELATIONS = ("athlete_birth_date", "athlete_height")
UNSEEN_PER_MILLE = 100

_LIST_SPLIT = re.compile(r", | and ")
_DAY = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}")
# Relations whose answer value is a list ("A, B and C") of names that never contain ", " or " and ".
_LIST_RELATIONS = {"athlete_disciplines", "athlete_events", "venue_sports", "event_sport", "team_roster"}


@cache
def is_unseen(fact_id: str) -> bool:
    """Kept out of training for the evaluation: a fixed share of UNSEEN_RELATIONS, chosen by
    a hash of the fact id, so the generator and the dataset build agree without talking."""
    relation = fact_id.split(":", 1)[0]
    if relation not in UNSEEN_RELATIONS:
        return False
    digest = hashlib.blake2b(fact_id.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 1000 < UNSEEN_PER_MILLE


def answer_values(fact: Fact) -> tuple[tuple[str, ...], bool]:
    """(accepted answer values, require_all) for `fact`: values, not sentences."""
    slots = fact.slots
    if fact.relation == "event_medal" and slots.get("winner_names"):
        names = tuple(slots["winner_names"].split("|"))
        if len(names) == 1:
            aliases = tuple(a for a in slots.get("tv_winners", "").split("|") if a and a != names[0])
            return names + aliases, False
        return names, True
    if fact.relation == "country_medal_count":
        number = re.match(r"\d+", fact.answer_value)
        return ((number.group(0),) if number else (fact.answer_value,)), False
    if fact.relation == "athlete_medals" and "medal_count" in slots and slots["medal_count"] != "1":
        return tuple(
            re.split(r", (?=(?:gold|silver|bronze) in )| and (?=(?:gold|silver|bronze) in )", fact.answer_value)
        ), True
    if fact.relation == "event_medal_day":
        # A split-day event ("3 August 2024 (bronze) and 4 August 2024 (gold and silver)"):
        # each of its days is a right answer to "when were the medals decided?".
        days = tuple(_DAY.findall(fact.answer_value))
        return (days or (fact.answer_value,)), False
    if fact.relation in _LIST_RELATIONS:
        items = tuple(_LIST_SPLIT.split(fact.answer_value))
        return items, len(items) > 1
    return (fact.answer_value,), False


def _rank(seed: int, pair: QAPair) -> bytes:
    return hashlib.blake2b(f"{seed}|{pair.fact_id}|{pair.question}".encode(), digest_size=8).digest()


def _weights(trained_facts: Mapping[str, int], relations: Iterable[str], total: int) -> dict[str, int]:
    """Questions per relation: proportional to facts trained, at least MIN_PER_RELATION."""
    chosen = [r for r in relations if trained_facts.get(r, 0) > 0]
    if not chosen or total <= 0:
        return {}
    floor = min(MIN_PER_RELATION, total // len(chosen))
    rest = total - floor * len(chosen)
    weight_sum = sum(trained_facts[r] for r in chosen)
    return {r: floor + int(rest * trained_facts[r] / weight_sum) for r in chosen}


def build_eval_questions(
    values: Mapping[str, QAPair],
    held_out: Iterable[QAPair],
    unseen_pairs: Iterable[QAPair],
    train: Iterable[QAPair],
    trained_fact_ids: Iterable[str],
    *,
    seed: int = 0,
    limit: int = MAX_EVAL_PROMPTS,
) -> list[EvalQuestion]:
    """The evaluation questions; see the module docstring. `values`: by fact id, a pair that
    carries the fact's answer values; `held_out`: pairs of held-out templates;
    `unseen_pairs`: questions about the unseen facts (any template); `train`: the training rows."""
    facts = values
    trained = set(trained_fact_ids)
    trained_by_relation = Counter(facts[f].relation for f in trained if f in facts)
    budget = {kind: int(limit * share) for kind, share in SHARES.items()}

    def sample(pairs: list[QAPair], weights: dict[str, int]) -> list[QAPair]:
        by_relation: dict[str, list[QAPair]] = defaultdict(list)
        seen_facts: set[str] = set()
        for pair in sorted(pairs, key=lambda p: (p.fact_id, p.source, p.question)):
            by_relation[pair.relation].append(pair)
        out = []
        for relation in sorted(weights):
            # Ranked by a hash of the question, not shuffled: a run on changed data asks mostly
            # the questions the previous run asked, so the champion's answers on file compare.
            candidates = sorted(by_relation.get(relation, []), key=lambda pair: _rank(seed, pair))
            taken = 0
            for pair in candidates:
                if taken >= weights[relation]:
                    break
                if pair.fact_id in seen_facts:
                    continue  # one question per fact and kind
                seen_facts.add(pair.fact_id)
                out.append(pair)
                taken += 1
        return out

    paraphrase_pool = [p for p in held_out if is_held_out(p.source) and p.fact_id in trained and p.fact_id in facts]
    paraphrase = sample(paraphrase_pool, _weights(trained_by_relation, trained_by_relation, budget["paraphrase"]))
    unseen_pool = [p for p in unseen_pairs if p.fact_id in facts and p.fact_id not in trained]
    unseen_counts = Counter(p.relation for p in unseen_pool)
    unseen_weights = _weights(
        {r: trained_by_relation.get(r, 0) or unseen_counts[r] for r in unseen_counts}, unseen_counts, budget["unseen"]
    )
    unseen = sample(unseen_pool, unseen_weights)
    trained_pool = [p for p in train if not p.covers and p.fact_id in facts]
    trained_rows = sample(trained_pool, _weights(trained_by_relation, trained_by_relation, budget["trained"]))

    questions: list[EvalQuestion] = []
    for kind, pairs in (("paraphrase", paraphrase), ("unseen", unseen), ("trained", trained_rows)):
        for pair in pairs:
            known = facts[pair.fact_id]
            questions.append(
                EvalQuestion(
                    id=f"q{len(questions) + 1:04d}",
                    kind=kind,  # type: ignore[arg-type]
                    relation=pair.relation,
                    fact_id=pair.fact_id,
                    question=pair.question,
                    answers=known.values,
                    reference=pair.answer,
                    require_all=known.require_all,
                    extra={"source": pair.source},
                )
            )
    return questions[:limit]


def composition(questions: Iterable[EvalQuestion]) -> dict[str, dict[str, int]]:
    """Questions by kind, then by relation (for report.json)."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for question in questions:
        table[question.kind][question.relation] += 1
    return {kind: dict(sorted(counts.items())) for kind, counts in sorted(table.items())}


__all__ = [
    "UNSEEN_RELATIONS",
    "answer_values",
    "build_eval_questions",
    "composition",
    "is_unseen",
]
