"""runs/<run_id>/report.html: one self-contained page (inline SVG and CSS, no script, nothing
fetched) written for every run — promoted, discarded, failed, dry, unchanged, skipped — that
says what happened and why, what was left running, the run's identity (base model,
hyperparameters, ARNs, dataset hash and files, dates, each phase's duration), the new model
against the champion and the base model per question kind and relation (with counts and
95% intervals), example answers with the expected value, the loss by step with epoch marks,
the dataset and the cost estimate. Figures from the rehearsal's emulator say SIMULATED.

The page is written by Jinja2 (templates/report.html.j2) with autoescaping on, so no value
from the data (a name, an error message) can break it. `render_report` is pure (ReportInputs
in, HTML out); podium.workflow.conclude gathers the inputs from the run's state and files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from podium.evaluation import report_charts as charts
from podium.evaluation.stats import paired_difference, wilson

REPORT_HTML = "report.html"
KINDS = ("paraphrase", "unseen", "trained")
EXAMPLES_PER_VERDICT = 3
STATUS_WORDS = {
    "promoted": "promoted",
    "discarded": "discarded",
    "failed": "FAILED",
    "dry_run": "dry run",
    "unchanged": "unchanged",
    "skipped": "skipped",
    "not_evaluated": "trained, not evaluated",
}


@dataclass
class ReportInputs:
    """Everything report.html shows, already read from the run's state and files."""

    run_id: str
    status: str  # a RunOutcome status, or "failed"
    headline: str  # one sentence: what happened
    message: str = ""  # the outcome's or the failure's own words
    subtitle: str = ""
    simulated: bool = False
    failure: Mapping[str, Any] | None = None  # state, error, message
    cleanup: Sequence[str] = ()
    left_running: Sequence[Mapping[str, Any]] = ()  # what, arn, kind, model_units, usd_per_hour, cost, until
    gate: Mapping[str, Any] | None = None  # decision, message, checks
    evaluation: Mapping[str, Any] | None = None  # eval.json
    answers: Sequence[Mapping[str, Any]] = ()  # eval/answers.jsonl rows
    training_loss: Sequence[tuple[int, int, float]] = ()  # (step, epoch, loss)
    validation_loss: Sequence[tuple[int, int, float]] = ()
    dataset: Mapping[str, Any] | None = None  # report.json
    identity: Sequence[tuple[str, str, bool]] = ()  # (label, value, shown as code)
    phases: Sequence[Mapping[str, Any]] = ()  # name, started, seconds
    estimate_lines: Sequence[str] = ()
    links: Mapping[str, str] = field(default_factory=dict)  # execution, execution_name, run_files, command
    not_evaluated_reason: str = "This run was not evaluated."
    no_champion_reason: str = ""
    simulation_note: str = ""


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("podium.evaluation", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
    )


def render_report(inputs: ReportInputs) -> str:
    """The report page for `inputs`."""
    return _environment().get_template("report.html.j2").render(**_view(inputs)) + "\n"


# ---- the view: numbers turned into what the page shows ---------------------------------------


def _measured(tally: Mapping[str, Any] | None) -> charts.Measured | None:
    if not tally or not tally.get("questions"):
        return None
    right, n = int(tally.get("correct", 0)), int(tally["questions"])
    low, high = wilson(right, n)
    return charts.Measured(right, n, low, high)


def _cell(measured: charts.Measured | None) -> str:
    if measured is None:
        return "—"
    interval = f"{charts.pct(measured.low)}–{charts.pct(measured.high)}"
    return f"{measured.right}/{measured.n} = {charts.pct(measured.value)} ({interval})"


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _check_view(check: Mapping[str, Any]) -> dict[str, Any]:
    value, threshold = check.get("value"), check.get("threshold")
    maximum = str(check.get("setting", "")).split(".")[-1].startswith("max_")
    return {
        **check,
        "value_text": charts.pct(value),
        "required_text": ("at most " if maximum else "at least ") + charts.pct(threshold),
    }


