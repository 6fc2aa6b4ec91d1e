"""The payload of every workflow step, typed.

Each Task's Parameters in `statemachine/finetune.asl.json` build one of the `*Event`
models below, and its ResultSelector keeps exactly the fields of the step's result
model, stored under its own path ($.run, $.generation, $.dataset, $.finetune,
$.throughput, $.outcome, $.failure) so a step never overwrites another's results.
tests/workflow checks that the ASL and these models agree.
"""

# No `from __future__ import annotations`: pydantic would then evaluate every annotation
# string itself when each model class is created, twice the cost of this module in every
# Lambda cold start (see `make bench`).

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from podium.adapters.ports import DeploymentStatus, GenerationState, JobStatus, ServingKind, ThroughputStatus
from podium.config import PRINTABLE_ASCII, RunSettings
from podium.errors import cut_to_json_bytes
from podium.models import RowCaps

# Every string the execution state carries is bounded, so the largest state the definition can
# hold is known and far below Step Functions' 256 KB, past which an execution fails where no
# Catch, hence no Cleanup, sees it (tests/workflow/test_state_size.py adds it up). Free text is
# cut to its bound in bytes of JSON rather than refused: a step must never fail because a
# service's message was long. Identifiers are printable ASCII (one byte each in JSON) and are
# refused, not cut, when too long: a shortened ARN names nothing.
MESSAGE_BYTES = 4_000
NOTICE_BYTES = 6_000  # the notification's text (podium.workflow.conclude fits it, links kept)
LINE_BYTES = 600
LINES = 8


def _cut(limit: int) -> Callable[[Any], Any]:
    def cut(value: Any) -> Any:
        return cut_to_json_bytes(value, limit) if isinstance(value, str) else value

    return cut


def _text(limit: int) -> Any:
    return Annotated[str, BeforeValidator(_cut(limit)), Field(json_schema_extra={"maxJsonBytes": limit})]


def _identifier(chars: int) -> Any:
    return Annotated[str, StringConstraints(max_length=chars, pattern=PRINTABLE_ASCII)]


Message = _text(MESSAGE_BYTES)
NoticeText = _text(NOTICE_BYTES)
Subject = _text(2 + 2 * 100)  # SNS: at most 100 ASCII characters (a quote takes 2 in JSON)
Line = _text(LINE_BYTES)
Arn = _identifier(1_011)  # botocore's longest Bedrock ARN
# A provisioned throughput's or custom model deployment's ARN: botocore's patterns (ProvisionedModelArn,
# CustomModelDeploymentArn) are arn:<partition>:bedrock:<Region, at most 20>:<account, 12>:<kind>/<id, 12>,
# under 100 characters with any partition name AWS has; 256 leaves room to spare.
ServingArn = _identifier(256)
Uri = _identifier(1_100)  # s3://<bucket ≤ 63>/<key ≤ 1,024>
Name = _identifier(256)
Stamp = _identifier(40)  # ISO-8601
# Step Functions allows any letter in an execution's name, hence in its ARN (its API caps both).
ExecutionName = Annotated[str, StringConstraints(max_length=80)]
ExecutionArn = Annotated[str, StringConstraints(max_length=256)]


class _Payload(BaseModel):
    # forbid: a field the ASL sends that the step does not expect means the two drifted apart.
    # defer_build: a model is compiled when first used, so each Lambda function compiles only
    # its own step's models instead of every step's in its cold start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def to_payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# ---- results, each stored at its own path of the execution state -------------------


class RunContext(_Payload):
    """$.run — written once by Prepare, read by every later step."""

    run_id: Name
    execution_name: ExecutionName
    execution_arn: ExecutionArn
    state_machine_arn: ExecutionArn
    started_at: Stamp
    run_prefix: Uri  # "runs/<run_id>/": everything this run writes is under it
    settings: RunSettings
    # Bedrock's customization quotas for the base model, read by Prepare (None: the documented caps)
    caps: RowCaps | None = None
    # Set when another execution holds the machine: the run ends as "skipped" (an info
    # notification), not as a failure that pages someone.
    skip_reason: Message = ""


class GenerationProgress(_Payload):
    """$.generation"""

    generator: Name
    handle: Annotated[dict[Annotated[str, StringConstraints(max_length=64)], Name | int | None], Field(max_length=4)]
    state: GenerationState
    message: Message = ""
    started_at: Stamp
    next_poll_seconds: int
    check_failures: int = 0  # consecutive status checks that failed transiently


class DatasetOutcome(_Payload):
    """$.dataset — the facts the DatasetDecision Choice state decides on."""

    valid: bool
    report_uri: Uri
    dataset_hash: Name
    estimated_cost_usd: float
    over_budget: bool
    unchanged: bool
    dry_run: bool
    training_uri: Uri
    validation_uri: Uri | None
    eval_uri: Uri | None
    output_uri: Uri
    train_rows: int
    validation_rows: int
    message: Message  # one sentence for the notification, naming the report


