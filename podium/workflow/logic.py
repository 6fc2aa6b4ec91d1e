"""What each workflow step does. One function per Task state; adapters come in as
arguments (ports), so tests run this with in-memory fakes and the handlers with AWS.

Every function takes the step's typed event and returns the step's typed result
(podium.workflow.events). Refusals raise the errors in podium.workflow.errors, whose
class names the state machine matches.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from podium.adapters.bedrock import client_token_for, job_name_for, read_loss_metrics
from podium.adapters.errors import BedrockThrottled, DatabricksUnavailable
from podium.adapters.ports import (
    TAG_EXECUTION,
    TAG_RUN_ID,
    TAG_STACK,
    TAG_TTL_HOURS,
    ActiveModel,
    ActiveModelStore,
    FineTuner,
    FineTuneRequest,
    GenerationState,
    Generator,
    JobStatus,
    ObjectStore,
    ThroughputStatus,
)
from podium.adapters.stepfunctions import RunningExecution
from podium.config import DEFAULT_MAX_MODEL_UNITS, RunSettings
from podium.dataset.estimate import effective_prices, throughput_lifetime_hours
from podium.dataset.files import (
    EVAL_FILE,
    PROMOTION_FILE,
    REPORT_FILE,
    TRAIN_FILE,
    VALIDATION_FILE,
    run_prefix,
)
from podium.dataset.reconcile import not_run_note
from podium.errors import ConfigError
from podium.models import BaseModel, RowCaps, get_model
from podium.workflow.errors import (
    DatasetInvalid,
    FineTuneFailed,
    GenerationFailed,
    InvalidInput,
    NoSourceData,
    NotPromotable,
    OverBudget,
    StatusUnknown,
    ThroughputFailed,
)
from podium.workflow.events import (
    BuildDatasetEvent,
    CheckFineTuneEvent,
    CheckGenerationEvent,
    CheckThroughputEvent,
    CreateThroughputEvent,
    DatasetOutcome,
    FineTuneProgress,
    GateOutcome,
    GenerationProgress,
    PrepareEvent,
    PromoteEvent,
    RunContext,
    RunOutcome,
    StartFineTuneEvent,
    StartGenerationEvent,
    ThroughputProgress,
)
from podium.workflow.polling import as_utc, elapsed_seconds, next_poll_seconds, to_iso, utc_now

# Bedrock names cap at 63 characters and are "<prefix>-<kind>-<run_id>" (prefix ≤ 21):
# a run id of at most 36 characters keeps them readable; longer ones still work because
# job_name_for hashes what does not fit.
RUN_ID_MAX = 36
_HASH_CHARS = 8


# ---- names derived from the run id (also used by Cleanup to find lost resources) -----


def run_id_for(execution_name: str, execution_arn: str, start_time: str) -> str:
    """A run id unique per execution: the execution name made safe (lower-case letters,
    digits, single hyphens), shortened, plus a hash of the execution ARN and start time.

    The hash is what makes it unique: names that sanitise alike ("Weekly Retrain" and
    "weekly-retrain") and a name reused after Step Functions' 90-day window (same ARN, new
    start time) get different ids, so they never share a job, throughput or run folder.
    `start_time` is hashed as epoch milliseconds, so $$.Execution.StartTime and the
    startDate of an EventBridge status-change event give the same id.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", execution_name.lower()).strip("-")
    started_ms = int(as_utc(datetime.fromisoformat(start_time)).timestamp() * 1000)
    digest = hashlib.sha256(f"{execution_arn}|{started_ms}".encode()).hexdigest()[:_HASH_CHARS]
    head = slug[: RUN_ID_MAX - _HASH_CHARS - 1].rstrip("-")
    return f"{head}-{digest}" if head else f"run-{digest}"


def job_name(name_prefix: str, run_id: str) -> str:
    return job_name_for(f"{name_prefix}-ft", run_id)


