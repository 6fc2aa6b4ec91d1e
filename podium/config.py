"""Typed settings: one place for every default.

`RunSettings` is what one execution uses; an execution's input may override any of
it. `StackSettings` adds what is fixed at deploy time (names, region, schedule, e-mail)
and carries the deployed `RunSettings` defaults. Both refuse unknown keys, so a typo
fails loudly instead of being ignored.
"""

# No `from __future__ import annotations`: pydantic would then evaluate every annotation
# string itself when each model class is created, twice the cost of this module in every
# Lambda cold start (see `make bench`).

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from podium.errors import ConfigError
from podium.models import DEFAULT_MODEL_ID, get_model

# Model units an execution's input may ask for unless the deployment says otherwise.
DEFAULT_MAX_MODEL_UNITS = 2

# The fact relations a recipe can teach (podium.dataset.templates.RELATIONS without the
# refusal ones; a test keeps the two equal), and the `deep` recipe's default order: medals,
# results and medal tables first, event → sport left out (base models know the programme).
TeachableRelation = Literal[
    "event_medal",
    "country_medal_count",
    "athlete_medals",
    "event_medal_day",
    "event_venue",
    "event_sport",
    "athlete_country",
    "athlete_disciplines",
    "athlete_events",
    "venue_sports",
    "athlete_birth_date",
    "athlete_height",
    "team_roster",
]
DEFAULT_TEACH_PRIORITIES: tuple[str, ...] = (
    "event_medal",
    "country_medal_count",
    "athlete_medals",
    "event_medal_day",
    "event_venue",
    "athlete_country",
    "athlete_disciplines",
    "athlete_events",
    "venue_sports",
    "athlete_birth_date",
    "athlete_height",
    "team_roster",
)


class Stricter(str, enum.Enum):
    """Which way a guard setting tightens. The deployed value (cdk.json) is the limit; an
    execution's input may move it only this way (`loosened` finds the moves the other way)."""

    LOWER = "lower"  # a ceiling: the input may lower it, never raise it
    HIGHER = "higher"  # a floor: the input may raise it (a flag: turn it on), never lower it


def guard(direction: Stricter) -> dict[str, str]:
    """`json_schema_extra` of a guard field: `Field(..., json_schema_extra=guard(Stricter.LOWER))`."""
    return {"stricter": direction.value}


class _Strict(BaseModel):
    # strict: "yes" is not true and "5" is not 5 — a setting gets exactly the JSON type it names.
    # allow_inf_nan=False: JSON's 1e999 reads as infinity, which would lift any limit it is compared with.
    # defer_build: compiled on first use, not in every importer's cold start (podium.workflow.events).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True)


# A catalog.schema.table name safe to put into SQL: unquoted identifiers, or backquoted ones
# (catalog, schema) without backquotes inside; the table part stays unquoted because the job
# derives <table>_facts and <table>_paraphrases from it.
_TABLE_PART = r"(?:[A-Za-z_][A-Za-z0-9_]{0,254}|`[^`\x00-\x1f]{1,255}`)"
TABLE_NAME = re.compile(rf"{_TABLE_PART}\.{_TABLE_PART}\.[A-Za-z_][A-Za-z0-9_]{{0,254}}")
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")  # Secrets Manager's SecretId characters
_WAREHOUSE_ID = re.compile(r"[!#-\[\]-~]{1,64}")  # printable ASCII, no space, quote or backslash
_DATA_PREFIX = re.compile(r"[^/\x00-\x1f][^\x00-\x1f]{0,510}/")
# Printable ASCII but " and \, which JSON would escape: one byte a character in the state.
PRINTABLE_ASCII = r"^[ !#-\[\]-~]*$"
# A short word (hyperparameter names and values): bounds what the input puts into the state.
_Word = Annotated[str, StringConstraints(max_length=32, pattern=PRINTABLE_ASCII)]


def _json_bytes(limit: int) -> dict[str, int]:
    """`json_schema_extra` of a string a validator bounds: at most `limit` bytes of JSON."""
    return {"maxJsonBytes": limit}


