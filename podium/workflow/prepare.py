"""The Prepare step: validate the execution input, refuse what the budget or the
deployment does not allow, derive the run id, skip when another run is going, and check
that the generator has what it needs — all before anything is spent."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from podium.adapters.ports import ObjectStore
from podium.adapters.stepfunctions import RunningExecution
from podium.config import DEFAULT_MAX_MODEL_UNITS, RunSettings, creates_serving, creates_throughput, loosened
from podium.config_context import context_key_for
from podium.dataset.estimate import effective_prices, evaluation_only_hours, throughput_lifetime_hours
from podium.dataset.files import run_prefix
from podium.errors import ConfigError
from podium.models import BaseModel, RowCaps, get_model
from podium.workflow.errors import InvalidInput, NoSourceData, OverBudget
from podium.workflow.events import PrepareEvent, RunContext
from podium.workflow.polling import as_utc, to_iso, utc_now
from podium.workflow.preflight import check_deployments, check_model_units
from podium.workflow.run_names import run_id_for

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from podium.adapters.service_quotas import DeploymentCapacity, ModelUnitCapacity

# The execution input is a handful of settings (a few hundred bytes). A cap far above that
# keeps every state of the run far below Step Functions' 256 KB, whose overflow no Catch sees.
MAX_INPUT_BYTES = 16 * 1024


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
    janitor_deletes: bool = True,
    read_model_units: Callable[[], ModelUnitCapacity] | None = None,
    read_deployments: Callable[[], DeploymentCapacity] | None = None,
) -> RunContext:
    """Validate the input, refuse what the budget or the deployment does not allow, derive
    the run id, skip when another run is going, and check that the generator has what it
    needs — all before anything is spent. `janitor_deletes`: the deployment's janitor runs
    and deletes (janitor_schedule set, janitor_dry_run off)."""
    raw = event.input
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"input: the execution input must be a JSON object such as {{}} or "
            f'{{"dry_run": true}}, not a JSON {_json_kind(raw)}'
        )
    size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_INPUT_BYTES:
        raise InvalidInput(
            f"input: the execution input is {size:,} bytes; at most {MAX_INPUT_BYTES:,} are accepted (run settings "
            "take a few hundred). Nothing was started."
        )
    try:
        settings = defaults.merged(raw).check_for_region(region)
        if "poll" in raw:  # the deployed bounds were checked at synth; the rehearsal's 1 s polls live there
            settings.poll.check_execution_history()
    except ConfigError as error:
        raise InvalidInput(f"{error} — fix the execution input, or the deployed defaults in cdk.json") from None
    _check_only_tightens(settings, defaults)
    _check_deployment_allows(settings, defaults, janitor_deletes)
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
        check_model_units(settings, read_model_units)
        log.info(check_deployments(settings, read_deployments))
    if skip_reason:
        log.info(skip_reason)
    else:
        assert caps is not None
        log.info(
            "run %s goes ahead: %s with the %s generator; budget $%.2f; row caps %d training, %d validation (%s)",
            run_id,
            settings.base_model,
            settings.generator,
            settings.budget_usd,
            caps.train,
            caps.validation,
            caps.source,
        )

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


def _check_only_tightens(settings: RunSettings, defaults: RunSettings) -> None:
    """Deployed budgets, gate thresholds, lifetimes and the like are limits: an execution's input
    may make them stricter, never looser (podium.config.Stricter says which way each goes)."""
    problems = [found.describe(context_key_for(found.setting)) for found in loosened(defaults, settings)]
    if problems:
        log.warning("input refused, it loosens deployed limits: %s", "; ".join(problems))
        raise InvalidInput("; ".join(problems) + ". Nothing was started.")


def _check_deployment_allows(settings: RunSettings, defaults: RunSettings, janitor_deletes: bool) -> None:
    """What the deployed stack cannot do, refused before anything is generated or trained."""
    problems = []
    if settings.base_model != defaults.base_model:
        # The step roles may start jobs and invoke models for the deployed base model only.
        problems.append(
            f"base_model: {settings.base_model} is not the model this stack was deployed for "
            f"({defaults.base_model}); its roles may train and invoke that one only. To train another, redeploy "
            f"with it: set `base_model` in cdk.json (or `-c base_model={settings.base_model}`) and run `cdk deploy`"
        )
    if not settings.data_prefix.startswith(defaults.data_prefix):
        problems.append(
            f"data_prefix: {settings.data_prefix!r} is outside the deployed {defaults.data_prefix!r}, the only "
            f"folder the functions may read; use a folder under {defaults.data_prefix!r}"
        )
    if creates_serving(settings) and not janitor_deletes:
        made = "a provisioned throughput" if settings.deployment == "provisioned" else "a custom model deployment"
        problems.append(
            f"throughput.enabled / evaluate: this run would create {made}, but the deployed janitor does not "
            "delete (janitor_schedule is off or janitor_dry_run is on), so nothing would bound what one the run "
            "could not delete costs. Turn the janitor on in cdk.json and run `cdk deploy`, or run with "
            "throughput.enabled and evaluate false"
        )
    if problems:
        raise InvalidInput("; ".join(problems) + ". Nothing was started.")


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
        for name in (
            "training_per_1k_tokens",
            "storage_per_month",
            "throughput_per_unit_hour",
            "on_demand_input_per_1k_tokens",
            "on_demand_output_per_1k_tokens",
        )
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
    if creates_throughput(settings):
        prices, _ = effective_prices(get_model(settings.base_model, region).prices, settings.prices)
        if wanted.enabled:
            hours = throughput_lifetime_hours(wanted)
            why = f"the whole {wanted.commitment} commitment" if wanted.commitment else "throughput.ttl_hours"
        else:
            hours, why = evaluation_only_hours(wanted), "throughput.evaluation_ttl_hours, for the evaluation only"
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
                    "throughput.model_units or the throughput's ttl, or raise budget_usd in cdk.json and run "
                    "`cdk deploy`"
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