def custom_model_name(name_prefix: str, run_id: str) -> str:
    return job_name_for(f"{name_prefix}-model", run_id)


def throughput_name(name_prefix: str, run_id: str) -> str:
    return job_name_for(f"{name_prefix}-pt", run_id)


def ownership_tags(run: RunContext, name_prefix: str) -> dict[str, str]:
    """What every billable resource of the run carries (see ports.TAG_*)."""
    return {
        TAG_STACK: name_prefix,
        TAG_EXECUTION: run.execution_arn,
        TAG_RUN_ID: run.run_id,
        TAG_TTL_HOURS: format(run.settings.throughput.ttl_hours, "g"),
    }


# ---- Prepare --------------------------------------------------------------------------


def prepare(
    event: PrepareEvent,
    *,
    defaults: RunSettings,
    region: str,
    list_running: Callable[[str], Sequence[RunningExecution]],
    store: ObjectStore,
    read_databricks_secret: Callable[[str | None], object],
    max_model_units: int = DEFAULT_MAX_MODEL_UNITS,
    now: datetime | None = None,
    read_caps: Callable[[BaseModel], RowCaps] | None = None,
    claim_run: Callable[[str], str | None] | None = None,
) -> RunContext:
    """Validate the input, refuse what the budget or the deployment does not allow, derive
    the run id, skip when another run is going, and check that the generator has what it
    needs — all before anything is spent."""
    raw = event.input
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"input: the execution input must be a JSON object such as {{}} or "
            f'{{"dry_run": true}}, not a JSON {_json_kind(raw)}'
        )
    try:
        settings = defaults.merged(raw).check_for_region(region)
        if "poll" in raw:  # the deployed bounds were checked at synth; the rehearsal's 1 s polls live there
            settings.poll.check_execution_history()
    except ConfigError as error:
        raise InvalidInput(f"{error} — fix the execution input, or the deployed defaults in cdk.json") from None
    _check_price_overrides(raw, settings, defaults, region)
    _check_throughput_spending(raw, settings, defaults, max_model_units, region)

    execution = event.execution
    run_id = run_id_for(execution.name, execution.id, execution.start_time)
    # The earliest running execution goes ahead and every later one is skipped, so executions
    # started together never all refuse each other.
    me = (as_utc(datetime.fromisoformat(execution.start_time)), execution.id)
    earlier = sorted(
        (as_utc(other.started_at), other.arn)
        for other in list_running(execution.state_machine_id)
        if other.arn != execution.id and (as_utc(other.started_at), other.arn) < me
    )
    skip_reason, caps = "", None
    if earlier:
        skip_reason = (
            f"Skipped: execution {earlier[0][1]} of this state machine is still running, and two runs at "
            "once would race for the active model and double the cost. Nothing was started. Start this "
            "run again once that one has finished (or stop it in the Step Functions console)."
        )
    elif claim_run is not None and (holder := claim_run(execution.id)):
        skip_reason = (
            f"Skipped: execution {holder} of this state machine holds the run lock and is still running; "
            "two runs at once would race for the active model and double the cost. Nothing was started. "
            "Start this run again once that one has finished (or stop it in the Step Functions console)."
        )
    else:
        _check_generator_inputs(settings, store, read_databricks_secret)
        caps = _caps_for(settings, region, read_caps)

    return RunContext(
        run_id=run_id,
        execution_name=execution.name,
        execution_arn=execution.id,
        state_machine_arn=execution.state_machine_id,
        started_at=to_iso(now or utc_now()),
        run_prefix=run_prefix(run_id),
        settings=settings,
        caps=caps,
        skip_reason=skip_reason,
    )


