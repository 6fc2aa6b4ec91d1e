"""The Evaluate steps: EvaluateChunk (a loop, one chunk of questions per invocation) and
ScoreEvaluation (scores, the comparison with the champion, the gate's decision, eval.json,
and the deletion of a throughput or deployment that is no longer wanted). Adapters come in as
ports, like every step's module.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from podium.adapters.errors import BedrockThrottled
from podium.adapters.ports import ActiveModel, ActiveModelStore, FineTuner, ObjectStore
from podium.dataset.files import EVAL_FILE
from podium.dataset.formats import Framing
from podium.evaluation import champion, runner
from podium.evaluation import gate as promotion_gate
from podium.models import get_model
from podium.workflow.errors import NotPromotable, ThroughputNotDeleted
from podium.workflow.events import (
    EvaluateChunkEvent,
    EvaluationProgress,
    GateOutcome,
    LeftBilling,
    RunContext,
    ScoreEvaluationEvent,
    ThroughputProgress,
)
from podium.workflow.serving_resources import DEPLOYMENT, bills, check_within_ttl, delete_serving, kept_for_active_model

log = logging.getLogger(__name__)


def framing_for(base_model: str, region: str) -> Framing:
    """The training rows' framing for models fine-tuned from `base_model`: the new model, the
    base model and the champion are all asked this way (InvokeModel with the raw training
    prompt for prompt/completion models, Converse with the training system prompt otherwise)."""
    return Framing(get_model(base_model, region).data_format)


def _questions(store: ObjectStore, run: RunContext) -> list:
    try:
        text = store.read_text(run.run_prefix + EVAL_FILE)
    except FileNotFoundError:
        return []
    try:
        return runner.read_questions(text)
    except ValueError as error:
        raise NotPromotable(f"{store.uri(run.run_prefix + EVAL_FILE)}: {error}") from None


def champion_of(active_models: ActiveModelStore, run: RunContext) -> ActiveModel | None:
    """The model this run must not be worse than: the active one, when it was evaluated
    (an unevaluated one is replaced by any evaluated model, see gate.may_replace)."""
    active = active_models.get()
    if active is None or active.run_id == run.run_id or active.decision != promotion_gate.Decision.PROMOTE.value:
        return None
    return active


def _champion_to_ask(
    store: ObjectStore, run: RunContext, questions: list, active_models: ActiveModelStore | None
) -> tuple[ActiveModel | None, set[str]]:
    """(the champion, the ids of the questions to ask it live): asked only when too few of
    this run's questions have its answer on file and it can be invoked."""
    active = champion_of(active_models, run) if active_models is not None else None
    if active is None or active.serving_arn is None or not questions:
        return None, set()
    missing = champion.questions_to_ask_live(questions, champion.known_answers(store, active.run_id))
    if champion.enough_shared(len(questions) - len(missing), len(questions)):
        return None, set()
    return active, {q.id for q in missing}


