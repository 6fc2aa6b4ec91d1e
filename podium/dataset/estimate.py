"""Cost estimate for a run, every figure labelled as an ESTIMATE with its price's source.

Bedrock bills training per token processed (tokens × epochs), a monthly fee per stored
custom model, and provisioned throughput per model unit per hour until it is deleted — or,
for a custom model deployment (deployment on_demand), per input and output token asked of it,
with no hourly charge. `run_usd` — what the budget is compared with — is everything a run can
make billable: training, the first month of storage, the throughput for its longest life (its
time-to-live, or the whole commitment term), and any line a later step adds with `with_line`
(an evaluation's short-lived throughput, or its questions asked on demand).
Token counts come from tokens.cost_tokens (4 characters a token, above AWS's 6-character
rule of thumb, so the estimate leans high). Validation tokens are counted as billed too:
AWS does not say they are free, and over-estimating is the safer mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from podium.config import PriceOverrides, ThroughputSettings
from podium.dataset.tokens import CHARS_PER_TOKEN_FOR_COST
from podium.models import BaseModel, Prices

HOURS_PER_MONTH = 730  # AWS's convention for monthly prices
OVERRIDE_SOURCE = "override from the `prices` setting"
COMMITMENT_MONTHS = {"OneMonth": 1, "SixMonths": 6}


def throughput_lifetime_hours(throughput: ThroughputSettings) -> float:
    """The longest a run's throughput can bill: the whole commitment term (it cannot be
    deleted before), else its time-to-live (the janitor deletes it then unless promoted)."""
    if throughput.commitment:
        return COMMITMENT_MONTHS[throughput.commitment] * HOURS_PER_MONTH
    return throughput.ttl_hours


@dataclass(frozen=True)
class CostLine:
    """One more billable item of a run, counted in `run_usd` (say ESTIMATE and the price source in `text`)."""

    name: str
    usd: float
    text: str


@dataclass(frozen=True)
class CostEstimate:
    model_id: str
    train_tokens: int  # one pass over train.jsonl
    validation_tokens: int
    epochs: int
    training_usd: float
    storage_usd_per_month: float
    throughput_usd_per_hour: float | None  # for `model_units` units; None when the price is unknown
    throughput_enabled: bool
    model_units: int
    sources: dict[str, str]  # figure → where its price came from
    throughput_hours: float = 0.0  # the throughput's longest life (throughput_lifetime_hours)
    extra: tuple[CostLine, ...] = ()  # lines later steps add (with_line)
    # "on_demand": the model serves through a custom model deployment, billed per token (no
    # throughput, no hourly line); these are its prices per 1,000 input / output tokens
    deployment: str = "provisioned"
    on_demand_input_per_1k_tokens: float | None = None
    on_demand_output_per_1k_tokens: float | None = None

    @property
    def tokens_billed(self) -> int:
        return (self.train_tokens + self.validation_tokens) * self.epochs

    @property
    def on_demand(self) -> bool:
        return self.deployment == "on_demand"

    @property
    def throughput_price_unknown(self) -> bool:
        return self.throughput_enabled and self.throughput_usd_per_hour is None

    @property
    def on_demand_price_unknown(self) -> bool:
        return self.on_demand and None in (self.on_demand_input_per_1k_tokens, self.on_demand_output_per_1k_tokens)

    @property
    def price_unknown(self) -> bool:
        """A price the budget needs is unknown, so the budget cannot be checked."""
        return self.throughput_price_unknown or self.on_demand_price_unknown

    @property
    def throughput_usd(self) -> float:
        """The throughput for its whole possible life; 0 when the run creates none."""
        if not self.throughput_enabled or self.throughput_usd_per_hour is None:
            return 0.0
        return self.throughput_usd_per_hour * self.throughput_hours

    @property
    def run_usd(self) -> float:
        """Everything starting this run can make billable: training, the first month of
        storage, the throughput for its longest life, and every added line."""
        return self.training_usd + self.storage_usd_per_month + self.throughput_usd + sum(x.usd for x in self.extra)

    def with_line(self, line: CostLine) -> CostEstimate:
        """This estimate with one more billable line (counted in run_usd and listed in lines())."""
        return replace(self, extra=(*self.extra, line))

    def lines(self) -> list[str]:
        """Human-readable lines; each says it is an estimate and where the price is from."""
        lines = [
            (
                f"ESTIMATE training: {self.tokens_billed:,} tokens "
                f"(({self.train_tokens:,} train + {self.validation_tokens:,} validation) × {self.epochs} epochs, "
                f"~{CHARS_PER_TOKEN_FOR_COST} characters a token) ≈ ${self.training_usd:,.2f} "
                f"[price: {self.sources['training']}]"
            ),
            (
                f"ESTIMATE model storage: ≈ ${self.storage_usd_per_month:,.2f} a month while the custom "
                f"model exists [price: {self.sources['storage']}]"
            ),
        ]
        if self.on_demand:
            lines.append(self._on_demand_line())
        elif self.throughput_usd_per_hour is None:
            lines.append("ESTIMATE provisioned throughput: price unknown — set prices.throughput_per_unit_hour")
        else:
            state = "enabled" if self.throughput_enabled else "not enabled for this run"
            lifetime = (
                f"; counted for its longest life, {self.throughput_hours:,g} h ≈ ${self.throughput_usd:,.2f}"
                if self.throughput_enabled
                else ""
            )
            lines.append(
                f"ESTIMATE provisioned throughput ({state}): ≈ ${self.throughput_usd_per_hour:,.2f} an hour for "
                f"{self.model_units} model unit(s), ≈ ${self.throughput_usd_per_hour * HOURS_PER_MONTH:,.0f} a "
                f"month, billed until deleted{lifetime} [price: {self.sources['throughput']}]"
            )
        lines.extend(line.text for line in self.extra)
        return lines

    def _on_demand_line(self) -> str:
        if self.on_demand_price_unknown:
            return (
                "ESTIMATE on-demand serving (custom model deployment): price unknown — set "
                "prices.on_demand_input_per_1k_tokens and prices.on_demand_output_per_1k_tokens"
            )
        return (
            f"ESTIMATE on-demand serving (custom model deployment): per token only, nothing while idle — "
            f"≈ {token_dollars(self.on_demand_input_per_1k_tokens)} per 1,000 input and "
            f"{token_dollars(self.on_demand_output_per_1k_tokens)} per 1,000 output tokens "
            f"[price: {self.sources['on_demand']}]"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": "ESTIMATE — prices are list prices Podium cannot confirm; check the AWS pricing page",
            "model_id": self.model_id,
            "train_tokens": self.train_tokens,
            "validation_tokens": self.validation_tokens,
            "epochs": self.epochs,
            "tokens_billed": self.tokens_billed,
            "training_usd": round(self.training_usd, 4),
            "storage_usd_per_month": round(self.storage_usd_per_month, 4),
            "throughput_usd_per_hour": (
                None if self.throughput_usd_per_hour is None else round(self.throughput_usd_per_hour, 4)
            ),
            "throughput_enabled": self.throughput_enabled,
            "model_units": self.model_units,
            "throughput_hours": self.throughput_hours,
            "throughput_usd": round(self.throughput_usd, 4),
            "extra": [{"name": x.name, "usd": round(x.usd, 4), "text": x.text} for x in self.extra],
            "deployment": self.deployment,
            "on_demand_input_per_1k_tokens": self.on_demand_input_per_1k_tokens,
            "on_demand_output_per_1k_tokens": self.on_demand_output_per_1k_tokens,
            "run_usd": round(self.run_usd, 4),
            "sources": dict(self.sources),
            "lines": self.lines(),
        }


def token_dollars(amount: float | None) -> str:
    """A token price as people write it: $0.00006, not $6e-05."""
    return "$" + f"{amount or 0.0:.8f}".rstrip("0").rstrip(".")


def evaluation_only_hours(throughput: ThroughputSettings) -> float:
    """The longest the throughput made for the evaluation only can bill: its own time-to-live
    (the tag the janitor reads says the same, and the run stops using it then)."""
    return throughput.evaluation_ttl_hours


def evaluation_line(estimate: CostEstimate, hours: float) -> CostLine:
    """The throughput a run creates for its evaluation only (`evaluate` on, serving throughput off),
    counted for its whole time-to-live `hours` (evaluation_only_hours)."""
    usd = (estimate.throughput_usd_per_hour or 0.0) * hours
    price = "unknown — set prices.throughput_per_unit_hour" if estimate.throughput_usd_per_hour is None else ""
    return CostLine(
        "evaluation",
        usd,
        f"ESTIMATE evaluation: ≈ ${usd:,.2f} for {hours:,g} h (its time-to-live) of a no-commitment provisioned "
        f"throughput ({estimate.model_units} model unit(s)) created for the evaluation only and deleted once scored "
        f"[price: {price or estimate.sources['throughput']}]",
    )


def on_demand_evaluation_line(
    estimate: CostEstimate, *, questions: int, input_tokens: int, answer_tokens: int
) -> CostLine:
    """The evaluation asked on demand (deployment on_demand): every question of the new model through
    its custom model deployment and of the base model by its id, `input_tokens` the questions' prompts
    together and `answer_tokens` the longest answer each may get, at the on-demand token prices."""
    asked, answered = 2 * input_tokens, 2 * questions * answer_tokens  # the new model and the base model
    if estimate.on_demand_price_unknown:
        return CostLine(
            "evaluation",
            0.0,
            "ESTIMATE evaluation on demand: price unknown — set prices.on_demand_input_per_1k_tokens and "
            "prices.on_demand_output_per_1k_tokens",
        )
    usd = asked / 1000 * (estimate.on_demand_input_per_1k_tokens or 0.0) + answered / 1000 * (
        estimate.on_demand_output_per_1k_tokens or 0.0
    )
    return CostLine(
        "evaluation",
        usd,
        f"ESTIMATE evaluation on demand: ≈ ${usd:,.2f} for {questions:,} questions asked of the new model (through "
        f"its custom model deployment) and of the base model — {asked:,} input tokens and at most {answered:,} "
        f"output tokens ({answer_tokens} an answer); the deployment is deleted once scored unless it serves "
        f"[price: {estimate.sources['on_demand']}]",
    )


def effective_prices(prices: Prices, overrides: PriceOverrides | None) -> tuple[Prices, dict[str, str]]:
    """The registry's prices with any configured overrides laid over them, and each one's source
    (the two on-demand token prices share the source "on_demand")."""
    overrides = overrides or PriceOverrides()
    pairs = {
        "training": (("training_per_1k_tokens", overrides.training_per_1k_tokens),),
        "storage": (("storage_per_month", overrides.storage_per_month),),
        "throughput": (("throughput_per_unit_hour", overrides.throughput_per_unit_hour),),
        "on_demand": (
            ("on_demand_input_per_1k_tokens", overrides.on_demand_input_per_1k_tokens),
            ("on_demand_output_per_1k_tokens", overrides.on_demand_output_per_1k_tokens),
        ),
    }
    values = {}
    sources = {}
    for figure, members in pairs.items():
        overridden = False
        for attribute, override in members:
            if override is not None:
                values[attribute], overridden = override, True
            else:
                values[attribute] = getattr(prices, attribute)
        sources[figure] = OVERRIDE_SOURCE if overridden else prices.source
    return Prices(**values, source=prices.source), sources


def estimate_cost(
    model: BaseModel,
    *,
    train_tokens: int,
    validation_tokens: int = 0,
    epochs: int,
    prices: PriceOverrides | None = None,
    throughput_enabled: bool = False,
    model_units: int = 1,
    throughput_hours: float = 0.0,
    deployment: str = "provisioned",
) -> CostEstimate:
    """`deployment` "on_demand": no throughput line (throughput_enabled is then ignored)."""
    effective, sources = effective_prices(model.prices, prices)
    billed = (train_tokens + validation_tokens) * epochs
    per_hour = None if effective.throughput_per_unit_hour is None else effective.throughput_per_unit_hour * model_units
    if deployment == "on_demand":
        per_hour = None  # nothing of this run bills by the hour
    return CostEstimate(
        model_id=model.model_id,
        train_tokens=train_tokens,
        validation_tokens=validation_tokens,
        epochs=epochs,
        training_usd=billed / 1000 * effective.training_per_1k_tokens,
        storage_usd_per_month=effective.storage_per_month,
        throughput_usd_per_hour=per_hour,
        throughput_enabled=throughput_enabled and deployment == "provisioned",
        model_units=model_units,
        sources=sources,
        throughput_hours=throughput_hours,
        deployment=deployment,
        on_demand_input_per_1k_tokens=effective.on_demand_input_per_1k_tokens,
        on_demand_output_per_1k_tokens=effective.on_demand_output_per_1k_tokens,
    )


__all__ = [
    "HOURS_PER_MONTH",
    "CostEstimate",
    "CostLine",
    "effective_prices",
    "estimate_cost",
    "evaluation_line",
    "evaluation_only_hours",
    "on_demand_evaluation_line",
    "throughput_lifetime_hours",
    "token_dollars",
]