class FineTuneProgress(_Payload):
    """$.finetune"""

    job_arn: Arn
    job_name: Name
    custom_model_name: Name
    status: JobStatus
    started_at: Stamp
    next_poll_seconds: int
    output_model_arn: Arn | None = None
    failure_message: Message = ""
    training_loss: float | None = None
    validation_loss: float | None = None
    check_failures: int = 0  # consecutive status checks that failed transiently


class ThroughputProgress(_Payload):
    """$.throughput — what serves the new model: a provisioned throughput, or (deployment on_demand)
    a custom model deployment, as `kind` says. `created` is False when the run makes neither (the
    NoThroughput state)."""

    created: bool
    kind: ServingKind = ServingKind.PROVISIONED_THROUGHPUT
    name: Name | None = None
    arn: ServingArn | None = None
    # a throughput's status (Creating, InService, Updating, Failed) or a deployment's (Creating, Active, Failed)
    status: ThroughputStatus | DeploymentStatus | None = None
    started_at: Stamp | None = None
    next_poll_seconds: int = 0
    failure_message: Message = ""
    check_failures: int = 0  # consecutive status checks that failed transiently
    # When its time-to-live ends (None: a commitment, which the term bounds): the budget counts it
    # until then, the run stops using it then, and the janitor deletes it once the run has ended.
    expires_at: Stamp | None = None

    @model_validator(mode="before")
    @classmethod
    def _status_of_its_kind(cls, values: Any) -> Any:
        """Both kinds say "Creating" and "Failed": read the status as its own kind's."""
        if isinstance(values, dict) and values.get("kind") == ServingKind.CUSTOM_MODEL_DEPLOYMENT.value:
            if isinstance(values.get("status"), str):
                values = {**values, "status": DeploymentStatus(values["status"])}
        return values

    @property
    def ready(self) -> bool:
        """It answers: a throughput InService, a deployment Active."""
        return self.status in (ThroughputStatus.IN_SERVICE, DeploymentStatus.ACTIVE)


class EvaluationProgress(_Payload):
    """$.evaluation — the Evaluate loop's position: chunk `next_chunk` of `chunks` is next."""

    next_chunk: int = 0
    chunks: int = 0  # 0 until the first chunk has counted the questions
    questions: int = 0
    done: bool = False
    custom_model_id: Arn | None = None  # what the questions are asked of (the throughput's or deployment's ARN)
    base_model_id: Name | None = None
    # The active model, asked live the questions it has no answer on file for (None: not asked)
    champion_model_id: Arn | None = None


class LeftBilling(_Payload):
    """A billable resource the run leaves behind, and when the janitor deletes it: what every
    notification that mentions one is built from."""

    kind: Literal["provisioned throughput", "custom model deployment", "custom model"]
    arn: Arn
    why: Line  # why it is left: kept on purpose, or could not be deleted
    # When the janitor deletes it (its ttl has passed; the first janitor run after that time);
    # None when the janitor keeps it (a commitment, or a promoted model).
    janitor_deletes_at: Stamp | None = None


class GateOutcome(_Payload):
    """$.gate — the promotion gate's decision (ScoreEvaluation, or SkipEvaluation when `evaluate` is off)."""

    decision: Literal["promote", "discard", "not_evaluated"]
    message: Message  # names each failed threshold with the numbers
    simulated: bool = False
    scores_uri: Uri | None = None  # runs/<run_id>/eval.json
    paraphrase_accuracy: float | None = None
    base_paraphrase_accuracy: float | None = None
    unseen_hallucination: float | None = None
    deleted_throughput_arn: ServingArn | None = None  # the evaluation-only or discarded model's throughput
    deleted_deployment_arn: ServingArn | None = None  # or its custom model deployment (deployment on_demand)
    cleanup: Annotated[list[Line], Field(max_length=LINES)] = Field(default_factory=list)  # deleted, kept
    left_billing: Annotated[list[LeftBilling], Field(max_length=3)] = Field(default_factory=list)
    # The active model the new one was compared with (None: there was no evaluated one); Promote
    # refuses to replace any other. Accuracies on the questions both answered.
    champion_run_id: Name | None = None
    champion_accuracy: float | None = None
    challenger_accuracy: float | None = None
    champion_shared_questions: int | None = None


class RunOutcome(_Payload):
    """$.outcome — what the success notification says."""

    status: Literal["promoted", "dry_run", "unchanged", "skipped", "discarded", "not_evaluated"]
    run_id: Name
    message: Message
    report_uri: Uri | None = None
    model_arn: Arn | None = None
    throughput_arn: ServingArn | None = None
    deployment_arn: ServingArn | None = None  # the custom model deployment that serves it (deployment on_demand)
    retired_throughput_arn: ServingArn | None = None
    retired_deployment_arn: ServingArn | None = None
    dataset_hash: Name | None = None
    estimated_cost_usd: float | None = None
    gate: Message | None = None  # the gate's decision message
    # What the run leaves billing besides a promoted model (a discarded model's kept throughput)
    left_billing: Annotated[list[LeftBilling], Field(max_length=3)] = Field(default_factory=list)


