"""Charts as inline SVG text: horizontal bars, stacked bars, diverging bars and lines.

No chart library and no script: each function returns one ``<svg>`` element sized by its
``viewBox`` (it scales to the page width). Every text is escaped; each bar and point carries a
``<title>`` tooltip with its exact figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 760
ROW = 24
BAR = 16
FONT = 12
PALETTE = ("#2f6db5", "#e07b39", "#3a9a5b", "#c0392b", "#8e6bbf", "#7f8c8d", "#c9a227", "#17a2b8")
POSITIVE_COLOR, NEGATIVE_COLOR = "#3a9a5b", "#c0392b"
VOLUME_COLOR = "#dde3ea"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def count(value: float) -> str:
    return f"{value:g}"


def plural(n: int, noun: str) -> str:
    """``"1 call"``, ``"12 calls"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, value, and an optional note shown after the value (``"12 of 80 calls"``)."""

    label: str
    value: float
    note: str = ""


def text_width(text: str, size: int = FONT) -> float:
    """Rough rendered width: CJK characters are square, others about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def _fit(text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width``."""
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least ``value`` (axis tops)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value * (1 - 1e-9))


def ticks(top: float) -> list[float]:
    """Gridline values from 0 to a :func:`nice_ceiling` ``top``, in round steps."""
    mantissa = top / 10 ** math.floor(math.log10(top))
    divisions = 5 if round(mantissa, 6) in (2.5, 5) else 4
    return [top * k / divisions for k in range(divisions + 1)]


def _label_width(labels: Sequence[str]) -> float:
    return min(max((text_width(label) for label in labels), default=0) + 10, WIDTH * 0.38)


def _svg(height: float, body: list[str], title: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def _ink(color: str) -> str:
    """A text class readable on ``color`` (a ``#rrggbb`` fill): white on dark, dark on light."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "inbar" if 0.299 * r + 0.587 * g + 0.114 * b < 160 else "inbar-dark"


def _rect(x: float, y: float, w: float, h: float, color: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{color}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def bar_chart(
    bars: Sequence[Bar], *, title: str, fmt: Callable[[float], str] = percent, max_value: float | None = None,
    color: str = PALETTE[0],
) -> str:  # fmt: skip
    """Horizontal bars, one a row, the value (and note) at the end of each bar."""
    left = _label_width([b.label for b in bars])
    note_room = max((text_width(f"{fmt(b.value)} {b.note}") for b in bars), default=0) + 8
    room = WIDTH - left - note_room
    top = max_value or max((b.value for b in bars), default=0) or 1
    body = []
    for i, bar in enumerate(bars):
        y = i * ROW + 4
        w = room * bar.value / top
        body.append(_text(left - 6, y + BAR - 4, _fit(bar.label, left - 8), anchor="end"))
        body.append(_rect(left, y, w, BAR, color, f"{bar.label}: {fmt(bar.value)} {bar.note}".strip()))
        body.append(_text(left + w + 4, y + BAR - 4, f"{fmt(bar.value)} {bar.note}".strip(), cls="value"))
    return _svg(len(bars) * ROW + 8, body, title)


def _legend(series: Sequence[tuple[str, str]], left: float) -> tuple[list[str], float]:
    """Colour keys from ``left``, wrapped onto more lines as needed; returns them and their height."""
    body, x, y = [], left, 14.0
    for name, color in series:
        width = text_width(name) + 36
        if x > left and x + width > WIDTH:
            x, y = left, y + 18
        body.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{color}"></rect>')
        body.append(_text(x + 16, y, name))
        x += width
    return body, y + 12


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]], *, title: str,
    shares: bool = True,
) -> str:  # fmt: skip
    """One stacked bar a row; with ``shares`` each row fills the width (its parts as shares of its total)."""
    left = _label_width([label for label, _ in rows])
    totals = [sum(values) for _, values in rows]
    right = 0 if shares else max((text_width(count(t)) for t in totals), default=0) + 8
    room = WIDTH - left - right
    top = max(totals, default=0) or 1
    body, top_pad = _legend(series, left)
    for i, ((label, values), total) in enumerate(zip(rows, totals, strict=True)):
        y = top_pad + i * ROW
        body.append(_text(left - 6, y + BAR - 4, _fit(label, left - 8), anchor="end"))
        x = left
        for (name, color), value in zip(series, values, strict=True):
            w = room * (value / total if shares and total else value / top)
            share = f" ({percent(value / total)})" if total else ""
            body.append(_rect(x, y, w, BAR, color, f"{label} · {name}: {count(value)}{share}"))
            if w > 34:
                shown = percent(value / total) if shares else count(value)
                body.append(_text(x + w / 2, y + BAR - 4, shown, anchor="middle", cls=_ink(color)))
            x += w
        if not shares:
            body.append(_text(x + 4, y + BAR - 4, count(total), cls="value"))
    return _svg(top_pad + len(rows) * ROW + 6, body, title)


