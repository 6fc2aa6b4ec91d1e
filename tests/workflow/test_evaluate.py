"""The Evaluate steps with in-memory adapters: the chunk loop, idempotent chunks, the gate's
decisions, and which throughput is deleted when."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from podium.adapters.errors import BedrockThrottled
from podium.adapters.ports import TAG_PROMOTED, ActiveModel, JobStatus, Throughput, ThroughputStatus
from podium.config import RunSettings
from podium.evaluation.runner import Reply, Throttled
from podium.workflow import evaluate
from podium.workflow.errors import NotPromotable
from podium.workflow.events import (
    DatasetOutcome,
    EvaluateChunkEvent,
    EvaluationProgress,
    FineTuneProgress,
    GateOutcome,
    PromoteEvent,
    RunContext,
    ScoreEvaluationEvent,
    ThroughputProgress,
)
from podium.workflow.promotion import promote
from tests.evaluation.helpers import eval_jsonl, eval_set
from tests.workflow.fakes import MemoryActiveModels, MemoryFineTuner, MemoryStore

REGION = "us-west-2"
PT = "arn:aws:bedrock:us-west-2:123456789012:provisioned-model/pt1"
BASE_ID = "meta.llama3-1-8b-instruct-v1:0"


class Knows:
    """Answers every question the custom model was taught (paraphrase/trained: the value),
    and `invents` unseen ones with a wrong value; the base model knows nothing."""

    def __init__(self, questions, invents: bool = False, throttle_always: bool = False) -> None:
        self.by_text = {q.question: q for q in questions}
        self.invents, self.throttle_always = invents, throttle_always
        self.calls = 0

    def ask(self, model_id, prompt):
        self.calls += 1
        if self.throttle_always:
            raise Throttled("ThrottlingException: Too many requests")
        q = self.by_text[prompt.text]
        if model_id == BASE_ID:
            return Reply("I don't know.", simulated=True)
        if q.kind == "unseen":
            return Reply("Somebody Else" if self.invents else "I'm not sure.", simulated=True)
        return Reply(f"It was {q.answers[0]}.", simulated=True)


def _events(settings: dict, questions, *, throughput_created: bool = True):
    run = RunContext(
        run_id="r1",
        execution_name="r1",
        execution_arn="arn:exec",
        state_machine_arn="arn:sm",
        started_at="2026-01-01T00:00:00+00:00",
        run_prefix="runs/r1/",
        settings=RunSettings().merged(settings),
    )
    dataset = DatasetOutcome(
        valid=True,
        report_uri="s3://bucket/runs/r1/report.json",
        dataset_hash="h",
        estimated_cost_usd=1.0,
        over_budget=False,
        unchanged=False,
        dry_run=False,
        training_uri="s3://bucket/runs/r1/train.jsonl",
        validation_uri=None,
        eval_uri="s3://bucket/runs/r1/eval.jsonl",
        output_uri="s3://bucket/runs/r1/output/",
        train_rows=10,
        validation_rows=0,
        message="ok",
    )
    finetune = FineTuneProgress(
        job_arn="arn:job/j",
        job_name="j",
        custom_model_name="m",
        status=JobStatus.COMPLETED,
        started_at="2026-01-01T00:00:00+00:00",
        next_poll_seconds=1,
        output_model_arn="arn:model/new",
    )
    throughput = ThroughputProgress(
        created=throughput_created,
        name="pt1",
        arn=PT if throughput_created else None,
        status=ThroughputStatus.IN_SERVICE if throughput_created else None,
    )
    store = MemoryStore({"runs/r1/eval.jsonl": eval_jsonl(questions)})
    return run, dataset, finetune, throughput, store


def _evaluate(settings, questions, asker, tuner=None, active=None):
    run, dataset, finetune, throughput, store = _events(settings, questions)
    tuner = tuner or MemoryFineTuner()
    tuner.throughputs[PT] = Throughput(PT, ThroughputStatus.IN_SERVICE, "arn:model/new")
    progress, invocations = EvaluationProgress(), 0
    while not progress.done:
        progress = evaluate.evaluate_chunk(
            EvaluateChunkEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=progress),
            store=store,
            asker=asker,
            region=REGION,
        )
        invocations += 1
    gate = evaluate.score_evaluation(
        ScoreEvaluationEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=progress),
        store=store,
        fine_tuner=tuner,
        active_models=MemoryActiveModels(active),
    )
    return gate, store, tuner, invocations, (run, dataset, finetune, throughput)


def test_the_loop_asks_every_question_of_both_models_in_chunks_and_writes_the_run_files():
    questions = eval_set(paraphrase=150, unseen=60, trained=20)  # 230 questions: 3 chunks
    asker = Knows(questions)
    gate, store, _, invocations, _ = _evaluate({"throughput": {"enabled": True}}, questions, asker)
    assert invocations == 3 and asker.calls == 2 * 230
    assert sorted(k for k in store.files if "/eval/chunk-" in k) == [
        f"runs/r1/eval/chunk-000{i}.jsonl" for i in range(3)
    ]
    answers = [json.loads(line) for line in store.files["runs/r1/eval/answers.jsonl"].splitlines()]
    assert len(answers) == 460 and {a["model"] for a in answers} == {"custom", "base"}
    scores = json.loads(store.files["runs/r1/eval.json"])
    assert scores["simulated"] and scores["label"].startswith("SIMULATED")
    assert scores["models"]["custom"]["by_kind"]["paraphrase"]["accuracy"] == 1.0
    assert scores["models"]["base"]["by_kind"]["paraphrase"]["accuracy"] == 0.0
    assert "event_medal" in scores["models"]["custom"]["by_kind_relation"]["unseen"]
    assert gate.decision == "promote" and gate.message.startswith("SIMULATED evaluation passed")
    assert "runs/r1/report.html" not in store.files  # the Report step writes it, however the run ends


def test_a_chunk_already_answered_is_not_asked_again():
    questions = eval_set(paraphrase=20, unseen=5, trained=5)
    run, dataset, finetune, throughput, store = _events({}, questions)
    asker = Knows(questions)
    event = EvaluateChunkEvent(
        run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=EvaluationProgress()
    )
    first = evaluate.evaluate_chunk(event, store=store, asker=asker, region=REGION)
    again = evaluate.evaluate_chunk(event, store=store, asker=asker, region=REGION)  # a retried invocation
    assert first == again and first.done and first.custom_model_id == PT and first.base_model_id == BASE_ID
    assert asker.calls == 2 * 30


def test_throttling_that_outlasts_the_backoff_is_a_retryable_error_for_the_state_machine():
    questions = eval_set(paraphrase=1, unseen=0, trained=0)
    run, dataset, finetune, throughput, store = _events({}, questions)
    event = EvaluateChunkEvent(
        run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=EvaluationProgress()
    )
    with pytest.raises(BedrockThrottled):
        evaluate.evaluate_chunk(event, store=store, asker=Knows(questions, throttle_always=True), region=REGION)
    assert "runs/r1/eval/chunk-0000.jsonl" not in store.files  # nothing half-written


def test_an_evaluation_only_throughput_is_deleted_once_the_scores_are_in():
    questions = eval_set()
    gate, _, tuner, _, (run, dataset, finetune, throughput) = _evaluate({}, questions, Knows(questions))
    assert gate.decision == "promote" and tuner.deleted == [PT] and gate.deleted_throughput_arn == PT
    assert "created for the evaluation only" in gate.message
    models = MemoryActiveModels()
    outcome = promote(
        PromoteEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=gate),
        active_models=models,
        fine_tuner=tuner,
        store=MemoryStore(),
        name_prefix="podium",
    )
    assert outcome.status == "promoted" and outcome.throughput_arn is None  # it serves nothing now
    assert models.model.decision == "promote" and models.model.scores["paraphrase_accuracy"] == 1.0


def test_a_discarded_model_loses_its_throughput_unless_keep_discarded_and_the_message_has_the_numbers():
    questions = eval_set(paraphrase=10, unseen=10, trained=2)
    serving = {"throughput": {"enabled": True}, "gate": {"max_unseen_hallucination": 0.2}}
    gate, _, tuner, _, _ = _evaluate(serving, questions, Knows(questions, invents=True))
    assert gate.decision == "discard" and tuner.deleted == [PT]
    assert "gate.max_unseen_hallucination: hallucination rate on unseen facts 100.0% (maximum 20.0%)" in gate.message
    assert "its model was discarded" in gate.message
    kept, _, tuner, _, _ = _evaluate({**serving, "keep_discarded": True}, questions, Knows(questions, invents=True))
    assert kept.decision == "discard" and tuner.deleted == [] and "keep_discarded" in kept.message


def test_promote_refuses_a_discarded_model_and_keeps_an_evaluated_one_over_an_unevaluated_one():
    questions = eval_set()
    run, dataset, finetune, throughput, _ = _events({"throughput": {"enabled": True}}, questions)
    discard = GateOutcome(decision="discard", message="evaluation failed the gate — x")
    with pytest.raises(NotPromotable, match="failed the gate"):
        promote(
            PromoteEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=discard),
            active_models=MemoryActiveModels(),
            fine_tuner=MemoryFineTuner(),
            store=MemoryStore(),
            name_prefix="podium",
        )
    skipped = GateOutcome(decision="not_evaluated", message="trained, not evaluated: the evaluate setting is off")
    evaluated = ActiveModel("old", "arn:model/old", RunSettings().base_model, "h0", None, decision="promote")
    models = MemoryActiveModels(evaluated)
    outcome = promote(
        PromoteEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=skipped),
        active_models=models,
        fine_tuner=MemoryFineTuner(),
        store=MemoryStore(),
        name_prefix="podium",
    )
    assert outcome.status == "not_evaluated" and models.model is evaluated and models.puts == 0
    assert "NOT promoted over the evaluated model arn:model/old" in outcome.message
    unevaluated = MemoryActiveModels(ActiveModel("old", "arn:model/old", RunSettings().base_model, "h0"))
    outcome = promote(
        PromoteEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=skipped),
        active_models=unevaluated,
        fine_tuner=MemoryFineTuner(),
        store=MemoryStore(),
        name_prefix="podium",
    )
    assert outcome.status == "not_evaluated" and unevaluated.model.model_arn == "arn:model/new"
    assert unevaluated.model.decision == "not_evaluated"


# ---- challenger against champion ------------------------------------------------------------

CHAMPION_PT = "arn:aws:bedrock:us-west-2:123456789012:provisioned-model/champ"


def _champion(store: MemoryStore, questions, right: int, *, throughput: str | None = None) -> ActiveModel:
    """An evaluated active model of run "champ" whose answers are on file: the first `right`
    questions answered right, the others wrong."""
    store.files["runs/champ/eval.jsonl"] = eval_jsonl(questions)
    rows = [
        {"id": q.id, "model": "custom", "answer": q.answers[0] if i < right else "Nobody Else", "simulated": True}
        for i, q in enumerate(questions)
    ]
    store.files["runs/champ/eval/answers.jsonl"] = "".join(json.dumps(r) + "\n" for r in rows)
    return ActiveModel(
        run_id="champ", model_arn="arn:model/champ", base_model_id=RunSettings().base_model, dataset_hash="old",
        throughput_arn=throughput, decision="promote",
    )  # fmt: skip


class KnowsSome(Knows):
    """Knows only the first `right` questions (by id order); the champion's throughput knows all."""

    def __init__(self, questions, right: int) -> None:
        super().__init__(questions)
        self.known = {q.question for q in sorted(questions, key=lambda q: q.id)[:right]}
        self.champion_asked = 0

    def ask(self, model_id, prompt):
        if model_id == CHAMPION_PT:
            self.champion_asked += 1
            return Reply(f"It was {self.by_text[prompt.text].answers[0]}.", simulated=True)
        if model_id == PT and prompt.text not in self.known:
            self.calls += 1
            return Reply("Nobody Else", simulated=True)
        return super().ask(model_id, prompt)


