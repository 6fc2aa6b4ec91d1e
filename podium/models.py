"""Registry of the Bedrock base models Podium can fine-tune.

Every fact here comes from `reference/bedrock.md` (AWS documentation, the botocore
service model and AWS's own dataset validator). Facts AWS does not state plainly are
marked `confirmed=False` and, like prices, can be overridden in configuration.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated

from pydantic import Field, StringConstraints

from podium.errors import ConfigError, UnsupportedModelError, cut_to_json_bytes


class DataFormat(str, enum.Enum):
    """Training-row formats (model-customization-prepare.html, "Prepare data for fine-tuning
    text-to-text models")."""

    PROMPT_COMPLETION = "prompt-completion"  # {"prompt": str, "completion": str}
    CONVERSATION = "bedrock-conversation-2024"  # schemaVersion, system [{"text"}], messages with [{"text"}]
    # Claude 3 Haiku's own: {"system": str, "messages": [{"role", "content": str}]}, alternating turns
    ANTHROPIC_MESSAGES = "anthropic-messages"

    @property
    def has_system_prompt(self) -> bool:
        """Rows of this format carry a system prompt, and the model is asked with it (Converse)."""
        return self is not DataFormat.PROMPT_COMPLETION


class Deployment(str, enum.Enum):
    """How a custom model of the base model can serve (model-customization-use.html)."""

    PROVISIONED_THROUGHPUT = "provisioned-throughput"  # billed per model unit and hour
    ON_DEMAND = "on-demand"  # a custom model deployment (CreateCustomModelDeployment), billed per token


# deploy-custom-model-on-demand.html ("Prerequisites", "Supported base models") and the Nova user
# guide's "On-demand inference on custom models" (custom-fine-tune-odi.html): a custom model of Amazon
# Nova Micro, Lite or Pro customized on or after 16 July 2025 can be deployed for on-demand inference,
# in US East (N. Virginia) and US West (Oregon) only, and is billed per input and output token.
ON_DEMAND_REGIONS = ("us-east-1", "us-west-2")
ON_DEMAND_CUSTOMIZED_SINCE = "2025-07-16"
ON_DEMAND_SOURCE = "deploy-custom-model-on-demand.html; Nova user guide, custom-fine-tune-odi.html"


@dataclass(frozen=True)
class HyperParameter:
    name: str
    kind: type  # int or float
    minimum: float
    maximum: float
    default: float
    confirmed: bool = True

    def check(self, value: object) -> str | None:
        """Return a problem description, or None when `value` is acceptable."""
        if isinstance(value, bool):
            return f"{self.name} must be a number, got {value!r}"
        try:
            number = float(value)  # Bedrock takes strings; accept "5" as well as 5
        except (TypeError, ValueError):
            return f"{self.name} must be a number, got {value!r}"
        if self.kind is int and not number.is_integer():
            return f"{self.name} must be a whole number, got {value!r}"
        if not self.minimum <= number <= self.maximum:
            return (
                f"{self.name}={value!r} is outside the allowed range "
                f"{self.render(self.minimum)}–{self.render(self.maximum)}"
            )
        return None

    def render(self, value: float) -> str:
        """Bedrock's hyperParameters map takes strings."""
        return str(int(value)) if self.kind is int else format(value, "g")


@dataclass(frozen=True)
class Prices:
    """Estimates only: the pricing page is not reachable when this was written."""

    training_per_1k_tokens: float  # USD per 1,000 tokens processed (tokens × epochs)
    storage_per_month: float  # USD per custom model per month
    throughput_per_unit_hour: float | None  # USD per model unit per hour, no commitment
    # USD per 1,000 input / output tokens asked on demand (a custom model deployment, and the base
    # model by its id); None where AWS offers no custom model deployment for the model
    on_demand_input_per_1k_tokens: float | None = None
    on_demand_output_per_1k_tokens: float | None = None
    source: str = "placeholder list price, unconfirmed; override with the `prices` setting (cdk.json, input, --prices)"


# Bedrock's customization quotas include "Sum of training and validation records" per model
# and job (AWS General Reference, Amazon Bedrock endpoints and quotas); they are per account
# and adjustable. When the account's values cannot be read, Podium keeps train + validation
# within this conservative default and says so in report.json.
DOCUMENTED_SUM_CAP = 10_000


NOTE_BYTES = 1_000


@dataclass(frozen=True)
class RowCaps:
    """Per-job record limits for one base model, as the run plans and validates against them."""

    train: int
    validation: int
    total: int  # training and validation records together
    epochs: int
    source: Annotated[str, StringConstraints(max_length=64)]  # "service-quotas", "...+documented", "documented"
    # where each value came from, or why the account's quotas were not read (cut to its bound:
    # it travels in every state of the run, which Step Functions caps)
    note: Annotated[str, Field(json_schema_extra={"maxJsonBytes": NOTE_BYTES})] = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "note", cut_to_json_bytes(self.note, NOTE_BYTES))

    def epochs_problem(self, epochs: float, model_id: str) -> str | None:
        """What is wrong with training `epochs` epochs under the epochs quota, or None."""
        if not epochs > self.epochs:
            return None
        return (
            f"epochCount={epochs:g} is over this account's quota of {self.epochs} epochs for {model_id} "
            f"({self.source}{': ' + self.note if self.note else ''})"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "train": self.train,
            "validation": self.validation,
            "total": self.total,
            "epochs": self.epochs,
            "source": self.source,
            "note": self.note,
        }