def diverging_bar_chart(
    rows: Sequence[tuple[str, float, float]], *, title: str, names: tuple[str, str] = ("negative", "positive")
) -> str:
    """Per row a bar to the left (``rows[i][1]``, negative) and one to the right (``rows[i][2]``, positive)."""
    left = _label_width([label for label, _, _ in rows])
    half = (WIDTH - left - 60) / 2
    middle = left + 30 + half
    top = max((max(neg, pos) for _, neg, pos in rows), default=0) or 1
    body, top_pad = _legend(((names[0], NEGATIVE_COLOR), (names[1], POSITIVE_COLOR)), left)
    for i, (label, neg, pos) in enumerate(rows):
        y = top_pad + i * ROW
        body.append(_text(left - 6, y + BAR - 4, _fit(label, left - 8), anchor="end"))
        wn, wp = half * neg / top, half * pos / top
        body.append(_rect(middle - wn, y, wn, BAR, NEGATIVE_COLOR, f"{label} · {names[0]}: {count(neg)}"))
        body.append(_rect(middle, y, wp, BAR, POSITIVE_COLOR, f"{label} · {names[1]}: {count(pos)}"))
        body.append(_text(middle - wn - 4, y + BAR - 4, count(neg), anchor="end", cls="value"))
        body.append(_text(middle + wp + 4, y + BAR - 4, count(pos), cls="value"))
    height = top_pad + len(rows) * ROW
    body.append(
        f'<line x1="{middle:.1f}" y1="{top_pad - 6:.1f}" x2="{middle:.1f}" y2="{height:.1f}" class="axis"></line>'
    )
    return _svg(height + 6, body, title)


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """The stretches of consecutive points between ``None``s."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def line_chart(
    x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
    volumes: Sequence[int] | None = None, fmt: Callable[[float], str] = percent, height: int = 240,
) -> str:  # fmt: skip
    """Lines over buckets (periods) on round gridlines, a point per bucket; ``None`` (a bucket without
    calls, where a rate means nothing) breaks the line.

    ``volumes`` (calls per bucket) are drawn as light bars behind the lines, on their own scale, so a
    rate over few calls is seen for what it is.
    """
    left, right, bottom = 58, 16, 40
    legend = [(name, PALETTE[i % len(PALETTE)]) for i, (name, _) in enumerate(series)]
    body, top_pad = _legend([*legend, *([("calls 通话量", VOLUME_COLOR)] if volumes else [])], left)
    top_pad += 8
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    top = nice_ceiling(max((v for _, values in series for v in values if v is not None), default=0))
    step = plot_w / max(len(x_labels) - 1, 1)
    if volumes:
        most = max(volumes, default=0) or 1
        width = max(min(step * 0.6, 28), 2)
        for i, (label, n) in enumerate(zip(x_labels, volumes, strict=True)):
            h = plot_h * 0.5 * n / most
            x = left + i * step - width / 2
            body.append(_rect(x, top_pad + plot_h - h, width, h, VOLUME_COLOR, f"{label}: {n} calls"))
    for tick in ticks(top):
        y = top_pad + plot_h - plot_h * tick / top
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" class="grid"></line>')
        body.append(_text(left - 6, y + 4, fmt(tick), anchor="end", cls="tick"))
    every = max(1, round(len(x_labels) / 10))
    for i, label in enumerate(x_labels):
        if i % every == 0:
            body.append(_text(left + i * step, height - bottom + 16, label, anchor="middle", cls="tick"))
    for (name, color), (_, values) in zip(legend, series, strict=True):
        points = [
            None if v is None else (left + i * step, top_pad + plot_h - plot_h * v / top)
            for i, v in enumerate(values)
        ]
        for run in _runs(points):
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"></polyline>'
            )
        for point, label, value in zip(points, x_labels, values, strict=True):
            if point is not None and value is not None:
                tip = escape(f"{name} · {label}: {fmt(value)}")
                body.append(
                    f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="3" fill="{color}"><title>{tip}</title></circle>'
                )
    return _svg(height, body, title)