def _caps_for(settings: RunSettings, region: str, read_caps: Callable[[BaseModel], RowCaps] | None) -> RowCaps:
    """The account's customization quotas for the base model (or the documented fallback),
    and a refusal, before anything is spent, of an epochCount over the epochs quota."""
    model = get_model(settings.base_model, region)
    caps = read_caps(model) if read_caps is not None else model.documented_caps("Service Quotas not read")
    epochs = int(float(model.resolve_hyperparameters(settings.hyperparameters).get("epochCount", "1")))
    problem = caps.epochs_problem(epochs, model.model_id)
    if problem:
        raise InvalidInput(f"hyperparameters: {problem}; lower epochCount or raise the quota in Service Quotas")
    return caps


def _check_price_overrides(raw: dict[str, Any], settings: RunSettings, defaults: RunSettings, region: str) -> None:
    """The execution input may raise a price (a negotiated rate went up, a new region) but never
    lower one below the deployed price: every budget check multiplies by these figures, so a
    cheaper price in the input would let any run past the budget."""
    if not isinstance(raw.get("prices"), dict):
        return
    registry = get_model(settings.base_model, region).prices
    asked, _ = effective_prices(registry, settings.prices)
    deployed, _ = effective_prices(registry, defaults.prices)
    problems = [
        f"prices.{name}: {getattr(asked, name)} is below the deployed price {getattr(deployed, name)}; the execution "
        "input may raise a price but not lower it, because the budget checks rely on it (change it in cdk.json "
        "`prices` and redeploy)"
        for name in ("training_per_1k_tokens", "storage_per_month", "throughput_per_unit_hour")
        if name in raw["prices"]
        and getattr(deployed, name) is not None
        and (getattr(asked, name) is None or getattr(asked, name) < getattr(deployed, name))
    ]
    if problems:
        raise InvalidInput("; ".join(problems) + ". Nothing was started.")


def _check_throughput_spending(
    raw: dict[str, Any], settings: RunSettings, defaults: RunSettings, max_model_units: int, region: str
) -> None:
    """Before anything exists: a commitment or more model units than the deployment allows
    only from the deployed settings (a commitment cannot be deleted before its term ends),
    and a throughput whose longest life the budget cannot pay for is refused."""
    wanted, deployed = settings.throughput, defaults.throughput
    asked = raw.get("throughput") if isinstance(raw.get("throughput"), dict) else {}
    problems = []
    if asked.get("commitment") and asked["commitment"] != deployed.commitment:
        problems.append(
            f"throughput.commitment: a {asked['commitment']} commitment cannot come from the execution input: it "
            "bills every hour of its term and cannot be deleted before the term ends, so only the deployed "
            "settings may set it (cdk.json throughput_commitment, with confirm_costly_throughput)"
        )
    if "model_units" in asked and wanted.model_units > max(max_model_units, deployed.model_units):
        problems.append(
            f"throughput.model_units: {wanted.model_units} is above the {max(max_model_units, deployed.model_units)} "
            "an execution may ask for (throughput_max_model_units); more only from the deployed settings"
        )
    budget_problem = ""
    if wanted.enabled:
        prices, _ = effective_prices(get_model(settings.base_model, region).prices, settings.prices)
        hours = throughput_lifetime_hours(wanted)
        why = f"the whole {wanted.commitment} commitment" if wanted.commitment else "throughput.ttl_hours"
        if prices.throughput_per_unit_hour is None:
            budget_problem = (
                f"prices.throughput_per_unit_hour: the provisioned-throughput price of {settings.base_model} is "
                "unknown, so the budget cannot cover it; set it in the prices setting"
            )
        else:
            cost = prices.throughput_per_unit_hour * wanted.model_units * hours
            if cost > settings.budget_usd:
                budget_problem = (
                    f"budget_usd ${settings.budget_usd:,.2f} does not cover the provisioned throughput alone: "
                    f"ESTIMATE ${cost:,.2f} ({wanted.model_units} model unit(s) × "
                    f"${prices.throughput_per_unit_hour:,.2f} an hour × {hours:,g} h, {why}). Lower "
                    "throughput.model_units or throughput.ttl_hours, or raise budget_usd"
                )
    if problems:
        raise InvalidInput(
            "; ".join([*problems, *([budget_problem] if budget_problem else [])]) + ". Nothing was started."
        )
    if budget_problem:
        raise OverBudget(budget_problem + ". Nothing was started.")


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def _check_generator_inputs(
    settings: RunSettings, store: ObjectStore, read_databricks_secret: Callable[[str | None], object]
) -> None:
    if settings.generator == "builtin":
        keys = store.list_keys(settings.data_prefix)
        if not any(key.lower().endswith(".csv") for key in keys):
            found = f"only {', '.join(keys[:3])}" if keys else "nothing"
            raise NoSourceData(
                f"data_prefix: found {found} under {store.uri(settings.data_prefix)}; the built-in "
                "generator reads the Paris 2024 CSVs (medallists.csv, medals.csv, events.csv, ...) "
                f"from there. Upload them, e.g. `aws s3 cp data/sample {store.uri(settings.data_prefix)} "
                "--recursive`, or set data_prefix to where they are."
            )
    else:
        try:
            read_databricks_secret(settings.databricks.secret_name)
        except ConfigError as error:
            raise InvalidInput(str(error)) from None


