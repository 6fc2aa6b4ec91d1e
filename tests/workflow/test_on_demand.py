"""deployment on_demand with in-memory adapters: a custom model deployment instead of a throughput,
created, checked, evaluated through, deleted, promoted, cleaned up and swept by the janitor by the
rules a provisioned throughput follows, and refused for a model AWS offers it for none of."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from podium.adapters.ports import (
    TAG_EXECUTION,
    TAG_PROMOTED,
    TAG_STACK,
    TAG_TTL_HOURS,
    ActiveModel,
    DeploymentStatus,
    ModelDeployment,
    ServingKind,
    Throughput,
    ThroughputStatus,
)
from podium.adapters.service_quotas import DeploymentCapacity
from podium.evaluation.runner import Reply
from podium.workflow import evaluate
from podium.workflow.cleanup import cleanup
from podium.workflow.errors import InvalidInput, QuotaTooLow, ThroughputFailed, ThroughputNotDeleted
from podium.workflow.events import (
    CheckThroughputEvent,
    CleanupEvent,
    EvaluateChunkEvent,
    EvaluationProgress,
    ScoreEvaluationEvent,
)
from podium.workflow.polling import to_iso
from podium.workflow.promotion import promote
from podium.workflow.serving import check_serving
from tests.evaluation.helpers import eval_jsonl, eval_set
from tests.workflow.fakes import MemoryActiveModels, MemoryFineTuner, MemoryStore
from tests.workflow.runs import ON_DEMAND, ON_DEMAND_REGION, T0, built_run, prepared_run, promotable_run
from tests.workflow.test_housekeeping import NOW, OLD, _model, _sweep, _tags

DEPLOYMENT = ServingKind.CUSTOM_MODEL_DEPLOYMENT


EVALUATION_ONLY = {"throughput": {"enabled": False}}  # the default: nothing serves the model after its evaluation


def _promotable(execution_input, previous=None):
    return promotable_run(execution_input, previous=previous, defaults=ON_DEMAND, region=ON_DEMAND_REGION)


# -- the setting ------------------------------------------------------------------------------


def test_on_demand_for_a_model_aws_deploys_on_demand_for_none_of_is_refused_at_prepare_naming_those_that_do():
    with pytest.raises(InvalidInput) as refused:
        prepared_run({"deployment": "on_demand"})  # the default stack: Llama 3.1 8B in us-west-2
    message = str(refused.value)
    assert message.startswith("deployment: on_demand is not offered for meta.llama3-1-8b-instruct-v1:0:128k")
    for nova in ("amazon.nova-micro-v1:0:128k", "amazon.nova-lite-v1:0:300k", "amazon.nova-pro-v1:0:300k"):
        assert nova in message
    assert "2025-07-16" in message and "deploy-custom-model-on-demand.html" in message


def test_on_demand_is_allowed_for_nova_where_aws_offers_it_and_the_input_may_choose_either_way():
    run = prepared_run({}, defaults=ON_DEMAND, region=ON_DEMAND_REGION)
    assert run.settings.deployment == "on_demand"
    back = prepared_run({"deployment": "provisioned"}, defaults=ON_DEMAND, region=ON_DEMAND_REGION)
    assert back.settings.deployment == "provisioned"


def test_prepare_refuses_a_deployment_the_accounts_quota_would_refuse_and_goes_on_when_none_is_listed():
    full = DeploymentCapacity(2.0, "Custom model deployments per account", "L-ABC", in_use=2)
    with pytest.raises(QuotaTooLow) as refused:
        prepared_run({}, defaults=ON_DEMAND, region=ON_DEMAND_REGION, read_deployments=lambda: full)
    message = str(refused.value)
    assert "'Custom model deployments per account' (L-ABC) is 2" in message and "2 exist" in message
    assert "Nothing was started" in message and '{"evaluate": false}' in message
    unlisted = DeploymentCapacity(None, note="the account lists no quota on custom model deployments")
    assert prepared_run({}, defaults=ON_DEMAND, region=ON_DEMAND_REGION, read_deployments=lambda: unlisted)
    room = DeploymentCapacity(2.0, "Custom model deployments per account", "L-ABC", in_use=1)
    assert prepared_run({}, defaults=ON_DEMAND, region=ON_DEMAND_REGION, read_deployments=lambda: room)


def test_the_estimate_counts_the_evaluation_per_token_and_has_no_hourly_line():
    _, dataset, store = built_run({"recipe": "qa"}, defaults=ON_DEMAND, region=ON_DEMAND_REGION)
    estimate = json.loads(store.files[dataset.report_uri.removeprefix("s3://bucket/")])["estimate"]
    assert estimate["deployment"] == "on_demand" and estimate["throughput_usd_per_hour"] is None
    assert estimate["throughput_usd"] == 0 and not estimate["throughput_enabled"]
    assert not any("an hour" in line or "hourly" in line for line in estimate["lines"]), estimate["lines"]
    serving = next(line for line in estimate["lines"] if line.startswith("ESTIMATE on-demand serving"))
    assert "$0.00006 per 1,000 input and $0.00024 per 1,000 output tokens" in serving
    (evaluation,) = estimate["extra"]
    assert evaluation["name"] == "evaluation" and "output tokens (200 an answer)" in evaluation["text"]
    # every question of both models (the new one through its deployment), each answer counted 200 tokens long
    asked = re.search(r"for ([\d,]+) questions .* at most ([\d,]+) output tokens", evaluation["text"])
    questions, answered = (int(group.replace(",", "")) for group in asked.groups())
    assert answered == 2 * questions * 200
    assert estimate["run_usd"] == pytest.approx(
        estimate["training_usd"] + estimate["storage_usd_per_month"] + evaluation["usd"], abs=1e-3
    )


def test_an_on_demand_price_overridden_in_cdk_json_may_be_raised_by_the_input_never_lowered():
    deployed = ON_DEMAND.merged({"prices": {"on_demand_output_per_1k_tokens": 0.001}})
    raised = prepared_run(
        {"prices": {"on_demand_output_per_1k_tokens": 0.002}}, defaults=deployed, region=ON_DEMAND_REGION
    )
    assert raised.settings.prices.on_demand_output_per_1k_tokens == 0.002
    with pytest.raises(InvalidInput, match=r"prices.on_demand_output_per_1k_tokens: 0.0001 is below the deployed"):
        prepared_run({"prices": {"on_demand_output_per_1k_tokens": 0.0001}}, defaults=deployed, region=ON_DEMAND_REGION)


# -- create, check, evaluate -------------------------------------------------------------------


def test_an_on_demand_run_creates_a_tagged_deployment_and_no_throughput():
    event, tuner = _promotable(EVALUATION_ONLY)  # serving off: the deployment is for the evaluation only
    serving = event.throughput
    assert serving.kind is DEPLOYMENT and ":custom-model-deployment/" in (serving.arn or "")
    assert tuner.throughputs == {} and list(tuner.deployments) == [serving.arn]
    tags = tuner.resource_tags[serving.arn]
    assert tags[TAG_STACK] == "podium" and tags[TAG_EXECUTION] == event.run.execution_arn
    assert tags[TAG_TTL_HOURS] == "2"  # its own short ttl, as the evaluation line of the budget
    assert serving.expires_at == to_iso(T0 + timedelta(hours=2))


def test_check_waits_for_active_and_a_failed_deployment_fails_with_bedrocks_message():
    event, tuner = _promotable(EVALUATION_ONLY)
    creating = event.throughput.model_copy(update={"status": DeploymentStatus.CREATING})
    check = CheckThroughputEvent(run=event.run, throughput=creating)
    assert check_serving(check, fine_tuner=tuner, now=T0).status is DeploymentStatus.CREATING
    arn = creating.arn or ""
    tuner.deployments[arn] = ModelDeployment(arn, DeploymentStatus.ACTIVE, "arn:model/new")
    active = check_serving(check, fine_tuner=tuner, now=T0)
    assert active.ready and active.status is DeploymentStatus.ACTIVE
    tuner.deployments[arn] = ModelDeployment(arn, DeploymentStatus.FAILED, "arn:model/new", "no capacity")
    with pytest.raises(ThroughputFailed, match=r"custom model deployment .* Failed: no capacity"):
        check_serving(check, fine_tuner=tuner, now=T0)


class Knows:
    """The new model answers every question right; the base model (Nova Lite, on demand) knows nothing."""

    def __init__(self, questions, invents: bool = False) -> None:
        self.by_text = {q.question: q for q in questions}
        self.invents = invents  # answer untaught facts with a confident wrong value

    def ask(self, model_id, prompt):
        assert prompt.api == "Converse"  # Nova was taught conversation rows: asked as taught
        if model_id == "amazon.nova-lite-v1:0":
            return Reply("I don't know.", simulated=True)
        assert ":custom-model-deployment/" in model_id
        question = self.by_text[prompt.text]
        if question.kind == "unseen":
            return Reply("Somebody Else" if self.invents else "I'm not sure.")
        return Reply(f"It was {question.answers[0]}.")


def _score(event, tuner, questions, active=None, invents=False, store=None):
    """Evaluate through the run's deployment (every answer right) and score it."""
    store = store if store is not None else MemoryStore()
    store.files[event.run.run_prefix + "eval.jsonl"] = eval_jsonl(questions)
    progress = EvaluationProgress()
    while not progress.done:
        progress = evaluate.evaluate_chunk(
            EvaluateChunkEvent(
                run=event.run,
                dataset=event.dataset,
                finetune=event.finetune,
                throughput=event.throughput,
                evaluation=progress,
            ),
            store=store,
            asker=Knows(questions, invents),
            region=ON_DEMAND_REGION,
            now=T0,
        )
    assert progress.custom_model_id == event.throughput.arn  # asked through the deployment's ARN
    return evaluate.score_evaluation(
        ScoreEvaluationEvent(
            run=event.run,
            dataset=event.dataset,
            finetune=event.finetune,
            throughput=event.throughput,
            evaluation=progress,
        ),
        store=store,
        fine_tuner=tuner,
        active_models=MemoryActiveModels(active),
    )