class FailureSummary(_Payload):
    """$.failure — what the failure notification says."""

    status: Literal["failed"] = "failed"
    run_id: Name | None = None
    error: Name  # the error name, e.g. FineTuneFailed
    message: Message  # the service's or the step's own words
    report_uri: Uri | None = None
    cleanup: Annotated[list[Line], Field(max_length=LINES)] = Field(default_factory=list)  # what Cleanup did
    # What could not be undone or was kept on purpose (a trained model), and when the janitor deletes it
    left_billing: Annotated[list[LeftBilling], Field(max_length=3)] = Field(default_factory=list)


# ---- step inputs ---------------------------------------------------------------------


class ExecutionInfo(_Payload):
    """From the context object: $$.Execution.Name/Id/StartTime, $$.StateMachine.Id."""

    name: str
    id: str
    state_machine_id: str
    start_time: str


class PrepareEvent(_Payload):
    input: Any  # the raw execution input: validated by Prepare itself, with a clear message
    execution: ExecutionInfo


class StartGenerationEvent(_Payload):
    run: RunContext


class CheckGenerationEvent(_Payload):
    run: RunContext
    generation: GenerationProgress


class BuildDatasetEvent(_Payload):
    run: RunContext
    generation: GenerationProgress


class StartFineTuneEvent(_Payload):
    run: RunContext
    dataset: DatasetOutcome


class CheckFineTuneEvent(_Payload):
    run: RunContext
    finetune: FineTuneProgress


class CreateThroughputEvent(_Payload):
    run: RunContext
    finetune: FineTuneProgress


class CheckThroughputEvent(_Payload):
    run: RunContext
    throughput: ThroughputProgress


class EvaluateChunkEvent(_Payload):
    run: RunContext
    dataset: DatasetOutcome
    finetune: FineTuneProgress
    throughput: ThroughputProgress
    evaluation: EvaluationProgress


class ScoreEvaluationEvent(_Payload):
    run: RunContext
    dataset: DatasetOutcome
    finetune: FineTuneProgress
    throughput: ThroughputProgress
    evaluation: EvaluationProgress


class PromoteEvent(_Payload):
    run: RunContext
    dataset: DatasetOutcome
    finetune: FineTuneProgress
    throughput: ThroughputProgress
    gate: GateOutcome


class CaughtError(BaseModel):
    """What a Catch stores at $.error: Step Functions' Error and Cause."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    Error: str
    Cause: str | None = None


class CleanupEvent(BaseModel):
    """The whole execution state at the moment something failed: any part may be missing."""

    # ignore: the state also carries the raw input and whatever later states add
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    error: CaughtError
    run: RunContext | None = None
    generation: GenerationProgress | None = None
    dataset: DatasetOutcome | None = None
    finetune: FineTuneProgress | None = None
    throughput: ThroughputProgress | None = None
    evaluation: EvaluationProgress | None = None
    outcome: RunOutcome | None = None


class ReportEvent(BaseModel):
    """The whole execution state when the run has ended, either way: every part may be missing
    (a run refused at Prepare has no $.run). $.failure is a dict: CleanupFailed writes it too."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    run: RunContext | None = None
    generation: GenerationProgress | None = None
    dataset: DatasetOutcome | None = None
    finetune: FineTuneProgress | None = None
    throughput: ThroughputProgress | None = None
    evaluation: EvaluationProgress | None = None
    gate: GateOutcome | None = None
    outcome: RunOutcome | None = None
    failure: dict[str, Any] | None = None
    error: CaughtError | None = None


class Notice(_Payload):
    """$.notice — the notification the Notify / NotifyFailure state publishes: a text a person
    reads (outcome, scores, what is left running, console links, the `podium report` command).
    Bounded like every part of the state: its parts are (a message, eight cleanup lines, three
    left-billing items), so only a pathological text is cut."""

    failed: bool  # True: the run failed, NotifyFailure publishes it and the execution fails
    status: Name  # the outcome: promoted, discarded, dry_run, unchanged, skipped, not_evaluated, failed
    run_id: Name | None = None
    subject: Subject  # SNS Subject: ASCII, at most 100 characters
    text: NoticeText
    report_html_uri: Uri | None = None  # runs/<run_id>/report.html, when it could be written


# Step name → (input model, result model); the ASL test and the handlers use this.
STEP_MODELS: dict[str, tuple[type[BaseModel], type[_Payload]]] = {
    "Prepare": (PrepareEvent, RunContext),
    "StartGeneration": (StartGenerationEvent, GenerationProgress),
    "CheckGeneration": (CheckGenerationEvent, GenerationProgress),
    "BuildDataset": (BuildDatasetEvent, DatasetOutcome),
    "StartFineTune": (StartFineTuneEvent, FineTuneProgress),
    "CheckFineTune": (CheckFineTuneEvent, FineTuneProgress),
    "CreateThroughput": (CreateThroughputEvent, ThroughputProgress),
    "CheckThroughput": (CheckThroughputEvent, ThroughputProgress),
    "EvaluateChunk": (EvaluateChunkEvent, EvaluationProgress),
    "ScoreEvaluation": (ScoreEvaluationEvent, GateOutcome),
    "Promote": (PromoteEvent, RunOutcome),
    "Cleanup": (CleanupEvent, FailureSummary),
    "Report": (ReportEvent, Notice),
}