class DatabricksSettings(_Strict):
    # Validated whichever generator runs: the state carries these strings through every step.
    secret_name: str | None = Field(
        None,
        description="Secrets Manager secret holding host + token (or client_id + client_secret)",
        json_schema_extra=_json_bytes(512 + 2),  # ASCII, ≤ 512 (_secret_name)
    )
    job_id: int | None = Field(None, ge=1, description="Id of the bundle's generation job")
    warehouse_id: str | None = Field(
        None, description="SQL warehouse that reads the generated pairs back", json_schema_extra=_json_bytes(64 + 2)
    )
    output_table: str = Field(
        "podium.default.qa_pairs",
        description="Table the job writes pairs to (catalog.schema.table)",
        json_schema_extra=_json_bytes(4 * 771 + 2),  # ≤ 771 characters, none a control one (TABLE_NAME)
    )

    @field_validator("secret_name")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value is not None and not _SECRET_NAME.fullmatch(value):
            raise ValueError(
                f"must be a Secrets Manager secret name: 1–512 letters, digits and /_+=.@- (got {_shown(value)})"
            )
        return value

    @field_validator("warehouse_id")
    @classmethod
    def _warehouse_id(cls, value: str | None) -> str | None:
        if value is not None and not _WAREHOUSE_ID.fullmatch(value):
            raise ValueError(
                f"must be a SQL warehouse id: 1–64 printable ASCII characters, no space (got {_shown(value)})"
            )
        return value

    @field_validator("output_table")
    @classmethod
    def _output_table(cls, value: str) -> str:
        if not TABLE_NAME.fullmatch(value):
            raise ValueError(
                f"{_shown(value)} is not a three-part table name catalog.schema.table made of letters, digits "
                "and underscores (catalog or schema may be put in `backquotes` if they need other characters; "
                "the table part may not)"
            )
        return value


def _shown(value: str, limit: int = 60) -> str:
    """A value quoted in a message, shortened: the message must stay small wherever it travels."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _shown_value(value: Any, limit: int = 80) -> str:
    """Any input value as a message shows it (its repr), shortened like _shown."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"


class ThroughputSettings(_Strict):
    enabled: bool = Field(
        False,
        description="Keep the promoted model serving: a provisioned throughput, or with deployment on_demand a custom "
        "model deployment",
    )
    model_units: int = Field(1, ge=1, le=100, description="Model units to buy (1–100); granted by AWS support first")
    commitment: Literal["OneMonth", "SixMonths"] | None = Field(
        None, description="None = no commitment: billed hourly, deletable at any time"
    )
    retire_previous: bool = Field(
        True,
        description="Delete the previous model's throughput on promotion",
        # Off keeps the previous throughput billing with no end: only the deployment may choose that.
        json_schema_extra=guard(Stricter.HIGHER),
    )
    ttl_hours: float = Field(
        4.0,
        gt=0,
        le=24 * 31,
        description="Hours a throughput (and custom model) may live unpromoted before the janitor deletes it; "
        "the budget counts the throughput for this long",
        json_schema_extra=guard(Stricter.LOWER),
    )
    evaluation_ttl_hours: float = Field(
        2.0,
        gt=0,
        le=24,
        description="Hours the throughput created for the evaluation only (throughput.enabled off) may live; "
        "its tag and its line in the budget both say this",
        json_schema_extra=guard(Stricter.LOWER),
    )


# Step Functions limits the poll bounds must respect. EXECUTION_TIMEOUT_SECONDS, POLL_LOOPS
# and EVENTS_PER_POLL are the ASL's own numbers; tests/workflow/test_definition.py keeps them equal.
EXECUTION_HISTORY_LIMIT = 25_000  # events a standard execution may have; beyond it, it fails uncatchably
EXECUTION_TIMEOUT_SECONDS = 604_800  # statemachine/finetune.asl.json TimeoutSeconds
POLL_LOOPS = 3  # Wait -> Check* -> Choice loops: generation, fine-tune, throughput
EVENTS_PER_POLL = 9  # Wait entered/exited 2 + Lambda task entered/scheduled/started/succeeded/exited 5 + Choice 2
EVENTS_OUTSIDE_POLLS = 450  # every other state once, each Task with all its retries, with room to spare
# A status check (or the throughput's creation) whose Lambda fails even after its Retry is looked at
# again (podium.workflow.errors.LOOK_AGAIN_ERRORS): Wait 2 + Task entered/scheduled/started/failed/exited
# 5 + 6 retries × 3 + Pass 2 + Choice 2. Counted as one burst of max_check_failures such rounds per loop.
EVENTS_PER_FAILED_CHECK = 29
LOOK_AGAIN_LOOPS = POLL_LOOPS + 1  # the three status checks, and CreateThroughput
_POLL_GROWTH = 0.1  # poll after about a tenth of the time already spent