def test_an_evaluation_only_deployment_is_deleted_once_the_scores_are_in():
    event, tuner = _promotable(EVALUATION_ONLY)
    questions = eval_set()
    gate = _score(event, tuner, questions)
    arn = event.throughput.arn
    assert gate.decision == "promote" and tuner.deleted == [arn] and tuner.deployments == {}
    assert gate.deleted_deployment_arn == arn and gate.deleted_throughput_arn is None
    assert f"deleted custom model deployment {arn} (created for the evaluation only)" in gate.cleanup


def test_a_deployment_bedrock_will_not_delete_fails_the_run_naming_it_and_how_to_delete_it():
    event, tuner = _promotable(EVALUATION_ONLY)
    tuner.refuse_delete = "busy"
    with pytest.raises(ThroughputNotDeleted) as refused:
        _score(event, tuner, eval_set())
    message = str(refused.value)
    assert f"Could NOT delete custom model deployment {event.throughput.arn}" in message
    assert "aws bedrock delete-custom-model-deployment --custom-model-deployment-identifier" in message


def test_a_kept_discarded_deployment_is_left_with_when_the_janitor_deletes_it():
    strict = {"max_unseen_hallucination": 0.2}
    event, tuner = _promotable({"throughput": {"enabled": True}, "keep_discarded": True, "gate": strict})
    gate = _score(event, tuner, eval_set(), invents=True)
    assert gate.decision == "discard" and tuner.deleted == []
    (left,) = gate.left_billing
    assert left.kind == "custom model deployment" and left.arn == event.throughput.arn
    assert "bills per token asked of it (nothing while idle) until the janitor deletes it" in gate.message