@dataclass(frozen=True)
class BaseModel:
    model_id: str  # the fine-tuning id, with its :128k-style suffix
    display_name: str
    provider: str
    regions: tuple[str, ...]
    data_format: DataFormat
    invocation_id: str  # the on-demand id the base model is invoked with
    max_train_rows: int
    max_validation_rows: int
    max_tokens_per_row: int
    min_train_rows: int
    hyperparameters: tuple[HyperParameter, ...]
    deployments: tuple[Deployment, ...]
    prices: Prices
    confirmed: bool = True
    notes: str = ""
    limits_source: str = ""  # where the row, token and hyperparameter limits come from
    # Words whose presence anywhere in a prompt makes the training job fail (Nova).
    reserved_words: tuple[str, ...] = ()
    # Training and validation records together, at least (Llama 3.x: 100, model-customization-prepare.html)
    min_total_rows: int = 0
    # A base model served on demand only through a cross-Region inference profile: invocation_id
    # is the profile's id ("us.…") and these are the Regions it routes to; IAM must allow the
    # profile and the foundation model in each (inference-profiles-support.html, -prereq.html).
    inference_profile_regions: tuple[str, ...] = ()

    @property
    def hyperparameter_names(self) -> tuple[str, ...]:
        return tuple(hp.name for hp in self.hyperparameters)

    @property
    def foundation_invocation_id(self) -> str:
        """The foundation model's on-demand id (the inference profile's without its geography prefix)."""
        if self.inference_profile_regions:
            return self.invocation_id.split(".", 1)[1]
        return self.invocation_id

    @property
    def needs_provisioned_throughput(self) -> bool:
        return Deployment.ON_DEMAND not in self.deployments

    @property
    def on_demand_regions(self) -> tuple[str, ...]:
        """Where a custom model of this base can be deployed for on-demand inference (none: nowhere)."""
        if Deployment.ON_DEMAND not in self.deployments:
            return ()
        return tuple(region for region in self.regions if region in ON_DEMAND_REGIONS)

    def on_demand_problem(self, region: str) -> str | None:
        """Why a custom model of this base cannot be deployed on demand in `region`, naming the models
        that allow it; None when it can."""
        if region in self.on_demand_regions:
            return None
        documented = (
            f"AWS offers it for Amazon Nova Micro, Lite and Pro custom models customized on or after "
            f"{ON_DEMAND_CUSTOMIZED_SINCE}, in {' and '.join(ON_DEMAND_REGIONS)} ({ON_DEMAND_SOURCE})"
        )
        if self.on_demand_regions:
            why = f"a {self.display_name} custom model can be deployed on demand in {', '.join(self.on_demand_regions)}"
            why += f" only, not {region}"
        else:
            why = f"a {self.display_name} custom model cannot be deployed on demand: it serves through provisioned"
            why += " throughput only"
        return f"{why}. {documented}. The models that allow it:\n{on_demand_models_text()}"

    def documented_caps(self, note: str = "") -> RowCaps:
        """The caps Podium assumes without the account's quotas: the registry's per-split
        limits, their sum within DOCUMENTED_SUM_CAP, and the epochCount maximum."""
        epochs = next((int(hp.maximum) for hp in self.hyperparameters if hp.name == "epochCount"), 1)
        return RowCaps(
            train=self.max_train_rows,
            validation=self.max_validation_rows,
            total=min(DOCUMENTED_SUM_CAP, self.max_train_rows + self.max_validation_rows),
            epochs=epochs,
            source="documented",
            note=note,
        )

    def default_hyperparameters(self) -> dict[str, str]:
        return {hp.name: hp.render(hp.default) for hp in self.hyperparameters}

    def hyperparameter_problems(self, values: Mapping[str, object]) -> list[str]:
        """Every problem with `values` for this model; an empty list means valid."""
        known = {hp.name: hp for hp in self.hyperparameters}
        problems = []
        for name, value in values.items():
            spec = known.get(name)
            if spec is None:
                problems.append(f"{name} is not a hyperparameter of {self.model_id} (it takes {', '.join(known)})")
            elif (problem := spec.check(value)) is not None:
                problems.append(problem)
        return problems

    def resolve_hyperparameters(self, values: Mapping[str, object] | None = None) -> dict[str, str]:
        """Defaults overlaid with `values`, as the strings Bedrock expects. Raises on any problem."""
        values = dict(values or {})
        problems = self.hyperparameter_problems(values)
        if problems:
            raise ConfigError("hyperparameters", "; ".join(problems))
        merged = self.default_hyperparameters()
        known = {hp.name: hp for hp in self.hyperparameters}
        merged.update({name: known[name].render(float(v)) for name, v in values.items()})
        return merged