# ---- generation -------------------------------------------------------------------------


def start_generation(
    event: StartGenerationEvent, *, generator: Generator, now: datetime | None = None
) -> GenerationProgress:
    run = event.run
    handle = generator.start(run.run_id)
    return GenerationProgress(
        generator=generator.name,
        handle=dict(handle),
        state=GenerationState.RUNNING,
        started_at=to_iso(now or utc_now()),
        next_poll_seconds=run.settings.poll.min_seconds,
    )


def check_generation(
    event: CheckGenerationEvent, *, generator: Generator, now: datetime | None = None
) -> GenerationProgress:
    progress = event.generation
    try:
        status = generator.status(progress.handle)
    except TRANSIENT as error:
        return _status_unknown(event.run, progress, f"the {progress.generator} generation", error, now)
    if status.state is GenerationState.FAILED:
        raise GenerationFailed(f"the {progress.generator} generator failed: {status.message or '(it gave no reason)'}")
    elapsed = elapsed_seconds(progress.started_at, now or utc_now())
    return progress.model_copy(
        update={
            "state": status.state,
            "message": status.message,
            "next_poll_seconds": next_poll_seconds(elapsed, event.run.settings.poll),
            "check_failures": 0,
        }
    )


# ---- dataset ------------------------------------------------------------------------------


