"""The geometry of report.html's charts: numbers in, shapes out (rectangles, lines, texts),
which the template draws as inline SVG. Labels stay plain text here: the template escapes
them (Jinja2's autoescape), so no name from the data can break the page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

NEW, CHAMPION, BASE = "#2b6cb0", "#805ad5", "#a0aec0"
TRAIN, VALIDATION, EVAL, BAD = "#2b6cb0", "#dd6b20", "#38a169", "#c53030"
EPOCH_MARK = "#718096"


@dataclass
class Chart:
    title: str
    width: int
    height: int
    rects: list[dict[str, Any]] = field(default_factory=list)  # x, y, w, h, fill, tip
    lines: list[dict[str, Any]] = field(default_factory=list)  # x1, y1, x2, y2, cls
    texts: list[dict[str, Any]] = field(default_factory=list)  # x, y, text, anchor, cls
    polylines: list[dict[str, Any]] = field(default_factory=list)  # points, stroke
    circles: list[dict[str, Any]] = field(default_factory=list)  # cx, cy, fill
    empty: str = ""  # shown instead of the chart when there is nothing to draw

    def text(self, x: float, y: float, text: str, anchor: str = "start", cls: str = "") -> None:
        self.texts.append({"x": round(x, 1), "y": round(y, 1), "text": text, "anchor": anchor, "cls": cls})

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str = "axis") -> None:
        self.lines.append({"x1": round(x1, 1), "y1": round(y1, 1), "x2": round(x2, 1), "y2": round(y2, 1), "cls": cls})

    def rect(self, x: float, y: float, w: float, h: float, fill: str, tip: str = "", cls: str = "bar") -> None:
        self.rects.append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "w": round(max(w, 0.0), 1),
                "h": h,
                "fill": fill,
                "tip": tip,
                "cls": cls,
            }
        )

    def legend(self, series: Sequence[tuple[str, str]], x: float, y: float, spacing: int = 110) -> None:
        """Keys side by side, each as wide as its name needs (about 7 px a character)."""
        for name, colour in series:
            self.rect(x, y - 10, 10, 10, colour, cls="key")
            self.text(x + 14, y, name)
            x += max(spacing, 14 + 7 * len(name) + 24)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def stacked_bars(title: str, rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]]) -> Chart:
    """Horizontal stacked bars: one row per label, one segment per series (name, colour)."""
    label_w, bar_w, row_h = 200, 420, 22
    chart = Chart(title, label_w + bar_w + 90, 34 + row_h * len(rows) + (26 if len(series) > 1 else 6))
    if not rows:
        chart.empty = f"{title}: nothing to show."
        return chart
    top = max(sum(values) for _, values in rows) or 1
    for index, (label, values) in enumerate(rows):
        y = 28 + index * row_h
        chart.text(label_w - 6, y + 14, label, "end")
        x = float(label_w)
        for value, (name, colour) in zip(values, series, strict=True):
            width = bar_w * value / top
            if width > 0:
                chart.rect(x, y + 3, width, row_h - 6, colour, f"{label} {name}: {value:,.0f}")
            x += width
        chart.text(x + 6, y + 14, f"{sum(values):,.0f}", cls="value")
    if len(series) > 1:
        chart.legend(series, label_w, chart.height - 6, 110)
    return chart


@dataclass(frozen=True)
class Measured:
    """One model's accuracy on one group of questions: right of n, with its 95% interval."""

    right: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float | None:
        return self.right / self.n if self.n else None