def _run_with_champion(questions, asker, active, store_files):
    run, dataset, finetune, throughput, store = _events({"gate": {"min_paraphrase_accuracy": 0.0}}, questions)
    store.files.update(store_files)
    tuner = MemoryFineTuner()
    tuner.throughputs[PT] = Throughput(PT, ThroughputStatus.IN_SERVICE, "arn:model/new")
    models, progress = MemoryActiveModels(active), EvaluationProgress()
    while not progress.done:
        progress = evaluate.evaluate_chunk(
            EvaluateChunkEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=progress),
            store=store, asker=asker, region=REGION, active_models=models,
        )  # fmt: skip
    gate = evaluate.score_evaluation(
        ScoreEvaluationEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=progress),
        store=store, fine_tuner=tuner, active_models=models,
    )  # fmt: skip
    return gate, store, progress


def test_a_challenger_worse_than_the_champion_on_its_answers_on_file_is_discarded_without_asking_it():
    questions = eval_set(paraphrase=150, unseen=0, trained=0)
    store = MemoryStore()
    active = _champion(store, questions, right=140, throughput=CHAMPION_PT)
    asker = KnowsSome(questions, right=100)
    gate, store, progress = _run_with_champion(questions, asker, active, store.files)
    assert asker.champion_asked == 0 and progress.champion_model_id is None  # all 150 answers on file
    assert gate.decision == "discard" and gate.champion_run_id == "champ"
    assert gate.champion_shared_questions == 150 and gate.champion_accuracy == pytest.approx(140 / 150)
    assert "gate.max_loss_to_champion: loss to the champion (run champ)" in gate.message
    scores = json.loads(store.files["runs/r1/eval.json"])
    assert scores["champion"]["only_champion_right"] == 40 and scores["champion"]["from_file"] == 150