def build_dataset(
    event: BuildDatasetEvent,
    *,
    generator: Generator,
    store: ObjectStore,
    active_models: ActiveModelStore,
    region: str,
) -> DatasetOutcome:
    """Build, validate and estimate the dataset; write it under runs/<run_id>/; decide."""
    # Imported here, not at the top: only BuildDataset builds datasets, and the builder (the
    # planner, templates, validator, ...) would otherwise be in every function's cold start.
    from podium.dataset import build as dataset_builder

    run = event.run
    settings = run.settings
    model = get_model(settings.base_model, region)
    # Read every pair first: the generator counts what it dropped while it is read.
    pairs = list(generator.read_pairs(event.generation.handle))
    built = dataset_builder.build_dataset(
        pairs,
        model,
        rejected=generator.rejections,
        hyperparameters=settings.hyperparameters,
        prices=settings.prices,
        throughput=settings.throughput,
        evaluate=settings.evaluate,
        region=region,
        caps=run.caps,
        recipe=settings.recipe,
        teach_priorities=settings.teach_priorities,
        disagreements=generator.disagreements,
        reconciliation=(
            f"checked by the {generator.name} generator"
            if generator.disagreements is not None
            else not_run_note(generator.name)
        ),
    )
    # The report is written last: its presence means the whole dataset is there.
    files = dataset_builder.render_files(built)
    uris = {
        name: store.write_text(run.run_prefix + name, files[name], _content_type(name))
        for name in sorted(files, key=lambda name: name == REPORT_FILE)
    }
    report_uri = uris[REPORT_FILE]
    active = active_models.get()
    unchanged = (
        not settings.force
        and active is not None
        and active.dataset_hash == built.dataset_hash
        and active.base_model_id == settings.base_model
    )
    estimate = built.estimate
    over_budget = estimate.throughput_price_unknown or built.estimated_cost_usd > settings.budget_usd

    if not built.valid:
        shown = "; ".join(built.problems[:3])
        more = f" (and {len(built.problems) - 3} more)" if len(built.problems) > 3 else ""
        message = (
            f"The dataset breaks Bedrock's rules for {model.model_id}: {shown}{more}. "
            f"Every problem is listed in {report_uri}. Nothing was trained."
        )
    elif settings.dry_run:
        message = (
            f"Dry run: the dataset is valid ({built.train_rows} training and {built.validation_rows} "
            f"validation rows; estimated cost ${built.estimated_cost_usd:.2f}, budget "
            f"${settings.budget_usd:.2f}). Report: {report_uri}. Nothing was trained."
        )
    elif unchanged:
        assert active is not None
        message = (
            f"The dataset is identical to the one the active model {active.model_arn} (run "
            f"{active.run_id}) was trained on, so nothing was trained. Start a run with "
            f'{{"force": true}} to train anyway. Report: {report_uri}.'
        )
    elif over_budget:
        parts = [
            f"training ${estimate.training_usd:,.2f}",
            f"a month of model storage ${estimate.storage_usd_per_month:,.2f}",
        ]
        if estimate.throughput_enabled:
            parts.append(
                "provisioned throughput at an unknown price (set prices.throughput_per_unit_hour)"
                if estimate.throughput_price_unknown
                else f"provisioned throughput for {estimate.throughput_hours:,g} h ${estimate.throughput_usd:,.2f}"
            )
        parts.extend(f"{line.name} ${line.usd:,.2f}" for line in estimate.extra)
        message = (
            f"Estimated cost ${built.estimated_cost_usd:,.2f} ({'; '.join(parts)}) exceeds budget_usd "
            f"${settings.budget_usd:,.2f}; nothing was started. Raise budget_usd (execution input "
            f"or cdk.json), train on less data, or shorten throughput.ttl_hours. The estimate is itemised "
            f"in {report_uri}."
        )
    else:
        message = (
            f"Dataset valid: {built.train_rows} training and {built.validation_rows} validation rows; "
            f"estimated cost ${built.estimated_cost_usd:.2f} within budget ${settings.budget_usd:.2f}. "
            f"Report: {report_uri}."
        )
    return DatasetOutcome(
        valid=built.valid,
        report_uri=report_uri,
        dataset_hash=built.dataset_hash,
        estimated_cost_usd=round(built.estimated_cost_usd, 4),
        over_budget=over_budget,
        unchanged=unchanged,
        dry_run=settings.dry_run,
        training_uri=uris[TRAIN_FILE],
        validation_uri=uris[VALIDATION_FILE] if built.validation_rows else None,
        eval_uri=uris[EVAL_FILE] if built.eval else None,
        output_uri=store.uri(run.run_prefix + "output/"),
        train_rows=built.train_rows,
        validation_rows=built.validation_rows,
        message=message,
    )


def _content_type(name: str) -> str:
    return "application/jsonl" if name.endswith(".jsonl") else "application/json"


# ---- fine-tuning --------------------------------------------------------------------------