def _llama_hyperparameters(confirmed: bool = True) -> tuple[HyperParameter, ...]:
    # cm-hp-meta-llama31.html and cm-hp-meta-llama32.html (the same table): batchSize is fixed at 1;
    # there is no lrScheduler or warmup. No page found for Llama 3.3: assumed the same, unconfirmed.
    return (
        HyperParameter("epochCount", int, 1, 10, 5, confirmed),
        HyperParameter("batchSize", int, 1, 1, 1, confirmed),
        HyperParameter("learningRate", float, 5e-6, 0.1, 1e-4, confirmed),
    )


def _nova_hyperparameters() -> tuple[HyperParameter, ...]:
    # cm-hp-nova-mm.html
    return (
        HyperParameter("epochCount", int, 1, 5, 2),
        HyperParameter("learningRate", float, 1e-6, 1e-4, 1e-5),
        HyperParameter("learningRateWarmupSteps", int, 0, 100, 10),
    )


def _haiku_hyperparameters() -> tuple[HyperParameter, ...]:
    # cm-hp-anth-claude-3.html ("Anthropic Claude 3 model customization hyperparameters")
    return (
        HyperParameter("epochCount", int, 1, 10, 2),
        HyperParameter("batchSize", int, 4, 256, 32),
        HyperParameter("learningRateMultiplier", float, 0.1, 2.0, 1.0),
        HyperParameter("earlyStoppingThreshold", float, 0.0, 0.1, 0.001),
        HyperParameter("earlyStoppingPatience", int, 1, 10, 2),
    )


# fine-tune-prepare-data-understanding.html (Nova user guide, item 12): "User:", "Bot:",
# "Assistant:", "System:", "<image>", "<video>" and "[EOS]" are reserved keywords; a
# prompt that starts with or contains one fails the training job with a data problem.
# AWS's own Nova dataset validator (aws-samples/amazon-nova-samples) matches them
# case-insensitively in every text, which Podium's validator follows.
NOVA_RESERVED_WORDS: tuple[str, ...] = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")

# model-customization-prepare.html, "Model requirements for training and validation datasets": Llama
# 3.1, 3.2 and 3.3 take 100 to 10,000 training and validation records together (the maximum adjustable
# in Service Quotas) and 16,000 input + output tokens a record (10,000 for Llama 3.2 90B).
LLAMA_MIN_TOTAL_ROWS = 100
_LLAMA_LIMITS = (
    "100–10,000 training + validation records and the tokens a record: model-customization-prepare.html "
    "(Model requirements); 10,000 training / 1,000 validation records a file: AWS's Llama dataset validator "
    "(aws-samples/amazon-bedrock-samples, custom-models/bedrock-fine-tuning/meta-llama/dataset_validation, "
    "Llama 3.1 and 3.2); hyperparameters: {hyperparameters}; the account's Service Quotas, when readable, "
    "override the row caps"
)
_NOVA_LIMITS = (
    "hyperparameters: cm-hp-nova-mm.html; training records: AWS's Nova dataset validator (aws-samples/"
    "amazon-nova-samples, 8–20,000 samples); validation cap (1,000) and token cap (32,000) unconfirmed; "
    "reserved words: fine-tune-prepare-data-understanding.html; "
    "the account's Service Quotas, when readable, override the row caps"
)