def accuracy_bars(
    title: str, rows: Sequence[tuple[str, Sequence[Measured | None]]], models: Sequence[tuple[str, str]]
) -> Chart:
    """Accuracy (0–1) per label for each model side by side, each bar with its 95% interval
    as a whisker and "right/n" written beside it, so 0% of 2 questions reads as what it is."""
    label_w, bar_w, bar_h, gap = 250, 330, 12, 4
    row_h = len(models) * (bar_h + gap) + 12
    chart = Chart(title, label_w + bar_w + 170, 40 + row_h * len(rows) + 28)
    if not rows:
        chart.empty = f"{title}: no questions."
        return chart
    axis_y = 28 + row_h * len(rows)
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + bar_w * tick
        chart.line(x, 24, x, axis_y, "grid")
        chart.text(x, axis_y + 14, pct(tick).replace(".0%", "%"), "middle", "tick")
    for index, (label, measured) in enumerate(rows):
        y = 28 + index * row_h
        chart.text(label_w - 6, y + row_h / 2 + 2, label, "end")
        for offset, (value, (name, colour)) in enumerate(zip(measured, models, strict=True)):
            top = y + offset * (bar_h + gap)
            if value is None or not value.n:
                chart.text(label_w + 4, top + bar_h - 2, f"{name}: not asked", cls="muted")
                continue
            width = bar_w * (value.value or 0.0)
            chart.rect(label_w, top, max(width, 1.0), bar_h, colour, f"{label} · {name}: {value.right}/{value.n}")
            mid = top + bar_h / 2
            low, high = label_w + bar_w * value.low, label_w + bar_w * value.high
            chart.line(low, mid, high, mid, "whisker")
            chart.line(low, mid - 4, low, mid + 4, "whisker")
            chart.line(high, mid - 4, high, mid + 4, "whisker")
            chart.text(
                max(label_w + width, high) + 6,
                top + bar_h - 2,
                f"{pct(value.value)} ({value.right}/{value.n})",
                cls="value",
            )
    chart.legend(models, label_w, chart.height - 4, 130)
    return chart


def loss_lines(
    title: str, series: Sequence[tuple[str, str, Sequence[tuple[float, float]]]], epochs: Sequence[tuple[float, int]]
) -> Chart:
    """Loss by step (name, colour, [(step, loss)]) on shared axes: ticks on both axes, and a
    dashed mark where each epoch ends (`epochs`: (last step of the epoch, epoch number))."""
    width, height, left, bottom, top_pad, right = 660, 280, 60, 46, 28, 20
    chart = Chart(title, width, height)
    points = [p for _, _, data in series for p in data]
    if not points:
        chart.empty = f"{title}: no metrics files were found."
        return chart
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0 = min(0.0, min(xs))
    x1 = max(xs) if max(xs) > x0 else x0 + 1
    y0, y1 = 0.0, max(ys) * 1.1 if max(ys) > 0 else 1.0
    plot_w, plot_h = width - left - right, height - bottom - top_pad

    def sx(x: float) -> float:
        return left + plot_w * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return top_pad + plot_h * (1 - (y - y0) / (y1 - y0))

    chart.line(left, top_pad + plot_h, left + plot_w, top_pad + plot_h)
    chart.line(left, top_pad, left, top_pad + plot_h)
    for index in range(5):
        value = y0 + (y1 - y0) * index / 4
        chart.line(left - 3, sy(value), left + plot_w, sy(value), "grid")
        chart.text(left - 6, sy(value) + 4, f"{value:.2f}", "end", "tick")
    tick = _nice_step((x1 - x0) / 5)
    step = x0
    while step <= x1 + 1e-9:
        chart.text(sx(step), top_pad + plot_h + 14, f"{step:,.0f}", "middle", "tick")
        step += tick
    chart.text(left + plot_w / 2, top_pad + plot_h + 28, "training step", "middle", "tick")
    chart.text(14, top_pad + plot_h / 2, "loss", "middle", "tick")
    for step, epoch in epochs:
        x = sx(step)
        chart.line(x, top_pad, x, top_pad + plot_h, "epoch")
        chart.text(x - 3, top_pad + 10, f"epoch {epoch}", "end", "tick")
    for index, (name, colour, data) in enumerate(series):
        if not data:
            continue
        chart.polylines.append({"points": " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in data), "stroke": colour})
        for x, y in data if len(data) <= 12 else data[-1:]:  # a dot per point only where there are few
            chart.circles.append({"cx": round(sx(x), 1), "cy": round(sy(y), 1), "fill": colour})
        lx = left + 10 + index * 230
        chart.rect(lx, height - 12, 10, 10, colour, cls="key")
        chart.text(lx + 14, height - 3, f"{name} (last {data[-1][1]:.3f})")
    return chart


def _nice_step(rough: float) -> float:
    """1, 2 or 5 times a power of ten: axis ticks a person reads at a glance."""
    if rough <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


__all__ = [
    "BAD",
    "BASE",
    "CHAMPION",
    "EVAL",
    "NEW",
    "TRAIN",
    "VALIDATION",
    "Chart",
    "Measured",
    "accuracy_bars",
    "loss_lines",
    "pct",
    "stacked_bars",
]