def evaluate_chunk(
    event: EvaluateChunkEvent,
    *,
    store: ObjectStore,
    asker: runner.Asker,
    region: str,
    active_models: ActiveModelStore | None = None,
    now: datetime | None = None,
) -> EvaluationProgress:
    """Ask chunk `next_chunk` of the new and the base model (and of the champion, the questions
    it has no answer on file for, when too few are shared) and write the answers; a chunk
    already written is skipped."""
    run, throughput, progress = event.run, event.throughput, event.evaluation
    if not throughput.created or not throughput.arn:
        raise NotPromotable(
            "Evaluate ran without a provisioned throughput or custom model deployment to ask the new model through"
        )
    check_within_ttl(throughput, "the evaluation had not finished", now)
    questions = _questions(store, run)
    chunks = runner.chunk_count(len(questions))
    models = {"custom": throughput.arn, "base": get_model(run.settings.base_model, region).invocation_id}
    chunk = progress.next_chunk
    # Decided at the first chunk; later chunks ask the champion only if the first one did.
    active, live_ids = (
        _champion_to_ask(store, run, questions, active_models)
        if chunk == 0 or progress.champion_model_id is not None
        else (None, set())
    )
    champion_id = active.serving_arn if active is not None else None
    key = runner.chunk_key(run.run_prefix, chunk)
    if questions and key not in store.list_keys(key):
        asked = questions[runner.chunk_slice(chunk)]
        options = {
            "framing": framing_for(run.settings.base_model, region),
            "concurrency": run.settings.eval_concurrency,
        }
        try:
            answers = runner.ask_all(asked, models, asker, **options)
            if active is not None and champion_id is not None:
                live = [q for q in asked if q.id in live_ids]
                # asked as it was taught: the framing of its own base model
                framing = framing_for(active.base_model_id, region)
                answers += runner.ask_all(
                    live, {champion.CHAMPION: champion_id}, asker, framing=framing, concurrency=options["concurrency"]
                )
        except runner.Throttled as error:
            # Still throttled after backing off: the state machine retries this chunk later.
            raise BedrockThrottled("ask the evaluation questions", "ThrottlingException", str(error)) from None
        store.write_text(key, runner.render_answers(answers), "application/jsonl", scratch=True)
        simulation = runner.simulation_of(answers)
        if simulation is not None and chunk == 0:
            store.write_text(runner.simulation_key(run.run_prefix), json.dumps(simulation, indent=2))
        log.info(
            "evaluation chunk %d of %d: asked %d question(s) of %s and of %s",
            chunk + 1,
            chunks,
            len(answers) // len(models),
            models["custom"],
            models["base"],
        )
    elif questions:
        log.info("evaluation chunk %d of %d was answered already (a retried chunk): not asked again", chunk + 1, chunks)
    next_chunk = chunk + 1
    return EvaluationProgress(
        next_chunk=next_chunk,
        chunks=chunks,
        questions=len(questions),
        done=next_chunk >= chunks,
        custom_model_id=models["custom"],
        base_model_id=models["base"],
        champion_model_id=champion_id,
    )


def _simulation(store: ObjectStore, run: RunContext) -> dict | None:
    """How the simulated models answered (their rule, what their numbers can and cannot tell),
    as the emulator described it with the answers; None when it did not."""
    try:
        return json.loads(store.read_text(runner.simulation_key(run.run_prefix)))
    except (FileNotFoundError, ValueError):
        return None


def _delete(fine_tuner: FineTuner, active_models: ActiveModelStore, arn: str, why: str) -> tuple[str | None, str]:
    kept = kept_for_active_model(active_models, arn)
    return (None, kept) if kept else delete_serving(fine_tuner, arn, why)


def evaluation_only(run: RunContext, throughput: ThroughputProgress) -> bool:
    """The throughput (or deployment) was created only to evaluate (serving is off: throughput.enabled)."""
    return throughput.created and not run.settings.throughput.enabled