def test_a_champion_with_too_few_answers_on_file_is_asked_live_and_its_answers_are_filed_for_the_next_run():
    questions = eval_set(paraphrase=150, unseen=0, trained=0)
    store = MemoryStore()
    active = _champion(store, questions[:20], right=20, throughput=CHAMPION_PT)  # 20 of 150 shared
    store.files["runs/champ/taught_facts.txt"] = "".join(q.fact_id + "\n" for q in questions[:140])
    asker = KnowsSome(questions, right=150)
    gate, store, progress = _run_with_champion(questions, asker, active, store.files)
    assert progress.champion_model_id == CHAMPION_PT and asker.champion_asked == 130
    assert gate.decision == "promote", gate.message
    scores = json.loads(store.files["runs/r1/eval.json"])["champion"]
    # the 10 facts its run never taught are new facts, set apart; the other 140 are compared
    assert scores["shared"] == 140 and scores["asked_live"] == 120 and scores["new_facts"]["questions"] == 10
    filed = store.files["runs/champ/eval/asked-later/r1.jsonl"].splitlines()
    assert len(filed) == 130 and json.loads(filed[0])["asked_by"] == "r1"


def test_a_champion_that_cannot_be_asked_and_shares_too_little_stays():
    questions = eval_set(paraphrase=150, unseen=0, trained=0)
    store = MemoryStore()
    active = _champion(store, questions[:20], right=20)  # no throughput: cannot be asked
    gate, _, progress = _run_with_champion(questions, KnowsSome(questions, right=150), active, store.files)
    assert progress.champion_model_id is None
    assert gate.decision == "discard" and "only 20 of the 150 questions" in gate.message


