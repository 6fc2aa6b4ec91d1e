"""The Promote step: the gate a new model passes, making it the active model, and
retiring what served the previous model (its throughput or deployment) when this stack made it."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from podium.adapters.errors import BedrockRejected
from podium.adapters.ports import (
    TAG_PROMOTED,
    TAG_STACK,
    ActiveModel,
    ActiveModelStore,
    FineTuner,
    JobStatus,
    ObjectStore,
    ServingKind,
)
from podium.dataset.files import PROMOTION_FILE
from podium.workflow.errors import NotPromotable
from podium.workflow.events import GateOutcome, PromoteEvent, RunOutcome
from podium.workflow.polling import to_iso, utc_now
from podium.workflow.serving_resources import DEPLOYMENT, bills

log = logging.getLogger(__name__)


def check_promotion_gate(event: PromoteEvent) -> None:
    """The one gate a new model passes before it becomes active: the job completed with an
    output model, its throughput or deployment (when created) answers, and the evaluation did not
    discard it (ScoreEvaluation decides; the GateDecision Choice never sends a discarded
    model here, and this refuses it again should the definition be rewired)."""
    finetune, throughput = event.finetune, event.throughput
    if finetune.status is not JobStatus.COMPLETED or not finetune.output_model_arn:
        raise NotPromotable(f"job {finetune.job_arn} is {finetune.status.value}, not Completed with an output model")
    if throughput.created and not throughput.ready:
        wanted = "Active" if throughput.kind is DEPLOYMENT else "InService"
        status = throughput.status.value if throughput.status else None
        raise NotPromotable(f"{throughput.kind.value} {throughput.arn} is {status}, not {wanted}")
    if event.gate.decision == "discard":
        raise NotPromotable(event.gate.message)


def promote(
    event: PromoteEvent,
    *,
    active_models: ActiveModelStore,
    fine_tuner: FineTuner,
    store: ObjectStore,
    name_prefix: str,
    now: datetime | None = None,
) -> RunOutcome:
    """Make the new model the active one; retire what served the previous one (throughput or
    deployment) when configured and tagged as this stack's.

    Safe to retry: the previous record is saved under runs/<run_id>/promotion.json before
    the active record is replaced, so a retry still knows which throughput to retire.
    """
    check_promotion_gate(event)
    run, finetune, throughput, gate = event.run, event.finetune, event.throughput, event.gate
    assert finetune.output_model_arn is not None
    record_key = run.run_prefix + PROMOTION_FILE
    evaluated = gate.decision == "promote"
    # A throughput (or deployment) created for the evaluation only is deleted by then: it serves nothing.
    serving_arn = throughput.arn if throughput.created and run.settings.throughput.enabled else None
    deployed = throughput.kind is DEPLOYMENT
    throughput_arn, deployment_arn = (None, serving_arn) if deployed else (serving_arn, None)

    current = active_models.get()
    if not evaluated and current is not None and current.run_id != run.run_id and current.decision == "promote":
        message = (
            f"Trained, not evaluated: {finetune.output_model_arn} was NOT promoted over the evaluated model "
            f"{current.model_arn} (run {current.run_id}). Run again with evaluate on to compare them."
        )
        log.info(message)
        return RunOutcome(
            status="not_evaluated",
            run_id=run.run_id,
            message=message,
            report_uri=event.dataset.report_uri,
            model_arn=finetune.output_model_arn,
            throughput_arn=throughput_arn,
            deployment_arn=deployment_arn,
            dataset_hash=event.dataset.dataset_hash,
            estimated_cost_usd=event.dataset.estimated_cost_usd,
            gate=gate.message,
        )
    if (
        evaluated
        and current is not None
        and current.run_id not in (run.run_id, gate.champion_run_id)
        and current.decision == "promote"
    ):
        # The gate compared this model with another champion (or with none): never replace a
        # model it was not compared with.
        raise NotPromotable(
            f"the active model is now run {current.run_id}, but this run was compared with "
            f"{gate.champion_run_id and 'run ' + gate.champion_run_id or 'no active model'}; start the run again "
            "so that it is compared with the active model"
        )
    # Before the record switches: the tag is what keeps the janitor off the serving model for as
    # long as it exists (the record can be rewritten, run files expire).
    _mark_promoted(fine_tuner, [finetune.output_model_arn, serving_arn], run.run_id, name_prefix)
    if current is not None and current.run_id == run.run_id:
        previous = _saved_previous(store, record_key)  # a retry after the record was written
    else:
        previous = current
    new = ActiveModel(
        run_id=run.run_id,
        model_arn=finetune.output_model_arn,
        base_model_id=run.settings.base_model,
        dataset_hash=event.dataset.dataset_hash,
        throughput_arn=throughput_arn,
        promoted_at=to_iso(now or utc_now()),
        decision=gate.decision,
        scores=_gate_scores(gate),
        deployment_arn=deployment_arn,
    )
    store.write_text(
        record_key,
        json.dumps({"promoted": new.to_record(), "previous": previous.to_record() if previous else None}, indent=2),
    )
    active_models.put(new)
    # The new model is active from here on, so nothing below may fail the run (it would end
    # FAILED with the new model serving): a retirement that does not happen is reported.
    old_arn = previous.serving_arn if previous is not None else None
    retired, note = None, ""
    if old_arn and old_arn != new.serving_arn:
        old_kind = ServingKind.of_arn(old_arn)
        if run.settings.throughput.retire_previous:
            retired, note = _retire(fine_tuner, old_arn, name_prefix)
        else:
            note = (
                f" The previous model's {old_kind.value} {old_arn} was kept "
                f"(throughput.retire_previous is false); {bills(old_kind, 'it is deleted')}."
            )
    serving = (
        f" served by {ServingKind.of_arn(new.serving_arn).value} {new.serving_arn}"
        if new.serving_arn
        else (
            " (no provisioned throughput or custom model deployment serves it: throughput_enabled in cdk.json, "
            "or throughput.enabled in the input, keeps one serving the promoted model; or create one by hand)"
        )
    )
    verdict = f" {gate.message[0].upper()}{gate.message[1:]}" if gate.message else ""
    message = f"Promoted {new.model_arn}{serving}.{note}{verdict}"
    log.info(message)
    if retired is None and note:  # the previous throughput (or deployment) is still there
        log.warning(note.strip())
    retired_deployment = retired is not None and ServingKind.of_arn(retired) is DEPLOYMENT
    return RunOutcome(
        status="promoted" if evaluated else "not_evaluated",
        run_id=run.run_id,
        message=message,
        report_uri=event.dataset.report_uri,
        model_arn=new.model_arn,
        throughput_arn=new.throughput_arn,
        deployment_arn=new.deployment_arn,
        retired_throughput_arn=None if retired_deployment else retired,
        retired_deployment_arn=retired if retired_deployment else None,
        dataset_hash=new.dataset_hash,
        estimated_cost_usd=event.dataset.estimated_cost_usd,
        gate=gate.message,
    )


def _mark_promoted(fine_tuner: FineTuner, arns: list[str | None], run_id: str, name_prefix: str) -> None:
    """Tag the model and its throughput (or deployment) `podium:promoted`. A refusal stops the promotion: a model
    the janitor would not know to keep must not become the active one."""
    for arn in filter(None, arns):
        try:
            fine_tuner.tag(arn, {TAG_STACK: name_prefix, TAG_PROMOTED: run_id})
        except BedrockRejected as error:  # throttling goes up: the state machine retries it
            raise NotPromotable(
                f"could not tag {arn} {TAG_PROMOTED} ({error}), the record that keeps the janitor off a promoted "
                "model, so it was not promoted; the previous model stays active"
            ) from None
        log.info("marked %s promoted by run %s", arn, run_id)


def _retire(fine_tuner: FineTuner, arn: str, name_prefix: str) -> tuple[str | None, str]:
    """Delete the previous model's throughput or deployment when its tags say this stack made it;
    else say why not."""
    kind = ServingKind.of_arn(arn)
    still = "it is still billed hourly" if kind is not DEPLOYMENT else "it still answers and bills per token asked"
    try:
        stack = fine_tuner.tags(arn).get(TAG_STACK)
        if stack != name_prefix:
            return None, (
                f" The previous model's {kind.value} {arn} was left alone: it is not tagged "
                f"{TAG_STACK}={name_prefix} (found {stack or 'no tag'}), so this stack did not make it. "
                f"{still[0].upper()}{still[1:]}: delete it in the Bedrock console if it is no longer needed."
            )
        if kind is DEPLOYMENT:
            fine_tuner.delete_deployment(arn)
        else:
            fine_tuner.delete_throughput(arn)
    except Exception as error:  # noqa: BLE001 - promotion stands whatever the retirement did
        return None, (
            f" Could NOT delete the previous model's {kind.value} {arn} ({error}); {still}: delete it in the "
            "Bedrock console."
        )
    return arn, f" Deleted the previous model's {kind.value} {arn}."


def _gate_scores(gate: GateOutcome) -> dict[str, Any] | None:
    if gate.decision != "promote":
        return None
    return {
        "simulated": gate.simulated,
        "paraphrase_accuracy": gate.paraphrase_accuracy,
        "base_paraphrase_accuracy": gate.base_paraphrase_accuracy,
        "unseen_hallucination": gate.unseen_hallucination,
        "scores_uri": gate.scores_uri,
    }


def _saved_previous(store: ObjectStore, key: str) -> ActiveModel | None:
    try:
        saved = json.loads(store.read_text(key)).get("previous")
    except FileNotFoundError:
        return None
    if not saved:
        return None
    return ActiveModel(**{k: v for k, v in saved.items() if v is not None and k in ActiveModel.__dataclass_fields__})