class PollSettings(_Strict):
    min_seconds: int = Field(30, ge=1, le=3600, description="Shortest wait between status checks (s)")
    max_seconds: int = Field(600, ge=1, le=3600, description="Longest wait between status checks (s)")
    max_check_failures: int = Field(
        20,
        ge=1,
        le=100,  # 100 failed rounds in each of the 4 look-again loops stay under half the history limit
        description="Consecutive status checks that may fail transiently (throttling, a service hiccup) "
        "before the run gives up; each one waits and looks again instead of failing the run",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_seconds > self.max_seconds:
            raise ValueError("min_seconds must not exceed max_seconds")
        return self

    def interval(self, elapsed_seconds: float) -> int:
        """Seconds to wait before the next check: a tenth of the time spent, within [min, max].
        A job that has run an hour will not finish in the next thirty seconds, so the poll
        count grows only logarithmically until max_seconds."""
        wanted = int(max(elapsed_seconds, 0.0) * _POLL_GROWTH)
        return max(self.min_seconds, min(self.max_seconds, wanted))

    def worst_case_history_events(self, timeout_seconds: int = EXECUTION_TIMEOUT_SECONDS) -> int:
        """Most history events one execution can record before `timeout_seconds`.
        Intervals never shrink, so polls in a loop are a concave function of its duration and
        the loops together poll most when they share the timeout equally; Lambda time between
        polls only lowers the count."""
        share = timeout_seconds / POLL_LOOPS
        polls, elapsed = 0, 0.0
        while elapsed < share and polls <= EXECUTION_HISTORY_LIMIT:  # past the limit the exact count is moot
            elapsed += self.interval(elapsed)
            polls += 1
        failed_checks = LOOK_AGAIN_LOOPS * self.max_check_failures * EVENTS_PER_FAILED_CHECK
        return EVENTS_OUTSIDE_POLLS + POLL_LOOPS * (polls + 1) * EVENTS_PER_POLL + failed_checks

    def check_execution_history(self, timeout_seconds: int = EXECUTION_TIMEOUT_SECONDS) -> Self:
        """Refuse bounds that could push an execution past the 25,000-event history limit: that
        failure reaches no Catch, so Cleanup would never run. Names the smallest max that works."""
        events = self.worst_case_history_events(timeout_seconds)
        if events <= EXECUTION_HISTORY_LIMIT:
            return self
        low, high = self.max_seconds + 1, 3600  # more events the smaller max is: bisect for the smallest that fits
        while low < high:
            middle = (low + high) // 2
            fits = PollSettings(
                min_seconds=self.min_seconds, max_seconds=middle, max_check_failures=self.max_check_failures
            ).worst_case_history_events(timeout_seconds)
            low, high = (low, middle) if fits <= EXECUTION_HISTORY_LIMIT else (middle + 1, high)
        raise ConfigError(
            "poll.max_seconds",
            f"polling every {self.min_seconds}–{self.max_seconds} s could record more than Step Functions' "
            f"{EXECUTION_HISTORY_LIMIT:,} history events within the {timeout_seconds:,} s execution timeout "
            f"(worst case {events:,}; an execution that reaches the limit fails where no Catch sees it); "
            f"the smallest max_seconds that fits with min_seconds={self.min_seconds} is {low}",
        )


class PriceOverrides(_Strict):
    training_per_1k_tokens: float | None = Field(
        None, ge=0, description="USD per 1,000 training tokens; none = registry price"
    )
    storage_per_month: float | None = Field(None, ge=0, description="USD per custom model per month")
    throughput_per_unit_hour: float | None = Field(None, ge=0, description="USD per model unit per hour")
    on_demand_input_per_1k_tokens: float | None = Field(
        None, ge=0, description="USD per 1,000 input tokens asked on demand (deployment on_demand)"
    )
    on_demand_output_per_1k_tokens: float | None = Field(
        None, ge=0, description="USD per 1,000 output tokens answered on demand (deployment on_demand)"
    )


class GateSettings(_Strict):
    """What a new model must reach on the evaluation set to be promoted (fractions, 0–1)."""

    # Each threshold declares which way is stricter: an execution's input may only go that way.
    min_paraphrase_accuracy: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of trained facts, asked in unseen words, answered right",
        json_schema_extra=guard(Stricter.HIGHER),
    )
    min_gain_over_base: float = Field(
        0.1,
        ge=-1,
        le=1,
        description="Paraphrase accuracy the new model must add over the base model",
        json_schema_extra=guard(Stricter.HIGHER),
    )
    max_unseen_hallucination: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Largest share of untaught facts answered with a confident wrong value",
        json_schema_extra=guard(Stricter.LOWER),
    )
    max_loss_to_champion: float = Field(
        0.0,
        ge=0,
        le=1,
        description="How much lower than the active model's (the champion's) accuracy the new model's may be on "
        "the questions both were asked, judged by a paired one-sided 95% test (0 = not worse; 1 = no comparison)",
        json_schema_extra=guard(Stricter.LOWER),
    )


