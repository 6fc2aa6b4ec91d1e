"""Challenger against champion: is the new model worse than the active one?

Every evaluated model's answers stay in its run's files (eval.jsonl, eval/answers.jsonl),
so a later run compares on the questions both models were asked without asking the
champion again. A question is "the same" when its words and its accepted answers are
(after folding case, accents and punctuation): a fact whose value changed in the new data
is a new question. When too few questions are shared, the run asks the champion the
missing ones live (when it can be invoked) and files those answers under the champion's
run (eval/asked-later/), for the next challenger.

The comparison is paired: both models' verdicts on each shared question (right or wrong,
by the scoring rules of today, applied to both), and the interval of the difference comes
from podium.evaluation.stats.paired_difference. Facts the challenger was taught and the
champion never was ("new facts") are counted apart, not against the champion.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podium.adapters.ports import ObjectStore
from podium.dataset.evalset import EvalQuestion
from podium.dataset.files import EVAL_FILE, run_prefix
from podium.evaluation.scoring import fold, score_answer, summarise
from podium.evaluation.stats import GATE_CONFIDENCE, PairedCounts, paired_difference

TAUGHT_KINDS = frozenset({"paraphrase", "trained"})  # asked about a fact the model was trained on
# Enough shared questions to compare without asking the champion: this many, or half of the
# challenger's questions when it has fewer (a small dataset's whole evaluation set).
MIN_SHARED_QUESTIONS = 100
ASKED_LATER = "eval/asked-later/"  # under the champion's run: answers later runs asked it live
EXAMPLES = 6  # questions on which the two models disagree, kept for the report
CHAMPION = "champion"  # the `model` of an answer the champion gave in a challenger's evaluation


def enough_shared(shared: int, questions: int) -> bool:
    return shared >= min(MIN_SHARED_QUESTIONS, max(1, questions // 2))


def question_key(question: EvalQuestion) -> str:
    """The same question in any run: its words and accepted answers, folded."""
    answers = "|".join(sorted(fold(answer) for answer in question.answers))
    return f"{fold(question.question)}\x1f{answers}\x1f{int(question.require_all)}"


def is_right(question: EvalQuestion, answer: str) -> bool:
    """The verdict the comparison counts: right or wrong, as the evaluation scores it."""
    return score_answer(question, answer).correct


@dataclass(frozen=True)
class KnownAnswer:
    """An answer a model gave, with the question as it was asked of that model."""

    question: EvalQuestion
    answer: str
    taught: bool | None  # was the fact in that model's training data? (None: not known)
    simulated: bool = False


# ---- the champion's stored answers --------------------------------------------------------


def _jsonl(text: str) -> Iterable[dict[str, Any]]:
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            if isinstance(row, dict):
                yield row


def known_answers(store: ObjectStore, champion_run_id: str) -> dict[str, KnownAnswer]:
    """Every answer the champion gave that is on file, by question_key: its own evaluation
    (the "custom" model of its run) and the questions later runs asked it live."""
    from podium.evaluation.runner import answers_key, read_questions

    prefix = run_prefix(champion_run_id)
    known: dict[str, KnownAnswer] = {}
    try:
        questions = {q.id: q for q in read_questions(store.read_text(prefix + EVAL_FILE))}
        rows = list(_jsonl(store.read_text(answers_key(prefix))))
    except FileNotFoundError:
        questions, rows = {}, []
    for row in rows:
        question = questions.get(str(row.get("id")))
        if row.get("model") == "custom" and question is not None:
            known[question_key(question)] = KnownAnswer(
                question, str(row.get("answer", "")), question.kind in TAUGHT_KINDS, bool(row.get("simulated"))
            )
    for key in sorted(store.list_keys(prefix + ASKED_LATER)):
        for row in _jsonl(store.read_text(key)):
            question = EvalQuestion.from_json(row["question"])
            known.setdefault(
                question_key(question),
                KnownAnswer(question, str(row.get("answer", "")), row.get("taught"), bool(row.get("simulated"))),
            )
    return known


def taught_lookup(
    known: Mapping[str, KnownAnswer], taught_facts: frozenset[str] | None = None
) -> Callable[[str], bool | None]:
    """Whether the champion was taught a fact (by fact id): from its run's list of taught facts
    (taught_facts.txt) when there is one, else as far as its evaluation tells (None: unknown)."""
    if taught_facts is not None:
        return lambda fact_id: fact_id in taught_facts
    by_fact: dict[str, bool] = {}
    for answer in known.values():
        if answer.taught is not None:
            by_fact.setdefault(answer.question.fact_id, answer.taught)
    return by_fact.get


def taught_facts(store: ObjectStore, run_id: str) -> frozenset[str] | None:
    """The facts a run's training data states (BuildDataset's taught_facts.txt); None without it."""
    from podium.dataset.files import TAUGHT_FACTS_FILE

    try:
        text = store.read_text(run_prefix(run_id) + TAUGHT_FACTS_FILE)
    except FileNotFoundError:
        return None
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def file_live_answers(
    store: ObjectStore,
    champion_run_id: str,
    asking_run_id: str,
    answers: Iterable[tuple[EvalQuestion, str, bool | None, bool]],
) -> str | None:
    """Keep answers asked of the champion live, under its run, for later challengers.
    `answers`: (question, answer, taught to the champion, simulated)."""
    rows = [
        {"question": q.to_json(), "answer": text, "taught": taught, "simulated": simulated, "asked_by": asking_run_id}
        for q, text, taught, simulated in answers
    ]
    if not rows:
        return None
    key = f"{run_prefix(champion_run_id)}{ASKED_LATER}{asking_run_id}.jsonl"
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return store.write_text(key, body, "application/jsonl")


# ---- the paired comparison ------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    question: str
    kind: str
    relation: str
    expected: str
    champion_answer: str
    challenger_answer: str
    champion_right: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Comparison:
    """The challenger (B) against the champion (A) on the questions both answered."""

    champion_run_id: str
    champion_model_arn: str
    counts: PairedCounts  # A = champion, B = challenger
    questions: int  # the challenger's evaluation questions
    from_file: int  # shared questions whose champion answer was on file
    asked_live: int  # shared questions asked of the champion in this run
    new_facts: int = 0  # taught to the challenger, not (or not known) to the champion: not counted
    new_facts_challenger_right: int = 0
    new_facts_champion_right: int = 0
    simulated: bool = False
    champion_scores: dict[str, Any] = field(default_factory=dict)  # ModelScores.to_dict() on the counted questions
    challenger_scores: dict[str, Any] = field(default_factory=dict)
    disagreements: tuple[Disagreement, ...] = ()

    @property
    def shared(self) -> int:
        return self.counts.n

    @property
    def enough(self) -> bool:
        return enough_shared(self.shared, self.questions)

    @property
    def loss(self) -> float | None:
        """Champion accuracy − challenger accuracy on the shared questions (> 0: the challenger is worse)."""
        return self.counts.difference

    def loss_bounds(self, confidence: float = GATE_CONFIDENCE) -> tuple[float, float]:
        """One-sided bounds of the loss at `confidence`: the gate refuses when the low one
        is above the allowed loss (the challenger is worse by more than that, beyond noise)."""
        return paired_difference(self.counts, confidence, one_sided=True)

    def to_dict(self) -> dict[str, Any]:
        low, high = self.loss_bounds()
        interval = paired_difference(self.counts)
        return {
            "champion_run_id": self.champion_run_id,
            "champion_model_arn": self.champion_model_arn,
            "questions": self.questions,
            "shared": self.shared,
            "enough": self.enough,
            "from_file": self.from_file,
            "asked_live": self.asked_live,
            "both_right": self.counts.both,
            "only_champion_right": self.counts.only_a,
            "only_challenger_right": self.counts.only_b,
            "neither_right": self.counts.neither,
            "champion_accuracy": _round(self.counts.accuracy_a),
            "challenger_accuracy": _round(self.counts.accuracy_b),
            "loss": _round(self.loss),
            "loss_low_95_one_sided": round(low, 4),
            "loss_high_95_one_sided": round(high, 4),
            "loss_interval_95": [round(interval[0], 4), round(interval[1], 4)],
            "new_facts": {
                "questions": self.new_facts,
                "challenger_right": self.new_facts_challenger_right,
                "champion_right": self.new_facts_champion_right,
            },
            "simulated": self.simulated,
            "champion_scores": self.champion_scores,
            "challenger_scores": self.challenger_scores,
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def compare(
    questions: Sequence[EvalQuestion],
    challenger_answers: Mapping[str, str],
    known: Mapping[str, KnownAnswer],
    *,
    champion_run_id: str,
    champion_model_arn: str,
    live_answers: Mapping[str, str] | None = None,
    champion_taught: Callable[[str], bool | None] | None = None,
    judge: Callable[[EvalQuestion, str], bool] = is_right,
) -> Comparison:
    """Pair the challenger's verdict with the champion's on each of the challenger's
    questions the champion answered (on file, else live). `champion_taught(fact_id)` says
    whether a live-asked question's fact was in the champion's training data."""
    live_answers = live_answers or {}
    taught_of = champion_taught or taught_lookup(known)
    both = only_champion = only_challenger = neither = 0
    from_file = asked_live = 0
    new = new_challenger = new_champion = 0
    simulated = False
    counted: list[EvalQuestion] = []
    champion_text: dict[str, str] = {}
    disagreements: list[Disagreement] = []
    for question in questions:
        on_file = known.get(question_key(question))
        if on_file is not None:
            answer, taught = on_file.answer, on_file.taught
            simulated = simulated or on_file.simulated
        elif question.id in live_answers:
            answer, taught = live_answers[question.id], taught_of(question.fact_id)
        else:
            continue
        challenger = challenger_answers.get(question.id, "")
        champion_right, challenger_right = judge(question, answer), judge(question, challenger)
        if question.kind in TAUGHT_KINDS and not taught:
            new += 1
            new_challenger += challenger_right
            new_champion += champion_right
            continue
        if on_file is not None:
            from_file += 1
        else:
            asked_live += 1
        counted.append(question)
        champion_text[question.id] = answer
        if champion_right and challenger_right:
            both += 1
        elif champion_right:
            only_champion += 1
        elif challenger_right:
            only_challenger += 1
        else:
            neither += 1
        if champion_right != challenger_right:
            disagreements.append(
                Disagreement(
                    question.question,
                    question.kind,
                    question.relation,
                    " / ".join(question.answers),
                    answer,
                    challenger,
                    champion_right,
                )
            )
    return Comparison(
        champion_run_id=champion_run_id,
        champion_model_arn=champion_model_arn,
        counts=PairedCounts(both, only_champion, only_challenger, neither),
        questions=len(questions),
        from_file=from_file,
        asked_live=asked_live,
        new_facts=new,
        new_facts_challenger_right=new_challenger,
        new_facts_champion_right=new_champion,
        simulated=simulated,
        champion_scores=summarise(counted, champion_text).to_dict(),
        challenger_scores=summarise(counted, challenger_answers).to_dict(),
        disagreements=_varied(disagreements, EXAMPLES),
    )


def _varied(disagreements: Sequence[Disagreement], count: int) -> tuple[Disagreement, ...]:
    """Up to `count` examples, one per relation and kind before a second of any."""
    chosen: list[Disagreement] = []
    seen: set[tuple[str, str]] = set()
    for repeat in (False, True):
        for item in disagreements:
            if len(chosen) >= count:
                return tuple(chosen)
            key = (item.kind, item.relation)
            if item in chosen or (key in seen and not repeat):
                continue
            seen.add(key)
            chosen.append(item)
    return tuple(chosen)


def questions_to_ask_live(questions: Sequence[EvalQuestion], known: Mapping[str, KnownAnswer]) -> list[EvalQuestion]:
    """The challenger's questions the champion has no answer on file for."""
    return [q for q in questions if question_key(q) not in known]


__all__ = [
    "ASKED_LATER",
    "CHAMPION",
    "MIN_SHARED_QUESTIONS",
    "TAUGHT_KINDS",
    "Comparison",
    "KnownAnswer",
    "compare",
    "enough_shared",
    "file_live_answers",
    "is_right",
    "known_answers",
    "question_key",
    "questions_to_ask_live",
    "taught_facts",
    "taught_lookup",
]