def start_fine_tune(
    event: StartFineTuneEvent,
    *,
    fine_tuner: FineTuner,
    region: str,
    name_prefix: str,
    role_arn: str,
    kms_key_id: str | None = None,
    now: datetime | None = None,
) -> FineTuneProgress:
    """Start the Bedrock job. Names and the client token come from the run id, so a retried
    call returns the job the first call started instead of starting a second one."""
    run, dataset = event.run, event.dataset
    # The Choice state decides this too; refusing here as well keeps money safe if the
    # definition is ever rewired.
    if not dataset.valid:
        raise DatasetInvalid(dataset.message)
    if dataset.over_budget:
        raise OverBudget(dataset.message)
    if dataset.dry_run:
        raise InvalidInput("dry_run: a dry run never starts a fine-tuning job")
    model = get_model(run.settings.base_model, region)
    name = job_name(name_prefix, run.run_id)
    request = FineTuneRequest(
        job_name=name,
        custom_model_name=custom_model_name(name_prefix, run.run_id),
        client_request_token=client_token_for(run.run_id, "fine-tune"),
        role_arn=role_arn,
        base_model_id=model.model_id,
        training_uri=dataset.training_uri,
        validation_uri=dataset.validation_uri,
        output_uri=dataset.output_uri,
        hyperparameters=model.resolve_hyperparameters(run.settings.hyperparameters),
        tags=ownership_tags(run, name_prefix),
        kms_key_id=kms_key_id,
    )
    job = fine_tuner.start_job(request)
    return FineTuneProgress(
        job_arn=job.job_arn,
        job_name=name,
        custom_model_name=request.custom_model_name,
        status=job.status,
        started_at=to_iso(now or utc_now()),
        next_poll_seconds=run.settings.poll.min_seconds,
    )


def check_fine_tune(
    event: CheckFineTuneEvent,
    *,
    fine_tuner: FineTuner,
    store: ObjectStore,
    now: datetime | None = None,
) -> FineTuneProgress:
    """Poll the job. Failed/Stopped raise FineTuneFailed with Bedrock's failureMessage.

    On completion the final losses come from Bedrock's response, else from the metrics
    files the job wrote under the run's output/ prefix."""
    progress = event.finetune
    try:
        job = fine_tuner.get_job(progress.job_arn)
    except TRANSIENT as error:
        return _status_unknown(event.run, progress, f"fine-tuning job {progress.job_arn}", error, now)
    if job.status in (JobStatus.FAILED, JobStatus.STOPPED):
        raise FineTuneFailed(
            f"Bedrock fine-tuning job {progress.job_name} ({progress.job_arn}) is {job.status.value}: "
            f"{job.failure_message or '(Bedrock gave no failureMessage)'}"
        )
    training_loss, validation_loss = job.training_loss, job.validation_loss
    if job.status is JobStatus.COMPLETED:
        if not job.output_model_arn:
            raise FineTuneFailed(f"Bedrock reports job {progress.job_arn} Completed but names no output model")
        if training_loss is None:
            losses = read_loss_metrics(store, event.run.run_prefix + "output/", progress.job_arn)
            training_loss, validation_loss = losses.final_training_loss, losses.final_validation_loss
    elapsed = elapsed_seconds(progress.started_at, now or utc_now())
    return progress.model_copy(
        update={
            "status": job.status,
            "output_model_arn": job.output_model_arn,
            "failure_message": job.failure_message,
            "training_loss": training_loss,
            "validation_loss": validation_loss,
            "next_poll_seconds": next_poll_seconds(elapsed, event.run.settings.poll),
            "check_failures": 0,
        }
    )


# ---- provisioned throughput --------------------------------------------------------------


def create_throughput(
    event: CreateThroughputEvent,
    *,
    fine_tuner: FineTuner,
    name_prefix: str,
    now: datetime | None = None,
) -> ThroughputProgress:
    run, finetune = event.run, event.finetune
    if not finetune.output_model_arn:
        raise FineTuneFailed(f"job {finetune.job_arn} has no output model to deploy")
    wanted = run.settings.throughput
    name = throughput_name(name_prefix, run.run_id)
    throughput = fine_tuner.create_throughput(
        name, finetune.output_model_arn, wanted.model_units, wanted.commitment, ownership_tags(run, name_prefix)
    )
    return ThroughputProgress(
        created=True,
        name=name,
        arn=throughput.arn,
        status=throughput.status,
        started_at=to_iso(now or utc_now()),
        next_poll_seconds=run.settings.poll.min_seconds,
    )