_US_WEST_2 = ("us-west-2",)
_US_EAST_1 = ("us-east-1",)


def _llama(
    model_id: str,
    name: str,
    invocation_id: str,
    data_format: DataFormat,
    prices: Prices,
    *,
    max_tokens: int = 16_000,
    deployments: tuple[Deployment, ...] = (Deployment.PROVISIONED_THROUGHPUT,),
    confirmed: bool = True,
    notes: str = "",
    inference_profile_regions: tuple[str, ...] = (),
    hyperparameters_source: str = "cm-hp-meta-llama31.html",
) -> BaseModel:
    return BaseModel(
        model_id=model_id,
        display_name=name,
        provider="Meta",
        regions=_US_WEST_2,
        data_format=data_format,
        invocation_id=invocation_id,
        max_train_rows=10_000,
        max_validation_rows=1_000,
        max_tokens_per_row=max_tokens,
        min_train_rows=1,
        min_total_rows=LLAMA_MIN_TOTAL_ROWS,
        hyperparameters=_llama_hyperparameters(confirmed),
        deployments=deployments,
        prices=prices,
        confirmed=confirmed,
        notes=notes,
        limits_source=_LLAMA_LIMITS.format(hyperparameters=hyperparameters_source)
        + ("; 10K tokens a row for 90B" if max_tokens != 16_000 else ""),
        inference_profile_regions=inference_profile_regions,
    )


def _nova(model_id: str, name: str, invocation_id: str, prices: Prices) -> BaseModel:
    return BaseModel(
        model_id=model_id,
        display_name=name,
        provider="Amazon",
        regions=_US_EAST_1,
        data_format=DataFormat.CONVERSATION,
        invocation_id=invocation_id,
        max_train_rows=20_000,
        max_validation_rows=1_000,
        max_tokens_per_row=32_000,
        min_train_rows=8,
        hyperparameters=_nova_hyperparameters(),
        deployments=(Deployment.ON_DEMAND, Deployment.PROVISIONED_THROUGHPUT),
        prices=prices,
        confirmed=False,
        notes=(
            "Training records 8–20,000 from AWS's Nova dataset validator; the validation cap (1,000) and the "
            "token cap (32,000) unconfirmed; hyperparameters from cm-hp-nova-mm.html."
        ),
        limits_source=_NOVA_LIMITS,
        reserved_words=NOVA_RESERVED_WORDS,
    )


# On demand, Llama 3.2 and 3.3 are served only through the US cross-Region inference profiles
# (inference-profiles-support.html), which route to these Regions.
_LLAMA_32_PROFILE = ("us-east-1", "us-west-2")
_LLAMA_33_PROFILE = ("us-east-1", "us-east-2", "us-west-2")