def test_promote_never_replaces_a_model_the_gate_did_not_compare_with():
    questions = eval_set()
    gate, _, tuner, _, (run, dataset, finetune, throughput) = _evaluate({}, questions, Knows(questions))
    assert gate.champion_run_id is None  # evaluated when no model was active
    since = ActiveModel(run_id="other", model_arn="arn:m/o", base_model_id="b", dataset_hash="h", decision="promote")
    with pytest.raises(NotPromotable, match="the active model is now run other"):
        promote(
            PromoteEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=gate),
            active_models=MemoryActiveModels(since),
            fine_tuner=tuner,
            store=MemoryStore(),
            name_prefix="podium",
        )
    assert TAG_PROMOTED not in tuner.tags(finetune.output_model_arn)  # refused before anything was marked
    # Compared with that champion: promoted, and marked so that the janitor keeps it
    compared = gate.model_copy(update={"champion_run_id": "other"})
    models = MemoryActiveModels(since)
    promote(
        PromoteEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, gate=compared),
        active_models=models,
        fine_tuner=tuner,
        store=MemoryStore(),
        name_prefix="podium",
    )
    assert models.get().run_id == run.run_id and tuner.tags(finetune.output_model_arn)[TAG_PROMOTED] == run.run_id


def test_an_evaluation_throughput_bedrock_will_not_delete_fails_the_run_naming_it():
    from podium.workflow.errors import ThroughputNotDeleted

    questions = eval_set()
    tuner = MemoryFineTuner()
    tuner.refuse_delete = "AccessDeniedException: not allowed"
    with pytest.raises(ThroughputNotDeleted) as caught:
        _evaluate({}, questions, Knows(questions), tuner=tuner)
    message = str(caught.value)
    assert (
        f"Could NOT delete provisioned throughput {PT}" in message and "The run fails so that this is seen" in message
    )
    assert PT in tuner.throughputs  # still there: Cleanup tries again, then the janitor