# -- the report and the notification ------------------------------------------------------------


def _concluded(execution_input, *, promoted: bool):
    from podium.workflow.conclude import Place, conclude
    from podium.workflow.events import ReportEvent

    event, tuner = _promotable(execution_input)
    store = MemoryStore()
    gate = _score(event, tuner, eval_set(), store=store)
    outcome = promote(
        event.model_copy(update={"gate": gate}),
        active_models=MemoryActiveModels(),
        fine_tuner=tuner,
        store=store,
        name_prefix="podium",
    )
    assert outcome.status == "promoted" and promoted
    report = ReportEvent(
        run=event.run,
        dataset=event.dataset,
        finetune=event.finetune,
        throughput=event.throughput,
        gate=gate,
        outcome=outcome,
    )
    notice = conclude(report, store=store, place=Place(ON_DEMAND_REGION, "bucket", "podium"))
    return event.throughput.arn, notice, store.files.get(event.run.run_prefix + "report.html", "")


def test_the_notification_and_report_say_a_serving_deployment_bills_per_token_with_no_hourly_figure():
    arn, notice, html = _concluded({"throughput": {"enabled": True}}, promoted=True)
    text = notice.text
    assert "Left running (a custom model deployment bills per token asked of it):" in text
    assert (
        f"  - {arn}: serves the promoted model (per token asked, nothing while idle: ESTIMATE $0.00006 per 1,000 "
        "input and $0.00024 per 1,000 output tokens)"
    ) in text
    assert "an hour" not in text and "provisioned throughput" not in text.split("Left running")[1]
    assert "<td>custom model deployment</td>" in html and f"<code>{arn}</code>" in html
    assert "ESTIMATE $0.00006 per 1,000 input" in html and "an hour" not in html.split("Left running")[1][:600]