_MODELS: tuple[BaseModel, ...] = (
    _llama(
        "meta.llama3-1-8b-instruct-v1:0:128k",
        "Llama 3.1 8B Instruct",
        "meta.llama3-1-8b-instruct-v1:0",
        DataFormat.PROMPT_COMPLETION,
        Prices(0.00149, 1.95, 24.0),
    ),
    _llama(
        "meta.llama3-1-70b-instruct-v1:0:128k",
        "Llama 3.1 70B Instruct",
        "meta.llama3-1-70b-instruct-v1:0",
        DataFormat.PROMPT_COMPLETION,
        Prices(0.00799, 1.95, 48.0),
    ),
    _llama(
        "meta.llama3-2-1b-instruct-v1:0:128k",
        "Llama 3.2 1B Instruct",
        "us.meta.llama3-2-1b-instruct-v1:0",
        DataFormat.CONVERSATION,
        Prices(0.0005, 1.95, 24.0),
        inference_profile_regions=_LLAMA_32_PROFILE,
        hyperparameters_source="cm-hp-meta-llama32.html",
    ),
    _llama(
        "meta.llama3-2-3b-instruct-v1:0:128k",
        "Llama 3.2 3B Instruct",
        "us.meta.llama3-2-3b-instruct-v1:0",
        DataFormat.CONVERSATION,
        Prices(0.0008, 1.95, 24.0),
        inference_profile_regions=_LLAMA_32_PROFILE,
        hyperparameters_source="cm-hp-meta-llama32.html",
    ),
    _llama(
        "meta.llama3-2-11b-instruct-v1:0:128k",
        "Llama 3.2 11B Vision Instruct",
        "us.meta.llama3-2-11b-instruct-v1:0",
        DataFormat.CONVERSATION,
        Prices(0.0022, 1.95, 24.0),
        inference_profile_regions=_LLAMA_32_PROFILE,
        hyperparameters_source="cm-hp-meta-llama32.html",
    ),
    _llama(
        "meta.llama3-2-90b-instruct-v1:0:128k",
        "Llama 3.2 90B Vision Instruct",
        "us.meta.llama3-2-90b-instruct-v1:0",
        DataFormat.CONVERSATION,
        Prices(0.0104, 1.95, 48.0),
        max_tokens=10_000,
        inference_profile_regions=_LLAMA_32_PROFILE,
        hyperparameters_source="cm-hp-meta-llama32.html",
    ),
    _llama(
        "meta.llama3-3-70b-instruct-v1:0:128k",
        "Llama 3.3 70B Instruct",
        "us.meta.llama3-3-70b-instruct-v1:0",
        DataFormat.CONVERSATION,
        Prices(0.00799, 1.95, 48.0),
        confirmed=False,
        notes=(
            "Converse API format and 100–10,000 records: model-customization-prepare.html; hyperparameters and "
            "the per-file caps (10,000 training / 1,000 validation) assumed Llama 3.2's, unconfirmed."
        ),
        inference_profile_regions=_LLAMA_33_PROFILE,
        hyperparameters_source="no page found; assumed Llama 3.2's (unconfirmed)",
    ),
    BaseModel(
        model_id="anthropic.claude-3-haiku-20240307-v1:0:200k",
        display_name="Claude 3 Haiku",
        provider="Anthropic",
        regions=_US_WEST_2,
        # model-customization-prepare.html, "Anthropic Claude 3 Haiku: Single-turn conversations"
        data_format=DataFormat.ANTHROPIC_MESSAGES,
        invocation_id="anthropic.claude-3-haiku-20240307-v1:0",
        max_train_rows=10_000,
        max_validation_rows=1_000,
        max_tokens_per_row=32_000,
        min_train_rows=32,
        hyperparameters=_haiku_hyperparameters(),
        deployments=(Deployment.PROVISIONED_THROUGHPUT,),
        prices=Prices(0.004, 1.95, 40.0),
        limits_source=(
            "format, 32–10,000 training records, 1,000 validation, 10,000 together and 32,000 tokens a record: "
            "model-customization-prepare.html (Model requirements); hyperparameters: cm-hp-anth-claude-3.html; "
            "the account's Service Quotas, when readable, override the row caps"
        ),
    ),
    # On-demand prices per 1,000 input / output tokens: the base models' list prices, assumed for their
    # custom model deployments too (placeholders, like every price here).
    _nova(
        "amazon.nova-micro-v1:0:128k",
        "Nova Micro",
        "amazon.nova-micro-v1:0",
        Prices(0.001, 1.95, 20.0, 0.000035, 0.00014),
    ),
    _nova(
        "amazon.nova-lite-v1:0:300k",
        "Nova Lite",
        "amazon.nova-lite-v1:0",
        Prices(0.002, 1.95, 20.0, 0.00006, 0.00024),
    ),
    _nova(
        "amazon.nova-pro-v1:0:300k",
        "Nova Pro",
        "amazon.nova-pro-v1:0",
        Prices(0.008, 1.95, 40.0, 0.0008, 0.0032),
    ),
    # custom-model-fine-tuning.html lists Nova 2 Lite (amazon.nova-2-lite-v1:0:256k, us-east-1) for
    # fine-tuning; its data is the Converse (bedrock-conversation-2024) format of Nova 1 with optional
    # reasoning content (nova-2-sft-data-prep.html), which Podium does not write.
    BaseModel(
        model_id="amazon.nova-2-lite-v1:0:256k",
        display_name="Nova 2 Lite",
        provider="Amazon",
        regions=_US_EAST_1,
        data_format=DataFormat.CONVERSATION,
        # served on demand through the US cross-Region inference profile (inference-profiles-support.html)
        invocation_id="us.amazon.nova-2-lite-v1:0",
        inference_profile_regions=("us-east-1", "us-east-2", "us-west-2"),
        max_train_rows=20_000,
        max_validation_rows=1_000,
        max_tokens_per_row=32_000,
        min_train_rows=200,
        hyperparameters=tuple(
            HyperParameter(hp.name, hp.kind, hp.minimum, hp.maximum, hp.default, confirmed=False)
            for hp in _nova_hyperparameters()
        ),
        # deploy-custom-model-on-demand.html names Nova Micro, Lite and Pro only
        deployments=(Deployment.PROVISIONED_THROUGHPUT,),
        prices=Prices(0.003, 1.95, 20.0),
        confirmed=False,
        notes=(
            "Id and region from custom-model-fine-tuning.html; hyperparameters assumed to be Nova 1's "
            "(cm-hp-nova-mm.html names only Micro, Lite and Pro); validation cap and token cap unconfirmed."
        ),
        limits_source=(
            "rows: AWS's Nova dataset validator (aws-samples/amazon-nova-samples, lite-2.0 SFT: 200–20,000 samples); "
            "hyperparameters: cm-hp-nova-mm.html, assumed for Nova 2 (unconfirmed); reserved words: "
            "fine-tune-prepare-data-understanding.html; the account's Service Quotas, when readable, override the "
            "row caps"
        ),
        reserved_words=NOVA_RESERVED_WORDS,
    ),
)

