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

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from podium.adapters.ports import GenerationState, JobStatus, ThroughputStatus
from podium.config import RunSettings
from podium.models import RowCaps


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

    run_id: str
    execution_name: str
    execution_arn: str
    state_machine_arn: str
    started_at: str
    run_prefix: str  # "runs/<run_id>/": everything this run writes is under it
    settings: RunSettings
    # Bedrock's customization quotas for the base model, read by Prepare (None: the documented caps)
    caps: RowCaps | None = None
    # Set when another execution holds the machine: the run ends as "skipped" (an info
    # notification), not as a failure that pages someone.
    skip_reason: str = ""


class GenerationProgress(_Payload):
    """$.generation"""

    generator: str
    handle: dict[str, Any]
    state: GenerationState
    message: str = ""
    started_at: str
    next_poll_seconds: int
    check_failures: int = 0  # consecutive status checks that failed transiently


class DatasetOutcome(_Payload):
    """$.dataset — the facts the DatasetDecision Choice state decides on."""

    valid: bool
    report_uri: str
    dataset_hash: str
    estimated_cost_usd: float
    over_budget: bool
    unchanged: bool
    dry_run: bool
    training_uri: str
    validation_uri: str | None
    eval_uri: str | None
    output_uri: str
    train_rows: int
    validation_rows: int
    message: str  # one sentence for the notification, naming the report


class FineTuneProgress(_Payload):
    """$.finetune"""

    job_arn: str
    job_name: str
    custom_model_name: str
    status: JobStatus
    started_at: str
    next_poll_seconds: int
    output_model_arn: str | None = None
    failure_message: str = ""
    training_loss: float | None = None
    validation_loss: float | None = None
    check_failures: int = 0  # consecutive status checks that failed transiently


class ThroughputProgress(_Payload):
    """$.throughput — `created` is False when throughput is disabled (the NoThroughput state)."""

    created: bool
    name: str | None = None
    arn: str | None = None
    status: ThroughputStatus | None = None
    started_at: str | None = None
    next_poll_seconds: int = 0
    failure_message: str = ""
    check_failures: int = 0  # consecutive status checks that failed transiently


class EvaluationProgress(_Payload):
    """$.evaluation — the Evaluate loop's position: chunk `next_chunk` of `chunks` is next."""

    next_chunk: int = 0
    chunks: int = 0  # 0 until the first chunk has counted the questions
    questions: int = 0
    done: bool = False
    custom_model_id: str | None = None  # what the questions are asked of (the throughput's ARN)
    base_model_id: str | None = None
    # The active model, asked live the questions it has no answer on file for (None: not asked)
    champion_model_id: str | None = None


class GateOutcome(_Payload):
    """$.gate — the promotion gate's decision (ScoreEvaluation, or SkipEvaluation when `evaluate` is off)."""

    decision: Literal["promote", "discard", "not_evaluated"]
    message: str  # names each failed threshold with the numbers
    simulated: bool = False
    scores_uri: str | None = None  # runs/<run_id>/eval.json
    paraphrase_accuracy: float | None = None
    base_paraphrase_accuracy: float | None = None
    unseen_hallucination: float | None = None
    deleted_throughput_arn: str | None = None  # the evaluation-only or discarded model's throughput
    cleanup: list[str] = Field(default_factory=list)  # what was deleted or kept, one line each
    # The active model the new one was compared with (None: there was no evaluated one); Promote
    # refuses to replace any other. Accuracies on the questions both answered.
    champion_run_id: str | None = None
    champion_accuracy: float | None = None
    challenger_accuracy: float | None = None
    champion_shared_questions: int | None = None


class RunOutcome(_Payload):
    """$.outcome — what the success notification says."""

    status: Literal["promoted", "dry_run", "unchanged", "skipped", "discarded", "not_evaluated"]
    run_id: str
    message: str
    report_uri: str | None = None
    model_arn: str | None = None
    throughput_arn: str | None = None
    retired_throughput_arn: str | None = None
    dataset_hash: str | None = None
    estimated_cost_usd: float | None = None
    gate: str | None = None  # the gate's decision message


class FailureSummary(_Payload):
    """$.failure — what the failure notification says."""

    status: Literal["failed"] = "failed"
    run_id: str | None = None
    error: str  # the error name, e.g. FineTuneFailed
    message: str  # the service's or the step's own words
    report_uri: str | None = None
    cleanup: list[str] = Field(default_factory=list)  # what Cleanup did, one line each


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
    reads (outcome, scores, what is left running, console links, the `podium report` command)."""

    failed: bool  # True: the run failed, NotifyFailure publishes it and the execution fails
    status: str  # the outcome: promoted, discarded, dry_run, unchanged, skipped, not_evaluated, failed
    run_id: str | None = None
    subject: str  # SNS Subject: ASCII, at most 100 characters
    text: str
    report_html_uri: str | None = None  # runs/<run_id>/report.html, when it could be written


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
