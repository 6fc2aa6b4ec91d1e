"""A run driven through the steps with in-memory adapters (tests/workflow/fakes.py), up to
the state each step's tests start from: prepared, dataset built, fine-tune started, promotable."""

from __future__ import annotations

from datetime import UTC, datetime

from podium.adapters.ports import TAG_STACK, DeploymentStatus, JobStatus, ServingKind, Throughput, ThroughputStatus
from podium.config import RunSettings
from podium.workflow.build_dataset import build_dataset
from podium.workflow.events import (
    BuildDatasetEvent,
    CheckFineTuneEvent,
    CreateThroughputEvent,
    GateOutcome,
    PrepareEvent,
    PromoteEvent,
    StartFineTuneEvent,
    StartGenerationEvent,
)
from podium.workflow.fine_tune import check_fine_tune, start_fine_tune
from podium.workflow.generation import start_generation
from podium.workflow.prepare import prepare
from podium.workflow.serving import create_serving
from tests.workflow.fakes import ListGenerator, MemoryActiveModels, MemoryFineTuner, MemoryStore, sample_pairs

REGION = "us-west-2"
NOVA_LITE = "amazon.nova-lite-v1:0:300k"
# A stack deployed for on-demand serving: a Nova model in a Region AWS offers custom model deployments
ON_DEMAND_REGION = "us-east-1"
ON_DEMAND = RunSettings(base_model=NOVA_LITE, deployment="on_demand")
SM = "arn:aws:states:us-west-2:123456789012:stateMachine:podium-finetune"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def prepare_event(execution_input, name="0b5a5e8c-1f0e-4a57-9c39-2f9a6a1f1c11"):
    return PrepareEvent.model_validate(
        {
            "input": execution_input,
            "execution": {
                "name": name,
                "id": f"arn:aws:states:us-west-2:123456789012:execution:podium-finetune:{name}",
                "state_machine_id": SM,
                "start_time": "2026-01-01T00:00:00Z",
            },
        }
    )


def prepared_run(
    execution_input,
    *,
    defaults=None,
    running=(),
    store=None,
    secret=None,
    name=None,
    claim_run=None,
    region=REGION,
    read_deployments=None,
):
    store = store if store is not None else MemoryStore({"data/medals.csv": "x"})

    def read_secret(secret_name):
        if secret is not None:
            raise secret
        return object()

    kwargs = {"name": name} if name else {}
    return prepare(
        prepare_event(execution_input, **kwargs),
        defaults=defaults or RunSettings(),
        region=region,
        list_running=lambda arn: list(running),
        store=store,
        read_databricks_secret=read_secret,
        now=T0,
        claim_run=claim_run,
        read_deployments=read_deployments,
    )


def execution_arn(name):
    return f"{SM.replace(':stateMachine:', ':execution:')}:{name}"


def built_run(
    execution_input=None, *, pairs=None, active=None, rejections=None, disagreements=None, defaults=None, region=REGION
):
    if pairs is None:  # synthetic pairs have no texts for the default `deep` recipe: `qa` plans them
        execution_input = {"recipe": "qa", **(execution_input or {})}
    run = prepared_run(execution_input or {}, defaults=defaults, region=region)
    generator = ListGenerator(
        pairs if pairs is not None else sample_pairs(), rejections=rejections, disagreements=disagreements
    )
    progress = start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    store = MemoryStore()
    outcome = build_dataset(
        BuildDatasetEvent(run=run, generation=progress),
        generator=generator,
        store=store,
        active_models=MemoryActiveModels(active),
        region=region,
    )
    return run, outcome, store


def started_run(execution_input=None, defaults=None, region=REGION):
    run, dataset, _ = built_run(execution_input, defaults=defaults, region=region)
    tuner = MemoryFineTuner()
    progress = start_fine_tune(
        StartFineTuneEvent(run=run, dataset=dataset),
        fine_tuner=tuner,
        region=region,
        name_prefix="podium",
        role_arn="arn:aws:iam::123456789012:role/r",
        now=T0,
    )
    return run, dataset, tuner, progress


def poll_fine_tune(run, progress, tuner):
    event = CheckFineTuneEvent(run=run, finetune=progress)
    return check_fine_tune(event, fine_tuner=tuner, store=MemoryStore())


def promotable_run(execution_input=None, previous=None, defaults=None, region=REGION):
    """A run ready to promote; `defaults` ON_DEMAND with ON_DEMAND_REGION: served by a deployment."""
    # serving throughput on: a throughput made for the evaluation only is never recorded
    run, dataset, tuner, progress = started_run(execution_input or {"throughput": {"enabled": True}}, defaults, region)
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new")
    done = poll_fine_tune(run, progress, tuner)
    created = create_serving(
        CreateThroughputEvent(run=run, finetune=done), fine_tuner=tuner, name_prefix="podium", now=T0
    )
    deployed = created.kind is ServingKind.CUSTOM_MODEL_DEPLOYMENT
    in_service = created.model_copy(
        update={"status": DeploymentStatus.ACTIVE if deployed else ThroughputStatus.IN_SERVICE}
    )
    if previous and previous.throughput_arn:
        tuner.throughputs[previous.throughput_arn] = Throughput(
            previous.throughput_arn, ThroughputStatus.IN_SERVICE, previous.model_arn
        )
        tuner.resource_tags[previous.throughput_arn] = {TAG_STACK: "podium"}
    gate = GateOutcome(decision="promote", message="evaluation passed the gate")
    event = PromoteEvent(run=run, dataset=dataset, finetune=done, throughput=in_service, gate=gate)
    return event, tuner