class RunSettings(_Strict):
    """Everything one run uses. Execution input is merged over the deployed defaults."""

    base_model: str = Field(
        DEFAULT_MODEL_ID,
        max_length=128,
        description="Bedrock fine-tuning model id (`podium models`); the stack's roles train and invoke the "
        "deployed one only, so an execution's input may not name another",
    )
    hyperparameters: dict[_Word, _Word | int | float] = Field(
        default_factory=dict,
        max_length=16,
        description="Bedrock hyperparameters, e.g. epochCount; unset ones take the model's default",
    )
    generator: Literal["builtin", "databricks"] = Field(
        "builtin", description="Where questions are made: in Lambda, or by the Databricks job (needs databricks_*)"
    )
    databricks: DatabricksSettings = Field(default_factory=DatabricksSettings)
    deployment: Literal["provisioned", "on_demand"] = Field(
        "provisioned",
        description="How the new model serves, for the evaluation and (throughput.enabled) after promotion: "
        "'provisioned' buys a provisioned throughput, billed by the hour; 'on_demand' creates a custom model "
        "deployment, billed per token, for the models and Regions AWS offers it (`podium models`: Nova Micro, "
        "Lite, Pro). The throughput settings' ttls and flags apply to either",
    )
    throughput: ThroughputSettings = Field(default_factory=ThroughputSettings)
    poll: PollSettings = Field(default_factory=PollSettings)
    budget_usd: float = Field(
        150.0,
        ge=0,
        description="Refuse to start a run whose estimate (training, a month of storage, the throughput for its "
        "longest life) is above this; the deployed value is the most any run may spend",
        json_schema_extra=guard(Stricter.LOWER),
    )
    prices: PriceOverrides = Field(default_factory=PriceOverrides)
    data_prefix: str = Field(
        "data/",
        description="Bucket prefix holding the source CSVs",
        json_schema_extra=_json_bytes(4 * 512 + 2),  # ≤ 512 characters, none a control one (_data_prefix)
    )
    dry_run: bool = Field(False, description="Stop after the dataset is built and validated")
    force: bool = Field(False, description="Train even when the dataset equals the active model's")
    recipe: Literal["deep", "mixed", "qa"] = Field(
        "deep",
        description="Dataset recipe: 'deep' teaches the facts teach_priorities puts first, each in five "
        "phrasings (short texts and questions), plus refusal rows; 'mixed' packs profiles (every fact, two "
        "phrasings) with Q&A rows; 'qa' makes one fact a row and leaves low-priority facts out under the row cap",
    )
    teach_priorities: list[TeachableRelation] = Field(
        default_factory=lambda: list(DEFAULT_TEACH_PRIORITIES),
        min_length=1,
        max_length=len(get_args(TeachableRelation)),  # each relation once: bounds the state (test_state_size)
        description="Relations the 'deep' recipe teaches, most important first: the row cap is spent in this "
        "order and a relation left off is not taught (event_sport is off: base models know it)",
    )
    evaluate: bool = Field(
        True,
        description="Ask the evaluation set of the new and the base model before promoting; without "
        "throughput.enabled a no-commitment throughput is created for the evaluation only",
    )
    gate: GateSettings = Field(default_factory=GateSettings)
    eval_concurrency: int = Field(16, ge=1, le=64, description="Questions asked at once during Evaluate")
    keep_discarded: bool = Field(False, description="Keep the throughput of a model the gate discards")

    @field_validator("data_prefix")
    @classmethod
    def _data_prefix(cls, value: str) -> str:
        # An empty prefix would read the whole bucket and name objects s3://bucket//...
        if not _DATA_PREFIX.fullmatch(value) or "//" in value or "/../" in f"/{value}":
            raise ValueError(
                f"must be a folder of the bucket such as 'data/': 2–512 characters ending in '/', not starting "
                f"with '/' (got {_shown(value)})"
            )
        return value

    @model_validator(mode="after")
    def _priorities_once(self) -> Self:
        repeated = sorted({r for r in self.teach_priorities if self.teach_priorities.count(r) > 1})
        if repeated:
            raise ValueError(f"teach_priorities names {', '.join(repeated)} more than once")
        return self

    def check_for_region(self, region: str) -> Self:
        """Cross-field rules that need the deployment region. Raises ConfigError naming the setting."""
        # On demand first: for a model that can never be deployed on demand, that is the fix to name
        # (the models that allow it), whatever else is wrong with the region.
        if self.deployment == "on_demand" and (problem := get_model(self.base_model).on_demand_problem(region)):
            raise ConfigError("deployment", f"on_demand is not offered for {self.base_model} in {region}: {problem}")
        model = get_model(self.base_model, region)
        problems = model.hyperparameter_problems(self.hyperparameters)
        if problems:
            raise ConfigError("hyperparameters", "; ".join(problems))
        if self.generator == "databricks":
            for name in ("secret_name", "job_id", "warehouse_id"):
                if getattr(self.databricks, name) in (None, ""):
                    raise ConfigError(
                        f"databricks.{name}",
                        "is required when generator is 'databricks' "
                        "(set it in cdk.json context or the execution input)",
                    )
        return self

    def merged(self, overrides: Mapping[str, Any]) -> "RunSettings":
        """These settings with `overrides` (possibly nested) laid over them, re-validated."""
        return parse_run_settings(_deep_merge(self.model_dump(), overrides))


