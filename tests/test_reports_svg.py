"""Inline SVG charts: well-formed, escaped, scaled to their data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from convmine.reports.svg import (
    Bar,
    bar_chart,
    diverging_bar_chart,
    line_chart,
    nice_ceiling,
    stacked_bar_chart,
    text_width,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert(1)</script>" onload="x'


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def widths(root: ET.Element) -> list[float]:
    return [float(r.get("width")) for r in root.iter(f"{SVG}rect")]


def test_bar_lengths_are_proportional_and_labels_escaped():
    root = parsed(bar_chart([Bar(EVIL, 0.5, "10 calls"), Bar("不需要", 0.25)], title=EVIL))
    a, b = widths(root)
    assert a == pytest.approx(2 * b)
    assert EVIL in "".join(root.itertext())  # shown as text …
    assert not root.findall(f".//{SVG}script") and all(
        "onload" not in el.attrib for el in root.iter()
    )  # … only


def test_stacked_shares_fill_each_row_and_light_fills_get_dark_text():
    series = [("fresh", "#3a9a5b"), ("stale", "#e0b339"), ("unknown", "#d9e2ec")]
    root = parsed(stacked_bar_chart([("a", [2, 1, 1]), ("b", [0, 0, 3])], series, title="coverage"))
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    first, second = bars[:3], bars[3:]
    assert sum(float(r.get("width")) for r in first) == pytest.approx(
        sum(float(r.get("width")) for r in second)
    )
    classes = {
        t.text: t.get("class") for t in root.iter(f"{SVG}text") if t.get("class", "").startswith("inbar")
    }
    assert classes["50.0%"] == "inbar" and classes["100.0%"] == "inbar-dark"


def test_a_long_legend_wraps_inside_the_chart():
    series = [(f"a rather long series name number {i}", "#2f6db5") for i in range(6)]
    root = parsed(stacked_bar_chart([("row", [1] * 6)], series, title="t"))
    width = float(root.get("viewBox").split()[2])
    for text in root.iter(f"{SVG}text"):
        assert float(text.get("x")) + text_width(text.text or "") <= width + 1


def test_diverging_and_line_charts_draw_their_points():
    root = parsed(diverging_bar_chart([("产品", 3, 1), ("服务", 0, 4)], title="t"))
    assert len(widths(root)) >= 4
    root = parsed(line_chart(["W1", "W2", "W3"], [("any", [0.1, 0.4, 0.2])], title="t", volumes=[10, 5, 0]))
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    (line,) = root.iter(f"{SVG}polyline")
    ys = [float(p.split(",")[1]) for p in line.get("points").split()]
    assert ys[1] < ys[2] < ys[0]  # higher values are drawn higher
    assert re.search(r"W2: 5 calls", "".join(root.itertext()))


def test_a_bucket_without_calls_breaks_the_line_instead_of_plotting_zero():
    root = parsed(line_chart(["M1", "M2", "M3", "M4"], [("any", [0.2, None, 0.3, 0.1])], title="t"))
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    assert [len(line.get("points").split()) for line in root.iter(f"{SVG}polyline")] == [1, 2]
    assert "M2" not in "".join(t.text or "" for t in root.iter(f"{SVG}title"))


def test_axis_tops_and_ticks_are_round():
    assert [nice_ceiling(x) for x in (0.875, 0.43, 0.21, 3, 0)] == [1.0, 0.5, 0.25, 5, 1.0]
    assert ticks(1.0) == [0, 0.25, 0.5, 0.75, 1.0]
    assert ticks(0.5) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