def test_an_evaluation_only_deployment_is_reported_deleted_and_nothing_left_running():
    arn, notice, html = _concluded(EVALUATION_ONLY, promoted=True)
    assert "Left running: nothing this run created (its custom model deployment is deleted)." in notice.text
    assert f"{arn} (deleted once the evaluation was scored)" in html and "<td>custom model deployment</td>" in html


# -- promote -------------------------------------------------------------------------------------


def test_promotion_records_the_deployment_and_tags_it_promoted():
    event, tuner = _promotable({"throughput": {"enabled": True}})
    models = MemoryActiveModels()
    outcome = promote(event, active_models=models, fine_tuner=tuner, store=MemoryStore(), name_prefix="podium")
    arn = event.throughput.arn
    assert outcome.status == "promoted" and outcome.deployment_arn == arn and outcome.throughput_arn is None
    assert models.model.deployment_arn == arn and models.model.serving_arn == arn and not models.model.throughput_arn
    assert tuner.resource_tags[arn][TAG_PROMOTED] == event.run.run_id
    assert f"served by custom model deployment {arn}" in outcome.message


def test_promotion_retires_the_previous_deployment_or_the_previous_throughput_it_replaces():
    event, tuner = _promotable({"throughput": {"enabled": True}})
    old = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/old123456789"
    tuner.deployments[old] = ModelDeployment(old, DeploymentStatus.ACTIVE, "arn:model/old")
    tuner.resource_tags[old] = {TAG_STACK: "podium"}
    previous = MemoryActiveModels(ActiveModel("r-old", "arn:model/old", "m", "h", deployment_arn=old))
    outcome = promote(event, active_models=previous, fine_tuner=tuner, store=MemoryStore(), name_prefix="podium")
    assert outcome.retired_deployment_arn == old and old not in tuner.deployments
    assert f"Deleted the previous model's custom model deployment {old}" in outcome.message

    event, tuner = _promotable({"throughput": {"enabled": True}})
    pt = "arn:pt/previous"
    tuner.throughputs[pt] = Throughput(pt, ThroughputStatus.IN_SERVICE, "arn:model/old")
    tuner.resource_tags[pt] = {TAG_STACK: "podium"}
    previous = MemoryActiveModels(ActiveModel("r-old", "arn:model/old", "m", "h", throughput_arn=pt))
    outcome = promote(event, active_models=previous, fine_tuner=tuner, store=MemoryStore(), name_prefix="podium")
    assert outcome.retired_throughput_arn == pt and pt not in tuner.throughputs  # switching modes retires it too


# -- cleanup and the janitor ------------------------------------------------------------------------


def _failed(event, throughput=True):
    state = {"run": event.run.to_payload(), "finetune": event.finetune.to_payload()}
    if throughput:
        state["throughput"] = event.throughput.to_payload()
    return CleanupEvent.model_validate({**state, "error": {"Error": "States.TaskFailed", "Cause": "boom"}})