class StackSettings(_Strict):
    """Deploy-time settings, read from cdk.json context (see `podium.config_context`)."""

    name_prefix: str = Field(
        "podium", pattern=r"^[a-z][a-z0-9-]{1,20}$", description="Stack name and prefix of every resource name"
    )
    region: str = Field("us-west-2", description="Deployment region; the base model must be fine-tunable there")
    retrain_schedule: str | None = Field(
        None, description="EventBridge schedule expression, e.g. 'rate(7 days)'; None = off"
    )
    retrain_on_upload: bool = Field(
        True, description="Start a run (over data_prefix) when an object lands under incoming/"
    )
    notification_email: str | None = Field(None, description="E-mail subscribed to run outcomes and alarms")
    log_retention_days: int = Field(30, description="Days the Lambda logs are kept (a CloudWatch period)")
    throughput_max_model_units: int = Field(
        DEFAULT_MAX_MODEL_UNITS,
        ge=1,
        le=100,
        description="Most model units an execution's input may ask for; more only from these deployed "
        "settings, with confirm_costly_throughput",
    )
    confirm_costly_throughput: bool = Field(
        False,
        description="Required for deployed defaults with a throughput commitment (OneMonth/SixMonths) or "
        "more than throughput_max_model_units model units",
    )
    janitor_schedule: str | None = Field(
        "rate(1 hour)",
        description="When the janitor looks for expired, never-promoted throughputs, deployments and models",
    )
    janitor_dry_run: bool = Field(False, description="The janitor reports what it would delete, and deletes nothing")
    defaults: RunSettings = Field(default_factory=RunSettings)