def check_throughput(
    event: CheckThroughputEvent, *, fine_tuner: FineTuner, now: datetime | None = None
) -> ThroughputProgress:
    progress = event.throughput
    if not progress.created or not progress.arn:
        raise ThroughputFailed("CheckThroughput ran, but this run created no provisioned throughput")
    try:
        throughput = fine_tuner.get_throughput(progress.arn)
    except TRANSIENT as error:
        return _status_unknown(event.run, progress, f"provisioned throughput {progress.arn}", error, now)
    if throughput.status is ThroughputStatus.FAILED:
        raise ThroughputFailed(
            f"Bedrock provisioned throughput {progress.name} ({progress.arn}) Failed: "
            f"{throughput.failure_message or '(Bedrock gave no failureMessage)'}"
        )
    elapsed = elapsed_seconds(progress.started_at or to_iso(utc_now()), now or utc_now())
    return progress.model_copy(
        update={
            "status": throughput.status,
            "failure_message": throughput.failure_message,
            "next_poll_seconds": next_poll_seconds(elapsed, event.run.settings.poll),
            "check_failures": 0,
        }
    )


# ---- status checks that survive hiccups ------------------------------------------------

# What a status check treats as "status unknown, look again later": the service throttled
# or was briefly unreachable. Only a definitive answer (Failed, Stopped, not found, refused)
# ends a run; a paid job is never stopped because one status read failed.
TRANSIENT = (BedrockThrottled, DatabricksUnavailable)

_Progress = TypeVar("_Progress", GenerationProgress, FineTuneProgress, ThroughputProgress)


def _status_unknown(
    run: RunContext, progress: _Progress, what: str, error: Exception, now: datetime | None
) -> _Progress:
    """The same progress, one more consecutive failure counted, next look after the usual
    wait; StatusUnknown once poll.max_check_failures failures in a row are exceeded."""
    failures = progress.check_failures + 1
    allowed = run.settings.poll.max_check_failures
    if failures > allowed:
        raise StatusUnknown(
            f"could not read the status of {what} in {failures} checks in a row (poll.max_check_failures "
            f"is {allowed}); last error: {error}. It may still be running: check it in the console."
        )
    elapsed = elapsed_seconds(progress.started_at or to_iso(utc_now()), now or utc_now())
    return progress.model_copy(
        update={"check_failures": failures, "next_poll_seconds": next_poll_seconds(elapsed, run.settings.poll)}
    )


# ---- promotion ---------------------------------------------------------------------------