def test_a_kept_discarded_throughput_says_when_the_janitor_deletes_it():
    questions = eval_set(paraphrase=10, unseen=10, trained=2)
    run, dataset, finetune, throughput, store = _events(
        {"throughput": {"enabled": True}, "keep_discarded": True, "gate": {"min_paraphrase_accuracy": 1.0}}, questions
    )
    throughput = throughput.model_copy(update={"expires_at": "2026-01-01T04:00:00+00:00"})
    progress = EvaluationProgress()
    while not progress.done:
        progress = evaluate.evaluate_chunk(
            EvaluateChunkEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=progress),
            store=store,
            asker=Knows(questions, invents=True),
            region=REGION,
            now=datetime(2026, 1, 1, 1, tzinfo=UTC),
        )
    gate = evaluate.score_evaluation(
        ScoreEvaluationEvent(run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=progress),
        store=store,
        fine_tuner=MemoryFineTuner(),
        active_models=MemoryActiveModels(),
    )
    assert gate.decision == "discard"
    (left,) = gate.left_billing
    assert left.arn == PT and left.janitor_deletes_at == "2026-01-01T04:00:00+00:00"
    assert "billed hourly until the janitor deletes it once its ttl has passed, at 2026-01-01T04:00:00" in gate.message


def test_the_evaluation_stops_when_its_throughputs_ttl_has_run_out():
    from podium.workflow.errors import ThroughputExpired

    questions = eval_set()
    run, dataset, finetune, throughput, store = _events({}, questions)
    throughput = throughput.model_copy(update={"expires_at": "2026-01-01T02:00:00+00:00"})
    event = EvaluateChunkEvent(
        run=run, dataset=dataset, finetune=finetune, throughput=throughput, evaluation=EvaluationProgress()
    )
    with pytest.raises(ThroughputExpired, match=rf"{PT} reached the end of its time-to-live at 2026-01-01T02:00:00"):
        evaluate.evaluate_chunk(
            event, store=store, asker=Knows(questions), region=REGION, now=datetime(2026, 1, 1, 2, 0, 1, tzinfo=UTC)
        )
