"""runs/<run_id>/report.html: one self-contained page (inline SVG and CSS, no script, no
network) that opens offline — dataset composition by relation, rejections by reason,
training/validation loss from Bedrock's metrics CSVs, the evaluation by kind × relation
for both models, the gate's decision and the cost estimate. Figures from the rehearsal's
emulator are labelled SIMULATED.

`render_report` is pure (a dict in, HTML out); `write_run_report` gathers the run's files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from podium.adapters.ports import ObjectStore

REPORT_HTML = "report.html"
_CUSTOM, _BASE, _TRAIN, _VAL, _EVAL, _BAD = "#2b6cb0", "#a0aec0", "#2b6cb0", "#dd6b20", "#38a169", "#c53030"


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}" if isinstance(value, (int, float)) else escape(str(value))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def hbar_chart(title: str, rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]]) -> str:
    """Horizontal stacked bars: one row per label, one segment per series (name, colour)."""
    if not rows:
        return f'<p class="empty">{escape(title)}: nothing to show.</p>'
    label_w, bar_w, row_h = 190, 420, 22
    top = max(sum(values) for _, values in rows) or 1
    height = 30 + row_h * len(rows) + 24
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{label_w + bar_w + 90}" '
        f'height="{height}" viewBox="0 0 {label_w + bar_w + 90} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="title">{escape(title)}</text>',
    ]
    for index, (label, values) in enumerate(rows):
        y = 28 + index * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        x = float(label_w)
        for value, (name, colour) in zip(values, series, strict=True):
            width = bar_w * value / top
            if width > 0:
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" '
                    f'fill="{colour}"><title>{escape(label)} {escape(name)}: {value:,.0f}</title></rect>'
                )
            x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 14}" class="value">{sum(values):,.0f}</text>')
    legend_y = height - 8
    for index, (name, colour) in enumerate(series if len(series) > 1 else ()):
        lx = label_w + index * 110
        parts.append(f'<rect x="{lx}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 14}" y="{legend_y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: Sequence[tuple[str, str, Sequence[tuple[float, float]]]]) -> str:
    """Lines (name, colour, [(x, y)]) on shared axes, with the axis ranges written out."""
    points = [p for _, _, data in series for p in data]
    if not points:
        return f'<p class="empty">{escape(title)}: no metrics files were found.</p>'
    width, height, left, bottom, top_pad = 620, 260, 56, 36, 28
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(0.0, min(ys)), max(ys) if max(ys) > 0 else 1.0
    plot_w, plot_h = width - left - 16, height - bottom - top_pad

    def sx(x: float) -> float:
        return left + plot_w * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return top_pad + plot_h * (1 - (y - y0) / (y1 - y0))

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="title">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" class="axis"/>',
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end">{y1:.3g}</text>',
        f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end">{y0:.3g}</text>',
        f'<text x="{left}" y="{height - 18}">step {x0:.0f}</text>',
        f'<text x="{left + plot_w}" y="{height - 18}" text-anchor="end">step {x1:.0f}</text>',
    ]
    for index, (name, colour, data) in enumerate(series):
        if not data:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in data)
        parts.append(f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2.5" points="{path}"/>')
        if len(data) == 1:
            x, y = data[0]
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{colour}"/>')
        lx = left + 10 + index * 200
        parts.append(f'<rect x="{lx}" y="{height - 12}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 3}">{escape(name)} (last {data[-1][1]:.3f})</text>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars(title: str, rows: Sequence[tuple[str, float | None, float | None]]) -> str:
    """Accuracy (0–1) of the new and the base model per label, side by side."""
    if not rows:
        return f'<p class="empty">{escape(title)}: no questions.</p>'
    label_w, bar_w, row_h = 240, 360, 34
    height = 30 + row_h * len(rows) + 24
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{label_w + bar_w + 70}" '
        f'height="{height}" viewBox="0 0 {label_w + bar_w + 70} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="title">{escape(title)}</text>',
    ]
    for index, (label, new, base) in enumerate(rows):
        y = 28 + index * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 18}" text-anchor="end">{escape(label)}</text>')
        for offset, value, colour in ((2, new, _CUSTOM), (16, base, _BASE)):
            width = bar_w * (value or 0)
            parts.append(
                f'<rect class="bar" x="{label_w}" y="{y + offset}" width="{max(width, 1):.1f}" height="12" '
                f'fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{label_w + width + 4:.1f}" y="{y + offset + 10}" class="value">{_pct(value)}</text>'
            )
    legend_y = height - 8
    for index, (name, colour) in enumerate((("new model", _CUSTOM), ("base model", _BASE))):
        lx = label_w + index * 120
        parts.append(f'<rect x="{lx}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 14}" y="{legend_y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:980px;color:#1a202c}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
svg text{font-size:12px;fill:#2d3748}svg text.title{font-weight:600;font-size:13px}
svg .axis{stroke:#718096;stroke-width:1}table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #e2e8f0;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.banner{background:#fefcbf;border:2px solid #d69e2e;padding:8px 12px;font-weight:700}
.decision{padding:10px 14px;border-radius:6px;font-weight:600}
.promote{background:#c6f6d5}.discard{background:#fed7d7}.not_evaluated{background:#e2e8f0}
.fail{color:#c53030;font-weight:600}.pass{color:#276749}.empty{color:#718096}
"""


