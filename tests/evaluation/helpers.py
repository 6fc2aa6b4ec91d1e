"""Evaluation questions built from EvalQuestion directly, as the eval.jsonl contract defines them."""

from __future__ import annotations

from podium.dataset.evalset import EvalQuestion, render_eval_questions


def question(
    qid: str, kind: str, answers: tuple[str, ...], relation: str = "event_medal", require_all: bool = False
) -> EvalQuestion:
    return EvalQuestion(
        id=qid,
        kind=kind,  # type: ignore[arg-type]
        relation=relation,
        fact_id=f"{relation}:{qid}",
        question=f"Question {qid}?",
        answers=answers,
        reference=f"The answer is {answers[0]}.",
        require_all=require_all,
    )


def eval_set(paraphrase: int = 6, unseen: int = 4, trained: int = 2) -> list[EvalQuestion]:
    """Questions whose accepted answer is "Value <id>", spread over two relations."""
    questions = []
    for kind, count in (("paraphrase", paraphrase), ("unseen", unseen), ("trained", trained)):
        for n in range(count):
            qid = f"{kind[0]}{n:03d}"
            relation = "event_medal" if n % 2 == 0 else "athlete_country"
            questions.append(question(qid, kind, (f"Value {qid}",), relation))
    return questions


def eval_jsonl(questions: list[EvalQuestion]) -> str:
    return render_eval_questions(questions)