def check_promotion_gate(event: PromoteEvent) -> None:
    """The one gate a new model passes before it becomes active: the job completed with an
    output model, its throughput (when created) is in service, and the evaluation did not
    discard it (ScoreEvaluation decides; the GateDecision Choice never sends a discarded
    model here, and this refuses it again should the definition be rewired)."""
    finetune, throughput = event.finetune, event.throughput
    if finetune.status is not JobStatus.COMPLETED or not finetune.output_model_arn:
        raise NotPromotable(f"job {finetune.job_arn} is {finetune.status.value}, not Completed with an output model")
    if throughput.created and throughput.status is not ThroughputStatus.IN_SERVICE:
        raise NotPromotable(f"throughput {throughput.arn} is {throughput.status}, not InService")
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
    """Make the new model the active one; retire the previous throughput when configured
    and tagged as this stack's.

    Safe to retry: the previous record is saved under runs/<run_id>/promotion.json before
    the active record is replaced, so a retry still knows which throughput to retire.
    """
    check_promotion_gate(event)
    run, finetune, throughput, gate = event.run, event.finetune, event.throughput, event.gate
    assert finetune.output_model_arn is not None
    record_key = run.run_prefix + PROMOTION_FILE
    evaluated = gate.decision == "promote"
    # A throughput created for the evaluation only is deleted by then: it serves nothing.
    serving_arn = throughput.arn if throughput.created and run.settings.throughput.enabled else None

    current = active_models.get()
    if not evaluated and current is not None and current.run_id != run.run_id and current.decision == "promote":
        return RunOutcome(
            status="not_evaluated",
            run_id=run.run_id,
            message=(
                f"Trained, not evaluated: {finetune.output_model_arn} was NOT promoted over the evaluated model "
                f"{current.model_arn} (run {current.run_id}). Run again with evaluate on to compare them."
            ),
            report_uri=event.dataset.report_uri,
            model_arn=finetune.output_model_arn,
            throughput_arn=serving_arn,
            dataset_hash=event.dataset.dataset_hash,
            estimated_cost_usd=event.dataset.estimated_cost_usd,
            report_html_uri=gate.report_html_uri,
            gate=gate.message,
        )
    if current is not None and current.run_id == run.run_id:
        previous = _saved_previous(store, record_key)  # a retry after the record was written
    else:
        previous = current
    new = ActiveModel(
        run_id=run.run_id,
        model_arn=finetune.output_model_arn,
        base_model_id=run.settings.base_model,
        dataset_hash=event.dataset.dataset_hash,
        throughput_arn=serving_arn,
        promoted_at=to_iso(now or utc_now()),
        decision=gate.decision,
        scores=_gate_scores(gate),
    )
    store.write_text(
        record_key,
        json.dumps({"promoted": new.to_record(), "previous": previous.to_record() if previous else None}, indent=2),
    )
    active_models.put(new)
    # The new model is active from here on, so nothing below may fail the run (it would end
    # FAILED with the new model serving): a retirement that does not happen is reported.
    old_arn = previous.throughput_arn if previous is not None else None
    retired, note = None, ""
    if old_arn and old_arn != new.throughput_arn:
        if run.settings.throughput.retire_previous:
            retired, note = _retire(fine_tuner, old_arn, name_prefix)
        else:
            note = (
                f" The previous model's provisioned throughput {old_arn} was kept "
                "(throughput.retire_previous is false) and is still billed hourly."
            )
    serving = (
        f" served by provisioned throughput {new.throughput_arn}"
        if new.throughput_arn
        else (" (no provisioned throughput: create one, or enable throughput, to invoke it)")
    )
    verdict = f" {gate.message[0].upper()}{gate.message[1:]}" if gate.message else ""
    return RunOutcome(
        status="promoted" if evaluated else "not_evaluated",
        run_id=run.run_id,
        message=f"Promoted {new.model_arn}{serving}.{note}{verdict}",
        report_uri=event.dataset.report_uri,
        model_arn=new.model_arn,
        throughput_arn=new.throughput_arn,
        retired_throughput_arn=retired,
        dataset_hash=new.dataset_hash,
        estimated_cost_usd=event.dataset.estimated_cost_usd,
        report_html_uri=gate.report_html_uri,
        gate=gate.message,
    )


def _retire(fine_tuner: FineTuner, arn: str, name_prefix: str) -> tuple[str | None, str]:
    """Delete the previous model's throughput when its tags say this stack made it; else say why not."""
    try:
        stack = fine_tuner.tags(arn).get(TAG_STACK)
        if stack != name_prefix:
            return None, (
                f" The previous model's provisioned throughput {arn} was left alone: it is not tagged "
                f"{TAG_STACK}={name_prefix} (found {stack or 'no tag'}), so this stack did not make it. "
                "It is still billed hourly: delete it in the Bedrock console if it is no longer needed."
            )
        fine_tuner.delete_throughput(arn)
    except Exception as error:  # noqa: BLE001 - promotion stands whatever the retirement did
        return None, (
            f" Could NOT delete the previous model's provisioned throughput {arn} ({error}); it is still "
            "billed hourly: delete it in the Bedrock console."
        )
    return arn, f" Deleted the previous model's provisioned throughput {arn}."


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
