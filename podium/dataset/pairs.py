"""Fact → question–answer pairs, and the checks every pair must pass.

A pair is kept only when its question still names the fact's subject (so it has one
answer), does not give the answer away, and its answer is a real answer. The same
checks apply to built-in template paraphrases and to `ai_query` paraphrases made on
Databricks, so both generators produce data of the same quality.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from podium.dataset.records import Fact, QAPair
from podium.dataset.wording import polish

MAX_QUESTION_CHARS = 400

# Reasons, as they appear in reports (counted per dropped pair).
EMPTY_QUESTION = "empty question"
QUESTION_TOO_LONG = f"question longer than {MAX_QUESTION_CHARS} characters"
MISSING_SUBJECT = "question does not name the fact's subject"
LEAKS_ANSWER = "question contains the answer"
EMPTY_ANSWER = "empty answer"
NON_ANSWER = "answer is a non-answer (Unknown, N/A, ...)"
BARE_NUMBER = "answer is a bare number without context"
DUPLICATE = "duplicate pair"
CONFLICT = "same question with different answers (conflict)"

_NON_ANSWERS = frozenset(
    {"unknown", "n/a", "na", "none", "null", "nan", "not available", "not known", "tbd", "-", "?", ""}
)
_BARE_NUMBER = re.compile(r"[\s\d.,+\-%]*\d[\s\d.,+\-%]*")
# Typographic variants an LLM paraphrase may use for the subject's punctuation.
_PUNCTUATION_VARIANTS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})


def normalize_text(text: str) -> str:
    """The form texts are compared in: case-folded, whitespace collapsed, quotes unified."""
    if not text.isascii():  # translate() is slow; ASCII text has nothing to unify
        text = text.translate(_PUNCTUATION_VARIANTS)
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return text.casefold()


def _contains_phrase(haystack: str, phrase: str) -> bool:
    """`phrase` occurs in `haystack` as whole words ("40" is not in "2024")."""
    if phrase not in haystack:  # cheap test first: most questions pass
        return False
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", haystack) is not None


def verify_paraphrase(question: str, fact: Fact) -> str | None:
    """Why `question` cannot stand for `fact`, or None when it can."""
    return _verify(question, *_subject_forms(fact), normalize_text(fact.answer_value))


def _subject_forms(fact: Fact) -> tuple[str, str]:
    """The subject normalized as the tables write it, and as the templates do ("of the
    Netherlands" for "of Netherlands"): a question may name it either way."""
    subject = normalize_text(fact.subject)
    polished = normalize_text(polish(fact.subject))
    return subject, polished.removeprefix("the ") if not subject.startswith("the ") else polished


def _verify(question: str, subject: str, polished_subject: str, answer_value: str) -> str | None:
    """verify_paraphrase with the fact's subject (both forms) and answer already normalized."""
    normalized = normalize_text(question)
    if not normalized:
        return EMPTY_QUESTION
    if len(question) > MAX_QUESTION_CHARS:
        return QUESTION_TOO_LONG
    if subject and subject not in normalized:
        if polished_subject not in normalized:
            return MISSING_SUBJECT
        subject = polished_subject
    if answer_value:
        # The subject may itself contain the answer's words; only the rest of the question can leak.
        rest = normalized.replace(subject, " ") if subject else normalized
        if _contains_phrase(rest, answer_value):
            return LEAKS_ANSWER
    return None


def answer_problem(answer: str, normalized: str | None = None) -> str | None:
    """Why `answer` is not worth training on, or None. `normalized`: normalize_text(answer),
    when the caller has it."""
    stripped = answer.strip()
    if not stripped:
        return EMPTY_ANSWER
    if (normalize_text(stripped) if normalized is None else normalized).strip(" .!") in _NON_ANSWERS:
        return NON_ANSWER
    if _BARE_NUMBER.fullmatch(stripped):
        return BARE_NUMBER
    return None


def make_pairs(
    facts: Iterable[Fact],
    questions_for: Callable[[Fact], Sequence[str]],
    *,
    rejected: Counter[str] | None = None,
) -> list[QAPair]:
    """One pair per verified paraphrase of each fact, answered by the fact's own sentence.

    `questions_for` gives question texts (source "template:<n>", n = paraphrase index).
    Paraphrases that fail `verify_paraphrase` are dropped and counted in `rejected`.
    """
    pairs: list[QAPair] = []
    for fact in facts:
        fact_id = fact.fact_id
        subject, polished_subject = _subject_forms(fact)
        answer_value = normalize_text(fact.answer_value)
        for number, question in enumerate(questions_for(fact)):
            reason = _verify(question, subject, polished_subject, answer_value)
            if reason is not None:
                if rejected is not None:
                    rejected[reason] += 1
                continue
            pairs.append(QAPair(fact_id, fact.relation, question.strip(), fact.answer, f"template:{number}"))
    return pairs


def template_pairs(
    facts: Iterable[Fact], *, rejected: Counter[str] | None = None, seed: int = 0, recipe: str | None = None
) -> list[QAPair]:
    """The built-in pairs of `facts`: Q&A pairs (templates.render: a rotation of the question
    templates, held-out ones labelled "heldout:<n>", each answered in a form chosen by
    `seed`, carrying the fact's answer values), then the packed rows (profiles.py, for the
    `mixed` recipe) and the texts and refusal questions (texts.py, unknown_* relations: for
    `deep`), which never state a fact kept out of training for the evaluation. `recipe`
    makes only what that recipe plans (the planner ignores the rest); None makes all, for a
    generator that does not know which recipe will read its pairs. No two kinds share a
    question, so the rows a recipe plans are the same either way."""
    from podium.dataset import templates
    from podium.dataset.eval_questions import answer_values, is_unseen
    from podium.dataset.profiles import profile_pairs
    from podium.dataset.texts import text_pairs

    facts = list(facts)
    pairs: list[QAPair] = []
    slots_by_fact: dict[str, dict[str, str]] = {}
    for fact in facts:
        refusal = templates.is_refusal(fact.relation)
        if refusal and recipe not in (None, "deep"):
            continue
        subject, polished_subject = _subject_forms(fact)
        answer_value = normalize_text(fact.answer_value)
        # A refusal has no value to score: it never becomes an evaluation question.
        values, require_all = ((), False) if refusal else answer_values(fact)
        slots = slots_by_fact[fact.fact_id] = templates.derived_slots(fact)
        for source, question, answer in templates.render(fact, seed, slots=slots):
            reason = _verify(question, subject, polished_subject, answer_value)
            if reason is not None:
                if rejected is not None:
                    rejected[reason] += 1
                continue
            pairs.append(QAPair(fact.fact_id, fact.relation, question.strip(), answer, source, (), values, require_all))
    unseen = {f.fact_id for f in facts if is_unseen(f.fact_id)}
    if recipe in (None, "mixed"):
        pairs.extend(profile_pairs(facts, unseen=unseen))
    if recipe in (None, "deep"):
        pairs.extend(text_pairs(facts, unseen=unseen, slots=slots_by_fact))
    return pairs


def clean_pairs(pairs: Iterable[QAPair]) -> tuple[list[QAPair], Counter[str]]:
    """Drop bad answers, exact duplicates and conflicts; return (kept, rejections by reason).

    Duplicates compare normalized question and answer (the first is kept). When one
    normalized question has two different answers anywhere, every pair with that question
    is dropped: the model cannot learn both, and either may be the wrong one.
    """
    rejections: Counter[str] = Counter()
    unique: dict[tuple[str, str], QAPair] = {}
    answers_by_question: dict[str, set[str]] = {}
    # Every paraphrase of a fact shares its answer: check and normalize each answer once.
    answers: dict[str, tuple[str | None, str]] = {}
    for pair in pairs:
        question = normalize_text(pair.question)
        if not question:
            rejections[EMPTY_QUESTION] += 1
            continue
        checked = answers.get(pair.answer)
        if checked is None:
            normalized = normalize_text(pair.answer)
            checked = answers[pair.answer] = (answer_problem(pair.answer, normalized), normalized)
        reason, answer = checked
        if reason is not None:
            rejections[reason] += 1
            continue
        key = (question, answer)
        if key in unique:
            rejections[DUPLICATE] += 1
            continue
        unique[key] = pair
        answers_by_question.setdefault(key[0], set()).add(key[1])
    kept = []
    for (question, _answer), pair in unique.items():
        if len(answers_by_question[question]) > 1:
            rejections[CONFLICT] += 1
        else:
            kept.append(pair)
    return kept, rejections


__all__ = [
    "MAX_QUESTION_CHARS",
    "answer_problem",
    "clean_pairs",
    "make_pairs",
    "template_pairs",
    "normalize_text",
    "verify_paraphrase",
]
