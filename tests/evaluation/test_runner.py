"""Asking the questions: framed as in training, bounded concurrency, throttling raised, chunks."""

from __future__ import annotations

import threading
import time

import pytest

from podium.dataset.formats import Framing
from podium.evaluation import runner
from podium.evaluation.runner import Reply, Throttled
from podium.models import DataFormat
from tests.evaluation.helpers import eval_jsonl, eval_set


class FakeModels:
    """A bedrock-runtime stand-in: answers with the accepted value for the custom model,
    throttles the first `throttles` calls, and records the most calls in flight at once."""

    def __init__(self, questions, throttles: int = 0, latency: float = 0.0) -> None:
        self.by_text = {q.question: q for q in questions}
        self.throttles = throttles
        self.latency = latency
        self.calls: list[tuple[str, str, str, str | None]] = []
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()

    def ask(self, model_id: str, prompt) -> Reply:
        with self._lock:
            self.calls.append((model_id, prompt.api, prompt.text, prompt.system))
            if self.throttles > 0:
                self.throttles -= 1
                raise Throttled("ThrottlingException: slow down")
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(self.latency)
        with self._lock:
            self.in_flight -= 1
        value = self.by_text[prompt.text].answers[0]
        return Reply(value if model_id == "custom-arn" else "I don't know", simulated=True)


MODELS = {"custom": "custom-arn", "base": "base-id"}
CONVERSATION = Framing(DataFormat.CONVERSATION, "be brief")
PROMPT_COMPLETION = Framing(DataFormat.PROMPT_COMPLETION)


def test_ask_all_asks_each_question_of_both_models_within_the_concurrency_bound():
    questions = eval_set(paraphrase=12, unseen=6, trained=2)
    fake = FakeModels(questions, latency=0.01)
    answers = runner.ask_all(questions, MODELS, fake, framing=CONVERSATION, concurrency=4)
    assert len(answers) == 2 * len(questions)
    assert [(a.question_id, a.model) for a in answers[:2]] == [(questions[0].id, "custom"), (questions[0].id, "base")]
    assert 1 < fake.max_in_flight <= 4
    assert {(api, system) for _, api, _, system in fake.calls} == {("Converse", "be brief")}
    assert all(a.simulated for a in answers)


def test_both_models_are_asked_as_taught_the_raw_training_prompt_for_prompt_completion():
    questions = eval_set(paraphrase=2, unseen=1, trained=1)
    fake = FakeModels(questions)
    runner.ask_all(questions, MODELS, fake, framing=PROMPT_COMPLETION, concurrency=1)
    assert fake.calls == [(m, "InvokeModel", q.question, None) for q in questions for m in MODELS.values()]


def test_throttling_left_after_the_clients_retries_is_raised():
    questions = eval_set(paraphrase=1, unseen=0, trained=0)
    fake = FakeModels(questions, throttles=100)
    with pytest.raises(Throttled):
        runner.ask_all(questions, {"custom": "custom-arn"}, fake, framing=PROMPT_COMPLETION, concurrency=1)
    assert len(fake.calls) == 1  # retries are the client's (adapters.factory.asker), not repeated here


def test_chunks_cover_every_question_once():
    for total in (0, 1, 99, 100, 101, 1000, 1001):
        chunks = runner.chunk_count(total)
        covered = [i for c in range(chunks) for i in range(total)[runner.chunk_slice(c)]]
        assert covered == list(range(total)), total
    assert runner.chunk_count(1000) == 10
    assert runner.chunk_key("runs/r1/", 3) == "runs/r1/eval/chunk-0003.jsonl"


def test_answers_round_trip_and_score_both_models():
    questions = eval_set(paraphrase=4, unseen=2, trained=2)
    answers = runner.ask_all(questions, MODELS, FakeModels(questions), framing=PROMPT_COMPLETION, concurrency=2)
    parsed = runner.parse_answers(runner.render_answers(answers))
    assert parsed == answers
    evaluation = runner.score(questions, parsed)
    assert evaluation.simulated
    assert evaluation.custom.accuracy("paraphrase") == 1.0
    assert evaluation.base.accuracy("paraphrase") == 0.0
    assert evaluation.base.accuracy("unseen") == 1.0  # refusing the untaught is right
    assert evaluation.to_dict()["label"].startswith("SIMULATED")
    rows = runner.scored_rows(questions, parsed)
    assert rows[0]["correct"] is True and rows[1]["refused"] is True


def test_an_eval_file_in_bedrocks_evaluation_format_is_read_as_paraphrase_questions():
    text = (
        '{"prompt": "Who won?", "referenceResponse": "Katie Ledecky won.", "category": "event_medal"}\n'
        '{"prompt": "How many?", "referenceResponse": "France won 16.", "category": "country_medal_count"}\n'
    )
    questions = runner.read_questions(text)
    assert [(q.kind, q.relation, q.question, q.answers) for q in questions] == [
        ("paraphrase", "event_medal", "Who won?", ("Katie Ledecky won.",)),
        ("paraphrase", "country_medal_count", "How many?", ("France won 16.",)),
    ]
    assert runner.read_questions(eval_jsonl(eval_set(1, 1, 1)))[1].kind == "unseen"
    with pytest.raises(ValueError, match="line 2"):
        runner.read_questions('{"prompt": "a", "referenceResponse": "b"}\n{"prompt": "c"}\n')