def render_report(data: Mapping[str, Any]) -> str:
    """The report page. `data`: run_id, simulated, dataset (report.json), losses
    {"training": [(step, loss)], "validation": [...], "simulated": bool}, evaluation
    (eval.json without the gate), gate (decision, message, checks)."""
    run_id = str(data.get("run_id", ""))
    dataset = data.get("dataset") or {}
    losses = data.get("losses") or {}
    evaluation = data.get("evaluation") or {}
    gate = data.get("gate") or {}
    simulated = bool(data.get("simulated"))
    sim = "SIMULATED " if simulated else ""
    body: list[str] = [f"<h1>Podium run {escape(run_id)}</h1>"]
    if simulated:
        body.append(
            '<p class="banner">SIMULATED — this run was rehearsed on the Bedrock emulator: losses and '
            "model answers are simulated, not measured on a real model.</p>"
        )

    decision = str(gate.get("decision") or "not_evaluated")
    body.append(
        f'<h2>Decision</h2><p class="decision {escape(decision)}">{escape(decision.replace("_", " "))}: '
        f"{escape(str(gate.get('message', '')))}</p>"
    )
    checks = gate.get("checks") or []
    if checks:
        body.append("<table><tr><th>threshold</th><th>value</th><th>required</th><th>result</th></tr>")
        for check in checks:
            ok = bool(check.get("passed"))
            body.append(
                f"<tr><td>{escape(str(check.get('setting')))}</td><td>{_pct(check.get('value'))}</td>"
                f"<td>{_pct(check.get('threshold'))}</td>"
                f'<td class="{"pass" if ok else "fail"}">{"passed" if ok else "FAILED"}</td></tr>'
            )
        body.append("</table>")

    coverage = dataset.get("coverage") or []
    body.append("<h2>Dataset composition by relation</h2>")
    body.append(
        hbar_chart(
            "Rows by relation",
            [
                (row["relation"], (row.get("train_rows", 0), row.get("validation_rows", 0), row.get("eval_rows", 0)))
                for row in coverage
            ],
            (("train", _TRAIN), ("validation", _VAL), ("eval", _EVAL)),
        )
    )
    counts = dataset.get("counts") or {}
    if counts:
        body.append(
            f"<p>{_num(counts.get('train_rows'))} training, {_num(counts.get('validation_rows'))} validation and "
            f"{_num(counts.get('eval_rows'))} evaluation rows from {_num(counts.get('pairs_kept'))} clean pairs; "
            f"{_num(counts.get('facts_trained'))} of {_num(counts.get('facts'))} facts trained.</p>"
        )
    body.append("<h2>Rejected pairs by reason</h2>")
    rejections = dataset.get("rejections") or {}
    body.append(
        hbar_chart("Rejections", [(reason, (n,)) for reason, n in sorted(rejections.items())], (("rejected", _BAD),))
        if rejections
        else '<p class="empty">No pair was rejected.</p>'
    )

    body.append(f"<h2>{sim}Training and validation loss</h2>")
    body.append(
        line_chart(
            f"{sim}loss by step (Bedrock's metrics CSVs)",
            (
                ("training loss", _TRAIN, losses.get("training") or []),
                ("validation loss", _VAL, losses.get("validation") or []),
            ),
        )
    )

    body.append(f"<h2>{sim}Evaluation: new model against the base model</h2>")
    models = evaluation.get("models") or {}
    if models:
        new, base = models.get("custom", {}), models.get("base", {})
        kinds = [k for k in ("paraphrase", "unseen", "trained") if k in new.get("by_kind", {})]
        body.append(
            grouped_bars(
                f"{sim}accuracy by kind",
                [
                    (kind, new["by_kind"][kind]["accuracy"], base.get("by_kind", {}).get(kind, {}).get("accuracy"))
                    for kind in kinds
                ],
            )
        )
        rows = []
        for kind in kinds:
            for relation, tally in sorted(new.get("by_kind_relation", {}).get(kind, {}).items()):
                base_tally = base.get("by_kind_relation", {}).get(kind, {}).get(relation, {})
                rows.append((kind, relation, tally, base_tally))
        body.append(
            grouped_bars(
                f"{sim}accuracy by kind × relation",
                [(f"{k} · {r}", t["accuracy"], b.get("accuracy")) for k, r, t, b in rows],
            )
        )
        body.append(
            "<table><tr><th>kind</th><th>relation</th><th>questions</th><th>new: right</th><th>new: refused</th>"
            "<th>new: hallucinated</th><th>base: right</th><th>base: hallucinated</th></tr>"
        )
        for kind, relation, tally, base_tally in rows:
            body.append(
                f"<tr><td>{escape(kind)}</td><td>{escape(relation)}</td><td>{tally['questions']}</td>"
                f"<td>{_pct(tally['accuracy'])}</td><td>{tally['refused']}</td><td>{tally['hallucinated']}</td>"
                f"<td>{_pct(base_tally.get('accuracy'))}</td><td>{base_tally.get('hallucinated', 'n/a')}</td></tr>"
            )
        body.append("</table>")
    else:
        body.append('<p class="empty">This run was not evaluated.</p>')

    body.append("<h2>Cost estimate</h2><ul>")
    estimate = dataset.get("estimate") or {}
    for line in list(estimate.get("lines") or []) + list(data.get("extra_cost_lines") or []):
        body.append(f"<li>{escape(str(line))}</li>")
    body.append("</ul>")
    title = f"Podium run {escape(run_id)}{' (SIMULATED)' if simulated else ''}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _read_json(store: ObjectStore, key: str) -> dict[str, Any]:
    try:
        value = json.loads(store.read_text(key))
    except (FileNotFoundError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_run_report(store: ObjectStore, run: Any, *, dataset: Any, finetune: Any, gate: Any) -> str:
    """Gather the run's files (report.json, metrics CSVs, eval.json) and write report.html."""
    from podium.adapters.bedrock_metrics import metrics_keys, read_loss_metrics
    from podium.evaluation.runner import scores_key

    prefix = run.run_prefix
    losses: dict[str, Any] = {"training": [], "validation": [], "simulated": False}
    if finetune is not None:
        try:
            metrics = read_loss_metrics(store, prefix + "output/", finetune.job_arn)
            losses["training"] = [(p.step, p.loss) for p in metrics.training]
            losses["validation"] = [(p.step, p.loss) for p in metrics.validation]
            training_key, _ = metrics_keys(prefix + "output/", finetune.job_arn)
            losses["simulated"] = bool(metrics.training) and "SIMULATED" in store.read_text(training_key)
        except (FileNotFoundError, ValueError):
            pass
    evaluation = _read_json(store, scores_key(prefix))
    scored = evaluation.pop("gate", None) or {}
    gate_dict = gate.model_dump(mode="json") if hasattr(gate, "model_dump") else dict(gate or {})
    if not gate_dict.get("checks"):
        gate_dict["checks"] = scored.get("checks", [])
    data = {
        "run_id": run.run_id,
        "simulated": bool(evaluation.get("simulated")) or losses["simulated"],
        "dataset": _read_json(store, prefix + "report.json"),
        "losses": losses,
        "evaluation": evaluation,
        "gate": gate_dict,
    }
    return store.write_text(prefix + REPORT_HTML, render_report(data), "text/html; charset=utf-8")


__all__ = ["REPORT_HTML", "grouped_bars", "hbar_chart", "line_chart", "render_report", "write_run_report"]