def score_evaluation(
    event: ScoreEvaluationEvent,
    *,
    store: ObjectStore,
    fine_tuner: FineTuner,
    active_models: ActiveModelStore,
) -> GateOutcome:
    """Join the chunks, score both models, compare the new one with the champion, decide,
    write eval.json, and delete the throughput when it is not wanted any more
    (evaluation-only, or discarded without `keep_discarded`)."""
    run, throughput, settings = event.run, event.throughput, event.run.settings
    questions = _questions(store, run)
    answers: list[runner.Answer] = []
    for chunk in range(runner.chunk_count(len(questions))):
        key = runner.chunk_key(run.run_prefix, chunk)
        try:
            answers.extend(runner.parse_answers(store.read_text(key)))
        except FileNotFoundError:
            raise NotPromotable(f"evaluation chunk {store.uri(key)} is missing; run Evaluate again") from None
    store.write_text(
        runner.answers_key(run.run_prefix),
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in runner.scored_rows(questions, answers)),
        "application/jsonl",
    )
    evaluation = runner.score(questions, answers)
    label = "SIMULATED " if evaluation.simulated else ""
    active = champion_of(active_models, run)
    comparison = _compare_with_champion(store, run, questions, answers, active) if active and questions else None
    if not questions:
        result = promotion_gate.GateResult(
            promotion_gate.Decision.DISCARD,
            (),
            f"evaluation failed the gate — {store.uri(run.run_prefix + EVAL_FILE)} holds no "
            "questions, so the model cannot be shown to have learned anything.",
        )
    else:
        result = promotion_gate.decide(
            evaluation.custom,
            evaluation.base,
            settings.gate,
            label=label,
            champion=comparison,
            can_ask_champion=bool(active and active.serving_arn),
        )
    scores = {**evaluation.to_dict(), "gate": result.to_dict(), "thresholds": settings.gate.model_dump()}
    if evaluation.simulated:
        scores["simulation"] = _simulation(store, run)
    if comparison is not None:
        scores["champion"] = comparison.to_dict()
    scores_uri = store.write_text(runner.scores_key(run.run_prefix), json.dumps(scores, indent=2))

    deleted, notes, left = None, [], []
    discarded = result.decision is promotion_gate.Decision.DISCARD
    kind = throughput.kind
    if throughput.created and throughput.arn:
        if evaluation_only(run, throughput) or (discarded and not settings.keep_discarded):
            why = "created for the evaluation only" if evaluation_only(run, throughput) else "its model was discarded"
            deleted, note = _delete(fine_tuner, active_models, throughput.arn, why)
            if note.startswith("could NOT"):
                # It bills (hourly, or per token for whoever may invoke it): the run fails, so nobody reads
                # "succeeded" while it runs on.
                when = f", at {throughput.expires_at} or its first run after" if throughput.expires_at else ""
                raise ThroughputNotDeleted(
                    f"{note[0].upper()}{note[1:]}. The run fails so that this is seen: Cleanup tries once more, and "
                    f"the janitor deletes it once its ttl has passed{when}."
                )
            notes.append(note)
        elif discarded:
            when = throughput.expires_at
            notes.append(
                f"kept {kind.value} {throughput.arn} of the discarded model (keep_discarded is true); "
                f"{bills(kind, 'the janitor deletes it')} once its ttl has passed"
                + (f", at {when} or its first run after" if when else " (a commitment: when its term ends)")
            )
            left.append(
                LeftBilling(
                    kind=kind.value,
                    arn=throughput.arn,
                    why="kept: keep_discarded is true",
                    janitor_deletes_at=when,
                )
            )
    log.info("gate: %s: %s", result.decision.value, result.message)
    for note in notes:
        log.info(note)
    custom, base = evaluation.custom, evaluation.base
    return GateOutcome(
        decision=result.decision.value,
        message=" ".join([result.message, *(note[0].upper() + note[1:] + "." for note in notes)]),
        simulated=evaluation.simulated,
        scores_uri=scores_uri,
        paraphrase_accuracy=custom.accuracy("paraphrase"),
        base_paraphrase_accuracy=base.accuracy("paraphrase"),
        unseen_hallucination=custom.hallucination_rate("unseen"),
        deleted_throughput_arn=deleted if kind is not DEPLOYMENT else None,
        deleted_deployment_arn=deleted if kind is DEPLOYMENT else None,
        cleanup=notes,
        left_billing=left,
        champion_run_id=active.run_id if active else None,
        champion_accuracy=comparison.counts.accuracy_a if comparison else None,
        challenger_accuracy=comparison.counts.accuracy_b if comparison else None,
        champion_shared_questions=comparison.shared if comparison else None,
    )


def _compare_with_champion(
    store: ObjectStore, run: RunContext, questions: list, answers: list[runner.Answer], active: ActiveModel
) -> champion.Comparison:
    """The paired comparison with the champion; its answers asked live in this run are filed
    under its own run, so the next challenger finds them on file."""
    known = champion.known_answers(store, active.run_id)
    live = {a.question_id: a for a in answers if a.model == champion.CHAMPION}
    taught = champion.taught_lookup(known, champion.taught_facts(store, active.run_id))
    by_id = {q.id: q for q in questions}
    champion.file_live_answers(
        store,
        active.run_id,
        run.run_id,
        [(by_id[qid], a.answer, taught(by_id[qid].fact_id), a.simulated) for qid, a in live.items() if qid in by_id],
    )
    return champion.compare(
        questions,
        {a.question_id: a.answer for a in answers if a.model == "custom"},
        known,
        champion_run_id=active.run_id,
        champion_model_arn=active.model_arn,
        live_answers={qid: a.answer for qid, a in live.items()},
        champion_taught=taught,
    )


__all__ = ["champion_of", "evaluate_chunk", "evaluation_only", "framing_for", "score_evaluation"]