def test_cleanup_deletes_the_runs_deployment_found_by_arn_or_by_name_never_the_active_ones():
    event, tuner = _promotable(EVALUATION_ONLY)
    arn = event.throughput.arn
    summary = cleanup(_failed(event), fine_tuner=tuner, active_models=MemoryActiveModels(), name_prefix="podium")
    assert tuner.deployments == {} and summary.cleanup[0].startswith(f"deleted custom model deployment {arn}")

    event, tuner = _promotable(EVALUATION_ONLY)  # CreateThroughput made it, then failed before its ARN was saved
    cleanup(
        _failed(event, throughput=False), fine_tuner=tuner, active_models=MemoryActiveModels(), name_prefix="podium"
    )
    assert tuner.deployments == {}

    event, tuner = _promotable(EVALUATION_ONLY)
    active = MemoryActiveModels(ActiveModel("r", "arn:model/new", "m", "h", deployment_arn=event.throughput.arn))
    summary = cleanup(_failed(event), fine_tuner=tuner, active_models=active, name_prefix="podium")
    assert tuner.deployments and "it serves the active model" in summary.cleanup[0]


def test_a_deployment_cleanup_cannot_delete_is_left_named_with_when_the_janitor_deletes_it():
    event, tuner = _promotable(EVALUATION_ONLY)
    arn = event.throughput.arn or ""
    tuner.deployments[arn] = ModelDeployment(arn, DeploymentStatus.ACTIVE, "arn:model/new", created_at=OLD)
    tuner.refuse_delete = "busy"
    summary = cleanup(_failed(event), fine_tuner=tuner, active_models=MemoryActiveModels(), name_prefix="podium")
    (left,) = [item for item in summary.left_billing if item.kind == "custom model deployment"]
    assert left.arn == arn and left.janitor_deletes_at is not None


def _deployment(tuner, name, model_arn, created, tags):
    arn = f"arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/{name}"
    tuner.deployments[arn] = ModelDeployment(arn, DeploymentStatus.ACTIVE, model_arn, name=name, created_at=created)
    tuner.resource_tags[arn] = tags
    return arn


def test_the_janitor_deletes_expired_deployments_keeps_the_active_one_and_the_models_deployments_serve():
    tuner = MemoryFineTuner()
    active_model = _model(tuner, "active", OLD, _tags("r-active"))
    active_deployment = _deployment(tuner, "active", active_model, OLD, _tags("r-active"))
    orphan_model = _model(tuner, "orphan", OLD, _tags("r-orphan"))
    orphan = _deployment(tuner, "orphan", orphan_model, OLD, _tags("r-orphan"))
    served = _model(tuner, "served", OLD, _tags("r-served"))
    young = _deployment(tuner, "young", served, (NOW - timedelta(hours=1)).isoformat(), _tags("r-young"))
    active = ActiveModel("r-active", active_model, "m", "h", deployment_arn=active_deployment)

    report = _sweep(tuner, active)

    # The orphan's deployment goes first, then its model (nothing serves it any more).
    assert tuner.deleted == [orphan] and tuner.deleted_models == [orphan_model]
    assert set(tuner.deployments) == {active_deployment, young} and served in tuner.models
    kept = "\n".join(report.kept)
    assert "custom model deployment active" in kept and "serves the active model" in kept
    assert "a custom model deployment still serves it" in kept
    assert report.deployments == 2 and report.model_units == 0  # what still bills per token asked
    assert "Custom model deployments of this stack still there (billed per token asked): 2." in report.text()


def test_a_janitor_of_a_stack_that_makes_no_deployments_never_lists_them():
    """Its role may not list them (the grants name deployments only for a model AWS deploys on demand)."""
    from podium.workflow.janitor import sweep

    class NoDeployments(MemoryFineTuner):
        def list_deployments(self):
            raise AssertionError("ListCustomModelDeployments is not granted to this stack's janitor")

    tuner = NoDeployments()
    orphan = _model(tuner, "orphan", OLD, _tags("r-orphan"))
    report = sweep(
        fine_tuner=tuner,
        active_models=MemoryActiveModels(),
        store=MemoryStore(),
        name_prefix="podium",
        default_ttl_hours=4,
        dry_run=False,
        state_machine_arn="arn:aws:states:us-west-2:123456789012:stateMachine:podium-finetune",
        execution_status=lambda arn: "SUCCEEDED",
        now=NOW,
        deployments=False,
    )
    assert tuner.deleted_models == [orphan] and report.deployments == 0
