"""What a run leaves billing, as its report and its notification say it: every provisioned
throughput (billed per model unit and hour) and custom model deployment (billed per token asked,
nothing while idle) it knows of that still exists, what each costs, and when the janitor deletes
one the run left behind. Its own module, so the Report step (podium.workflow.conclude) stays one
concern: both kinds are said alike, each with its own way of billing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from podium.adapters.ports import ServingKind
from podium.workflow.events import LeftBilling, ReportEvent
from podium.workflow.polling import as_utc

_SERVING_KINDS = frozenset(kind.value for kind in ServingKind)
_DEPLOYMENT = ServingKind.CUSTOM_MODEL_DEPLOYMENT


def when(value: str | datetime) -> str:
    """A moment as people read it: 2026-12-02 19:42:08 UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def left_billing(event: ReportEvent) -> list[LeftBilling]:
    """What the steps said the run leaves billing (ScoreEvaluation, Promote, Cleanup), each once."""
    found: dict[str, LeftBilling] = {}
    for part in (event.gate, event.outcome):
        for item in part.left_billing if part is not None else ():
            found.setdefault(item.arn, item)
    for raw in (event.failure or {}).get("left_billing") or []:
        try:
            item = LeftBilling.model_validate(raw)
        except ValueError:  # CleanupFailed's $.failure is not Cleanup's summary: nothing to add
            continue
        found.setdefault(item.arn, item)
    return list(found.values())


def janitor_note(deletes_at: str | None) -> str:
    """When the janitor deletes a resource left billing, in a person's words."""
    if not deletes_at:
        return "the janitor keeps it (no time-to-live: a commitment, or its tags unreadable): delete it by hand"
    try:
        moment = when(deletes_at)
    except ValueError:
        moment = deletes_at
    return f"the janitor will delete it at {moment} (its first run after that time)"


def _prices(event: ReportEvent, region: str) -> Any:
    from podium.dataset.estimate import effective_prices
    from podium.models import get_model

    if event.run is None:
        return None
    try:
        prices, _ = effective_prices(get_model(event.run.settings.base_model, region).prices, event.run.settings.prices)
    except Exception:  # noqa: BLE001 - an unknown model or region: the price is unknown, the run still reported
        return None
    return prices


def _cost(event: ReportEvent, region: str, kind: ServingKind, units: int | None) -> dict[str, Any]:
    """What one serving resource costs while it exists: `usd_per_hour` (a throughput's, None when
    unknown or not hourly) and `cost`, in words (ESTIMATE)."""
    from podium.dataset.estimate import token_dollars

    prices = _prices(event, region)
    if kind is _DEPLOYMENT:
        tokens = (
            "price unknown"
            if prices is None or prices.on_demand_input_per_1k_tokens is None
            else f"ESTIMATE {token_dollars(prices.on_demand_input_per_1k_tokens)} per 1,000 input and "
            f"{token_dollars(prices.on_demand_output_per_1k_tokens)} per 1,000 output tokens"
        )
        return {"usd_per_hour": None, "cost": f"per token asked, nothing while idle: {tokens}"}
    hourly = None if prices is None or prices.throughput_per_unit_hour is None else prices.throughput_per_unit_hour
    per_hour = None if hourly is None else hourly * (units or 1)
    return {
        "usd_per_hour": per_hour,
        "cost": "price unknown" if per_hour is None else f"ESTIMATE ${per_hour:,.2f} an hour",
    }


def left_running(
    event: ReportEvent,
    region: str,
    previous: Mapping[str, Any] | None,
    *,
    status: str,
    cleanup: Sequence[str],
) -> list[dict[str, Any]]:
    """Every throughput or deployment this run knows of that still bills (what, arn, kind,
    model_units, usd_per_hour, cost); `until`: when the janitor deletes it, for one the run leaves
    behind (left_billing). `status`: the run's outcome; `cleanup`: what the steps say they did."""
    items: list[dict[str, Any]] = []
    billing = {item.arn: item for item in left_billing(event) if item.kind in _SERVING_KINDS}
    units = event.run.settings.throughput.model_units if event.run else None
    serving, gate, outcome = event.throughput, event.gate, event.outcome
    if serving is not None and serving.created and serving.arn:
        arn, kind = serving.arn, serving.kind
        deleted = (gate is not None and arn in (gate.deleted_throughput_arn, gate.deleted_deployment_arn)) or any(
            line.startswith(f"deleted {kind.value} {arn}") for line in cleanup
        )
        if not deleted:
            if status == "promoted" and outcome and arn in (outcome.throughput_arn, outcome.deployment_arn):
                what = "serves the promoted model"
            elif status == "discarded":
                what = "the discarded model's (keep_discarded is true)"
            else:
                what = "created by this run and NOT deleted (see Cleanup)"
            items.append(_item(event, region, what, arn, kind, units))
    for arn, left in billing.items():  # one the state does not hold as this run's (Cleanup only deletes its own)
        if not any(known["arn"] == arn for known in items):
            items.append(_item(event, region, left.why, arn, ServingKind(left.kind), units))
    for known in items:
        if known["arn"] in billing:
            known["until"] = janitor_note(billing[known["arn"]].janitor_deletes_at)
    if previous and outcome is not None and outcome.status == "promoted":
        old = previous.get("deployment_arn") or previous.get("throughput_arn")
        new = {outcome.throughput_arn, outcome.deployment_arn, outcome.retired_throughput_arn}
        if old and old not in new | {outcome.retired_deployment_arn}:
            kind = ServingKind.of_arn(old)
            kept = _item(event, region, "the previous model's, kept (see the message)", old, kind, None)
            if kind is not _DEPLOYMENT:  # its model units are not this run's to know
                kept.update(usd_per_hour=None, cost="price unknown")
            items.append(kept)
    return items


def _item(event: ReportEvent, region: str, what: str, arn: str, kind: ServingKind, units: int | None) -> dict[str, Any]:
    throughput = kind is not _DEPLOYMENT
    return {
        "what": what,
        "arn": arn,
        "kind": kind.value,
        "model_units": units if throughput else None,
        **_cost(event, region, kind, units if throughput else None),
    }


def running_lines(running: Sequence[Mapping[str, Any]], serving: ServingKind | None) -> list[str]:
    """The notification's lines on what is left running; `serving`: what the run itself made, if anything."""
    if not running:
        if serving is _DEPLOYMENT:
            return ["Left running: nothing this run created (its custom model deployment is deleted)."]
        return ["Left running: nothing this run created is billed by the hour."]
    kinds = {item.get("kind") for item in running}
    how = [
        "a provisioned throughput bills every hour until it is deleted"
        for kind in (ServingKind.PROVISIONED_THROUGHPUT.value,)
        if kind in kinds
    ] + ["a custom model deployment bills per token asked of it" for kind in (_DEPLOYMENT.value,) if kind in kinds]
    lines = [f"Left running ({'; '.join(how)}):"]
    for item in running:
        until = f"; {item['until']}" if item.get("until") else ""
        lines.append(f"  - {item['arn']}: {item['what']} ({item['cost']}){until}")
    return lines


__all__ = ["janitor_note", "left_billing", "left_running", "running_lines", "when"]