def _deep_merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict) and key != "hyperparameters":
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# Union members pydantic names in an error's location (hyperparameters values): not the user's words.
_UNION_MEMBERS = frozenset({"str", "int", "float", "bool", "constrained-str"})
_KIND_WORDS = {
    "bool_type": "must be true or false (a JSON boolean, without quotes)",
    "bool_parsing": "must be true or false (a JSON boolean, without quotes)",
    "int_type": "must be a whole number (a JSON number, without quotes)",
    "int_parsing": "must be a whole number (a JSON number, without quotes)",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number (a JSON number, without quotes)",
    "float_parsing": "must be a number (a JSON number, without quotes)",
    "string_type": "must be text (a JSON string, in quotes)",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "finite_number": "must be a finite number (1e999 and larger read as infinity)",
}
_BOUND_WORDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "greater_than": ("gt", "must be more than {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "less_than": ("lt", "must be less than {}"),
}


def _first_problem(error: ValidationError) -> ConfigError:
    """The first problem, in the settings' own words: the setting's dotted name, what it
    must be, and what it got (never pydantic's internal names)."""
    problems = error.errors()
    problem = problems[0]
    location = [str(p) for p in problem["loc"]]
    union = bool(location) and location[-1] in _UNION_MEMBERS
    if union:
        location = location[:-1]
        # A union member of the right type that broke a bound (too long, not finite) says more.
        bounded = [
            p
            for p in problems
            if [str(x) for x in p["loc"][:-1]] == location and not p["type"].endswith(("_type", "_parsing"))
        ]
        if bounded:
            problem, union = bounded[0], False
    setting = ".".join(location) or "input"
    kind = problem["type"]
    got = f", got {_shown_value(problem['input'])}" if "input" in problem and kind != "missing" else ""
    if kind == "extra_forbidden":
        return ConfigError(setting, "is not a known setting (check the spelling)")
    if union:
        message = "must be a number or text"
    elif kind in _KIND_WORDS:
        message = _KIND_WORDS[kind]
    elif kind in _BOUND_WORDS:
        key, words = _BOUND_WORDS[kind]
        bound = (problem.get("ctx") or {}).get(key)
        message = words.format(format(bound, "g") if isinstance(bound, float) else bound)
    elif kind in ("string_too_long", "too_long"):
        unit = "characters" if kind == "string_too_long" else "entries"
        message = f"must have at most {(problem.get('ctx') or {}).get('max_length')} {unit}"
        got = f", got {len(problem['input'])}" if hasattr(problem.get("input"), "__len__") else ""
    elif kind == "string_pattern_mismatch":
        pattern = (problem.get("ctx") or {}).get("pattern")
        plain = 'must be plain text: printable ASCII characters other than " and \\'
        message = plain if pattern == PRINTABLE_ASCII else f"must match the pattern {pattern}"
    elif kind == "literal_error":
        message = f"must be one of {(problem.get('ctx') or {}).get('expected')}"
    elif kind == "missing":
        message = "is required"
    elif kind == "value_error":  # our own validators' words
        message, got = str((problem.get("ctx") or {}).get("error") or problem["msg"]), ""
    else:
        message = problem["msg"]
        got = ""
    return ConfigError(setting, message + got)


def parse_run_settings(values: Mapping[str, Any]) -> RunSettings:
    """Validate a mapping into RunSettings; errors name the setting."""
    if not isinstance(values, Mapping):
        raise ConfigError("input", f"must be a JSON object, got {type(values).__name__}")
    try:
        return RunSettings.model_validate(dict(values))
    except ValidationError as error:
        raise _first_problem(error) from None


def parse_stack_settings(values: Mapping[str, Any]) -> StackSettings:
    try:
        settings = StackSettings.model_validate(dict(values))
    except ValidationError as error:
        raise _first_problem(error) from None
    settings.defaults.check_for_region(settings.region)
    settings.defaults.poll.check_execution_history()
    _check_costly_throughput_confirmed(settings)
    _check_janitor_enforces_ttl(settings)
    return settings