MODELS: Mapping[str, BaseModel] = MappingProxyType({m.model_id: m for m in _MODELS})

# Ids people reach for that Bedrock refuses to fine-tune, with what to use instead.
_NOT_CUSTOMIZABLE = MappingProxyType(
    {
        "meta.llama3-8b-instruct-v1:0": (
            "Llama 3 8B cannot be fine-tuned on Bedrock; "
            "use meta.llama3-1-8b-instruct-v1:0:128k (Llama 3.1 8B Instruct, us-west-2)"
        ),
        "meta.llama3-70b-instruct-v1:0": (
            "Llama 3 70B cannot be fine-tuned on Bedrock; use meta.llama3-1-70b-instruct-v1:0:128k (us-west-2)"
        ),
    }
)

DEFAULT_MODEL_ID = "meta.llama3-1-8b-instruct-v1:0:128k"


def on_demand_models_text() -> str:
    """The models whose custom models can be deployed on demand, one a line with their Regions."""
    return "\n".join(
        f"  {m.model_id}  ({m.display_name}; {', '.join(m.on_demand_regions)})"
        for m in MODELS.values()
        if m.on_demand_regions
    )


def supported_models_text() -> str:
    return "\n".join(
        f"  {m.model_id}  ({m.display_name}; {', '.join(m.regions)}; {m.data_format.value})" for m in MODELS.values()
    )


def get_model(model_id: str, region: str | None = None) -> BaseModel:
    """Look up a fine-tunable model, optionally checking the region. Errors list what is supported."""
    model = MODELS.get(model_id)
    if model is None:
        invocation_match = next(
            (m for m in MODELS.values() if model_id in (m.invocation_id, m.foundation_invocation_id)), None
        )
        if model_id in _NOT_CUSTOMIZABLE:
            reason = _NOT_CUSTOMIZABLE[model_id]
        elif invocation_match is not None:
            reason = f"{model_id} is the on-demand invocation id; fine-tuning uses {invocation_match.model_id}"
        else:
            reason = f"{model_id!r} is not a Bedrock model that can be fine-tuned"
        raise UnsupportedModelError("base_model", f"{reason}. Supported models:\n{supported_models_text()}")
    if region is not None and region not in model.regions:
        raise UnsupportedModelError(
            "region",
            f"{model_id} can be fine-tuned only in {', '.join(model.regions)}, not {region}. "
            f"Deploy to {model.regions[0]} or choose a model offered in {region}:\n"
            + ("\n".join(f"  {m.model_id}" for m in MODELS.values() if region in m.regions) or "  (none)"),
        )
    return model


__all__ = [
    "DEFAULT_MODEL_ID",
    "MODELS",
    "BaseModel",
    "DataFormat",
    "Deployment",
    "DOCUMENTED_SUM_CAP",
    "NOVA_RESERVED_WORDS",
    "ON_DEMAND_CUSTOMIZED_SINCE",
    "ON_DEMAND_REGIONS",
    "RowCaps",
    "HyperParameter",
    "Prices",
    "get_model",
    "on_demand_models_text",
    "supported_models_text",
]