def _examples(answers: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """A few of the new model's answers per verdict, from different relations where possible."""
    chosen: dict[str, list[dict[str, str]]] = {"right": [], "wrong": [], "refused": [], "hallucinated": []}
    relations: dict[str, set[str]] = {category: set() for category in chosen}
    rows = [row for row in answers if row.get("model") == "custom"]
    for prefer_new_relation in (True, False):
        for row in rows:
            if row.get("hallucinated"):
                category = "hallucinated"
            elif row.get("refused"):
                category = "refused" if row.get("kind") != "unseen" else "right"
            else:
                category = "right" if row.get("correct") else "wrong"
            picked = chosen[category]
            relation = str(row.get("relation", ""))
            if len(picked) >= EXAMPLES_PER_VERDICT or any(e["id"] == row.get("id") for e in picked):
                continue
            if prefer_new_relation and relation in relations[category]:
                continue
            relations[category].add(relation)
            picked.append(
                {
                    "id": str(row.get("id")),
                    "category": category,
                    "kind": str(row.get("kind", "")),
                    "relation": relation,
                    "question": str(row.get("question", "")),
                    "expected": " / ".join(str(a) for a in row.get("accepted") or [])
                    + (" (or a refusal)" if row.get("kind") == "unseen" else ""),
                    "answer": str(row.get("answer", "")),
                }
            )
    return [example for category in chosen.values() for example in category]


def _champion_text(champion: Mapping[str, Any]) -> dict[str, str]:
    from podium.evaluation.stats import PairedCounts

    counts = PairedCounts(
        int(champion.get("both_right", 0)),
        int(champion.get("only_champion_right", 0)),
        int(champion.get("only_challenger_right", 0)),
        int(champion.get("neither_right", 0)),
    )
    low, high = paired_difference(counts)  # champion − challenger
    loss = counts.difference or 0.0
    if abs(loss) < 5e-4:
        words = "as accurate as the champion"
    elif loss > 0:
        words = f"{loss * 100:.1f} points less accurate"
    else:
        words = f"{-loss * 100:.1f} points more accurate"
    if not champion.get("enough"):
        verdict = "Too few shared questions to tell."
    elif low > 0:
        verdict = "Worse than the champion beyond noise."
    elif high < 0:
        verdict = "Better than the champion beyond noise."
    else:
        verdict = "The difference is within noise."
    return {
        "champion": f"{charts.pct(counts.accuracy_a)} ({counts.both + counts.only_a}/{counts.n})",
        "challenger": f"{charts.pct(counts.accuracy_b)} ({counts.both + counts.only_b}/{counts.n})",
        "loss_words": words,
        "interval": f"{-high * 100:+.1f} to {-low * 100:+.1f} points for the new model",
        "verdict": verdict,
    }


def _evaluation_view(inputs: ReportInputs, sim: str) -> dict[str, Any]:
    evaluation = inputs.evaluation or {}
    models = evaluation.get("models") or {}
    if not models:
        return {"evaluation": None}
    new, base = models.get("custom") or {}, models.get("base") or {}
    champion = evaluation.get("champion") or None
    held = champion.get("champion_scores") if champion else None
    series: list[tuple[str, str, Mapping[str, Any]]] = [("new model", charts.NEW, new)]
    if held:
        series.append(("champion", charts.CHAMPION, held))
    series.append(("base model", charts.BASE, base))
    kinds = [kind for kind in KINDS if kind in (new.get("by_kind") or {})]
    kind_rows, kind_measures = [], []
    for kind in kinds:
        measured = [_measured((model.get("by_kind") or {}).get(kind)) for _, _, model in series]
        kind_measures.append((kind, measured))
        tally = new["by_kind"][kind]
        kind_rows.append(
            {
                "label": kind,
                "cells": [_cell(m) for m in measured],
                "refused": tally.get("refused", 0),
                "hallucinated": tally.get("hallucinated", 0),
            }
        )
    relation_rows, relation_measures = [], []
    for kind in kinds:
        for relation in sorted((new.get("by_kind_relation") or {}).get(kind) or {}):
            measured = [
                _measured(((model.get("by_kind_relation") or {}).get(kind) or {}).get(relation))
                for _, _, model in series
            ]
            relation_measures.append((f"{kind} · {relation}", measured))
            relation_rows.append({"label": f"{kind} · {relation}", "cells": [_cell(m) for m in measured]})
    legend = [(name, colour) for name, colour, _ in series]
    return {
        "evaluation": evaluation,
        "model_names": [name for name, _, _ in series],
        "kind_chart": charts.accuracy_bars(f"{sim}share right by kind", kind_measures, legend),
        "kind_rows": kind_rows,
        "relation_chart": charts.accuracy_bars(f"{sim}share right by kind × relation", relation_measures, legend),
        "relation_rows": relation_rows,
        "champion": champion,
        "champion_text": _champion_text(champion) if champion else {},
        "examples": _examples(inputs.answers),
    }


def _epochs(points: Sequence[tuple[int, int, float]]) -> list[tuple[float, int]]:
    """(last step of each epoch, epoch) for every epoch but the last (which ends the chart)."""
    last: dict[int, int] = {}
    for step, epoch, _ in points:
        last[epoch] = max(step, last.get(epoch, step))
    ends = sorted(last.items())
    return [(float(step), epoch) for epoch, step in ends[:-1]] if len(ends) > 1 else []


def _dataset_view(dataset: Mapping[str, Any] | None) -> dict[str, Any]:
    if not dataset:
        return {"dataset": None}
    counts = dataset.get("counts") or {}
    summary = (
        f"{counts.get('train_rows', 0):,} training, {counts.get('validation_rows', 0):,} validation and "
        f"{counts.get('eval_rows', 0):,} evaluation rows from {counts.get('pairs_kept', 0):,} clean pairs; "
        f"{counts.get('facts_trained', 0):,} of {counts.get('facts', 0):,} facts trained"
        + (f" (recipe {dataset['recipe']})" if dataset.get("recipe") else "")
        + "."
    )
    tokens = dataset.get("tokens") or {}
    tokens_note = ""
    if tokens:
        tokens_note = (
            f"Tokens: ~{tokens.get('train_estimate_for_cost', 0):,} training and "
            f"~{tokens.get('validation_estimate_for_cost', 0):,} validation tokens in the cost estimate (about four "
            f"characters a token, what Bedrock bills); the row-cap check counts the training file with a deliberately "
            f"high estimate (~{tokens.get('train_estimate_for_row_cap', 0):,}) so that no row can pass it and still "
            f"exceed Bedrock's {tokens.get('row_cap', 0):,} tokens a row. The largest row: "
            f"~{tokens.get('max_row_estimate', 0):,}."
        )
    coverage = dataset.get("coverage") or []
    rejections = dataset.get("rejections") or {}
    from podium.dataset.reconcile import report_summary

    sources = report_summary(dataset, shown=20)
    return {
        "dataset": dataset,
        "dataset_summary": summary,
        "tokens_note": tokens_note,
        "coverage_chart": charts.stacked_bars(
            "Rows by relation",
            [
                (row["relation"], (row.get("train_rows", 0), row.get("validation_rows", 0), row.get("eval_rows", 0)))
                for row in coverage
            ],
            (("train", charts.TRAIN), ("validation", charts.VALIDATION), ("eval", charts.EVAL)),
        ),
        "rejections_chart": charts.stacked_bars(
            "Rejected pairs by reason",
            [(reason, (n,)) for reason, n in sorted(rejections.items())],
            (("rejected", charts.BAD),),
        )
        if rejections
        else None,
        "sources": "".join(sources) if sources else "",
    }


def _view(inputs: ReportInputs) -> dict[str, Any]:
    sim = "SIMULATED " if inputs.simulated else ""
    gate = dict(inputs.gate) if inputs.gate else None
    if gate is not None:
        gate["checks"] = [_check_view(check) for check in gate.get("checks") or []]
    training = [(step, loss) for step, _, loss in inputs.training_loss]
    validation = [(step, loss) for step, _, loss in inputs.validation_loss]
    final = []
    if training:
        final.append(f"final training loss {training[-1][1]:.3f}")
    if validation:
        final.append(f"final validation loss {validation[-1][1]:.3f}")
    # What the gate and the cleanup list say is shown there: the outcome keeps only the rest.
    message = inputs.message
    for said in [str((gate or {}).get("message") or ""), *inputs.cleanup]:
        if said:
            for form in (said[:1].upper() + said[1:] + ".", said[:1].upper() + said[1:], said):
                message = message.replace(form, "")
    message = " ".join(message.split())
    view: dict[str, Any] = {
        "run_id": inputs.run_id,
        "status": inputs.status,
        "status_word": STATUS_WORDS.get(inputs.status, inputs.status),
        "subtitle": inputs.subtitle,
        "simulated": inputs.simulated,
        "simulation_note": inputs.simulation_note,
        "sim": sim,
        "headline": inputs.headline,
        "message": message,
        "failure": inputs.failure,
        "cleanup": list(inputs.cleanup),
        "left_running": [
            {
                **item,
                # a throughput's hourly price, or a deployment's per-token one (podium.workflow.left_running)
                "per_hour": item.get("cost")
                or ("unknown price" if item.get("usd_per_hour") is None else f"≈ ${item['usd_per_hour']:,.2f} an hour"),
                "kind": item.get("kind") or "provisioned throughput",
                "until": item.get("until") or "",  # when the janitor deletes one the run left behind
            }
            for item in inputs.left_running
        ],
        "gate": gate,
        "gate_class": {"promote": "promoted", "discard": "discarded"}.get(
            str((gate or {}).get("decision")), "not_evaluated"
        ),
        "not_evaluated_reason": inputs.not_evaluated_reason,
        "no_champion_reason": inputs.no_champion_reason,
        "loss_chart": charts.loss_lines(
            f"{sim}loss by training step (Bedrock's metrics files)",
            (("training loss", charts.TRAIN, training), ("validation loss", charts.VALIDATION, validation)),
            _epochs(inputs.training_loss),
        ),
        "final_losses": (sim + "; ".join(final) + ".") if final else "",
        "identity": list(inputs.identity),
        "phases": [{**phase, "took": _seconds(phase.get("seconds"))} for phase in inputs.phases],
        "estimate_lines": list(inputs.estimate_lines),
        "links": dict(inputs.links),
    }
    view.update(_evaluation_view(inputs, sim))
    view.update(_dataset_view(inputs.dataset))
    return view


def read_jsonl(text: str) -> list[dict[str, Any]]:
    return [row for line in text.splitlines() if line.strip() for row in [json.loads(line)] if isinstance(row, dict)]


__all__ = ["REPORT_HTML", "STATUS_WORDS", "ReportInputs", "read_jsonl", "render_report"]