def creates_serving(settings: RunSettings) -> bool:
    """A run with these settings creates what serves the new model — a provisioned throughput, or
    with deployment on_demand a custom model deployment — to keep serving it, or to evaluate it (a
    dry run stops before any)."""
    return not settings.dry_run and (settings.throughput.enabled or settings.evaluate)


def creates_throughput(settings: RunSettings) -> bool:
    """A run with these settings creates a provisioned throughput (billed by the hour)."""
    return creates_serving(settings) and settings.deployment == "provisioned"


def _check_janitor_enforces_ttl(settings: StackSettings) -> None:
    """The budget counts a throughput for its time-to-live because the janitor deletes it then;
    without a janitor that deletes, nothing bounds what a throughput (or a deployment) a run could
    not delete costs."""
    if not creates_serving(settings.defaults):
        return
    made = (
        "a provisioned throughput"
        if settings.defaults.deployment == "provisioned"
        else "a custom model deployment (deployment on_demand)"
    )
    why = (
        f"runs create {made} (throughput_enabled, or evaluate: one for the evaluation only), and the budget "
        "counts it only for its ttl because the janitor deletes it then if a run could not"
    )
    if settings.janitor_schedule is None:
        raise ConfigError(
            "janitor_schedule",
            f"is off, but {why}; set janitor_schedule (e.g. 'rate(1 hour)'), or turn throughput_enabled and "
            "evaluate off",
        )
    if settings.janitor_dry_run:
        raise ConfigError(
            "janitor_dry_run",
            f"is on, so the janitor deletes nothing, but {why}; set janitor_dry_run to false, or turn "
            "throughput_enabled and evaluate off",
        )


@dataclass(frozen=True)
class Loosened:
    """A guard setting an execution's input moved the wrong way (see Stricter)."""

    setting: str  # dotted, as in the execution input: "gate.min_paraphrase_accuracy"
    deployed: Any
    asked: Any
    direction: Stricter

    def describe(self, deploy_key: str) -> str:
        """One sentence: what was asked, the deployed limit, and how to change that limit."""
        if isinstance(self.deployed, bool):
            moved = f"{str(self.asked).lower()} turns off what the deployment turns on"
            may = "turn it on, never off" if self.direction is Stricter.HIGHER else "turn it off, never on"
        else:
            way = "above" if self.direction is Stricter.LOWER else "below"
            moved = f"{self.asked:g} is {way} the deployed {self.deployed:g}"
            may = "lower it, never raise it" if self.direction is Stricter.LOWER else "raise it, never lower it"
        return (
            f"{self.setting}: {moved}; an execution's input may only {may}. To allow it, change "
            f"`{deploy_key}` in cdk.json (or `-c {deploy_key}=...`) and run `cdk deploy`"
        )


def loosened(deployed: BaseModel, asked: BaseModel, prefix: str = "") -> list[Loosened]:
    """Every guard field (declared with `guard(...)`) whose value in `asked` is looser than in
    `deployed`, nested models included: the general rule "an input may only tighten"."""
    found: list[Loosened] = []
    for name, field in type(deployed).model_fields.items():
        mine, theirs = getattr(deployed, name), getattr(asked, name)
        if isinstance(mine, BaseModel):
            found.extend(loosened(mine, theirs, f"{prefix}{name}."))
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if "stricter" not in extra:
            continue
        direction = Stricter(extra["stricter"])
        if (theirs > mine) if direction is Stricter.LOWER else (theirs < mine):
            found.append(Loosened(prefix + name, mine, theirs, direction))
    return found


def _check_costly_throughput_confirmed(settings: StackSettings) -> None:
    """A commitment, or more model units than an execution may ask for, only deliberately."""
    throughput = settings.defaults.throughput
    if settings.confirm_costly_throughput:
        return
    if throughput.commitment:
        raise ConfigError(
            "throughput_commitment",
            f"a {throughput.commitment} commitment bills every hour of its term and cannot be deleted "
            "before it ends; set confirm_costly_throughput to true as well to deploy it",
        )
    if throughput.model_units > settings.throughput_max_model_units:
        raise ConfigError(
            "throughput_model_units",
            f"{throughput.model_units} is above throughput_max_model_units "
            f"({settings.throughput_max_model_units}); raise that, or set confirm_costly_throughput to true",
        )
