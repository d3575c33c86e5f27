"""HTML building blocks for reports: one self-contained page, tables, quotes and transcripts.

Everything that came from a call or a file (texts, IDs, names, labels) goes through :func:`esc`;
the page's script reads the DOM and never writes HTML. Nothing is fetched: styles and script are
inline and fonts are the reader's own (a list of common CJK fonts, so Chinese renders anywhere).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape
from string import Template
from typing import Any

import convmine
from convmine.reports.models import Quote, ReportMeta, Table, Transcript
from convmine.taxonomy import Taxonomy

FILTER_COLUMNS = ("agent_id", "team", "outcome", "customer_id")
_CSS = """
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #2f6db5; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #f5f7fa; line-height: 1.5;
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 14px; }
header { background: #16324f; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #cfd8e3; }
nav { background: #fff; border-bottom: 1px solid var(--line); padding: 8px 28px; position: sticky; top: 0; z-index: 2; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; white-space: nowrap; }
main { padding: 8px 28px 40px; max-width: 1200px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 16px 0; padding: 14px 20px; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.note { color: var(--muted); margin: 4px 0 10px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 22px; }
.kpi span { color: var(--muted); }
svg.chart { width: 100%; height: auto; max-width: 980px; display: block; margin: 6px 0 12px; }
svg.chart text { font-size: 12px; fill: var(--ink); }
svg.chart text.value, svg.chart text.tick { fill: var(--muted); }
svg.chart text.inbar { fill: #fff; font-size: 11px; } svg.chart text.inbar-dark { fill: #3e4c59; font-size: 11px; }
svg.chart .grid { stroke: #e4e7eb; } svg.chart .axis { stroke: #9aa5b1; }
.table-wrap { overflow-x: auto; margin: 6px 0 12px; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
.controls input, .controls select { font: inherit; padding: 4px 8px; border: 1px solid #bcccdc; border-radius: 4px; max-width: 240px; }
.controls .shown { color: var(--muted); }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.data th { background: #f0f4f8; position: sticky; top: 0; cursor: pointer; user-select: none; white-space: nowrap; }
table.data th[aria-sort="ascending"]::after { content: " ▲"; } table.data th[aria-sort="descending"]::after { content: " ▼"; }
table.data td.nowrap { white-space: nowrap; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
blockquote.quote { margin: 6px 0 10px; padding: 6px 12px; border-left: 4px solid var(--accent); background: #f8fafc; }
blockquote.quote p { margin: 0 0 2px; }
blockquote.quote footer { color: var(--muted); font-size: 12px; }
details { margin: 6px 0; } summary { cursor: pointer; }
details.agent > div { padding: 4px 0 8px 18px; }
ol.turns { list-style: none; padding: 0; margin: 6px 0 12px; }
ol.turns li { padding: 3px 6px; border-radius: 4px; }
ol.turns li:target { background: #fff3c4; }
ol.turns li.customer { background: #f1f8f3; } ol.turns li.customer:target { background: #fff3c4; }
.who { display: inline-block; width: 70px; color: var(--muted); } .time { display: inline-block; width: 56px; color: var(--muted); font-variant-numeric: tabular-nums; }
mark { background: #ffe08a; padding: 0 1px; }
mark.overlap { background: #f5b84b; }
.chip { display: inline-block; margin: 0 4px 0 0; padding: 0 6px; border-radius: 10px; background: #e3ecf7; color: #16324f; font-size: 12px; }
.chip.review { background: #dff3e4; }
footer.page { color: var(--muted); padding: 0 28px 30px; font-size: 12px; }
code { font-size: 12px; }
@media print { nav { display: none; } section { break-inside: avoid; } }
"""
_JS = """
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  function key(row, i, kind) {
    var cell = row.cells[i], v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent; }
    if (kind === "int" || kind === "pct" || kind === "days") { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return v.toLowerCase();
  }
  each(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, i) {
      th.tabIndex = 0;
      function sort() {
        var kind = th.getAttribute("data-kind"), up = th.getAttribute("aria-sort") !== "ascending";
        each(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) { var x = key(a, i, kind), y = key(b, i, kind); return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1); });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  });
  each(document.querySelectorAll(".controls"), function (box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    var text = box.querySelector("input"), selects = box.querySelectorAll("select"), shown = box.querySelector(".shown");
    function apply() {
      var terms = text.value.toLowerCase().split(/\\s+/).filter(Boolean), n = 0;
      each(table.tBodies[0].rows, function (row) {
        var all = row.textContent.toLowerCase(), ok = terms.every(function (t) { return all.indexOf(t) >= 0; });
        each(selects, function (s) { if (ok && s.value !== "") { ok = row.cells[+s.getAttribute("data-column")].textContent === s.value; } });
        row.hidden = !ok; if (ok) { n += 1; }
      });
      shown.textContent = n + " / " + table.tBodies[0].rows.length;
    }
    text.addEventListener("input", apply);
    each(selects, function (s) { s.addEventListener("change", apply); });
    apply();
  });
  each(document.querySelectorAll("button[data-agent]"), function (button) {
    button.addEventListener("click", function () {
      var select = document.querySelector('select[data-name="agent_id"]');
      if (!select) { return; }
      select.value = button.getAttribute("data-agent");
      select.dispatchEvent(new Event("change"));
      location.hash = "calls";
    });
  });
  function reveal() {
    var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (!target) { return; }
    for (var node = target; node; node = node.parentElement) { if (node.tagName === "DETAILS") { node.open = true; } }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  reveal();
}());
"""
_PAGE = Template("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="convmine $version">
<title>$title</title>
<style>$css</style>
</head>
<body>
<header><h1>$title</h1><p>$subtitle</p></header>
<nav>$nav</nav>
<main>
$sections
</main>
<footer class="page">$footer</footer>
<script>$js</script>
</body>
</html>
""")


def esc(value: Any) -> str:
    """Text for HTML (element content and quoted attributes alike); ``None`` is empty."""
    return "" if value is None else escape(str(value), quote=True)


@dataclass(frozen=True, slots=True)
class Section:
    """A page section: its anchor, heading and (already escaped) HTML body."""

    id: str
    title: str
    body: str


def page(meta: ReportMeta, sections: Sequence[Section], footer: str) -> str:
    """The whole report: header, navigation, sections and footer in one HTML document."""
    subtitle = (
        f"{meta.scope} · {meta.calls} calls, {meta.customers} customers · taxonomy {meta.taxonomy} · "
        f"generated {when(meta.generated_at, meta.tz)}"
    )
    return _PAGE.substitute(
        version=esc(convmine.__version__),
        title=esc(meta.title),
        subtitle=esc(subtitle),
        css=_CSS,
        js=_JS,
        nav="".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections),
        sections="\n".join(
            f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections
        ),
        footer=footer,
    )


def when(moment: datetime | None, tz: tzinfo) -> str:
    return "" if moment is None else f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def kpis(items: Iterable[tuple[str, str]]) -> str:
    """Headline figures: ``(figure, what it is)`` pairs."""
    return (
        '<div class="kpis">'
        + "".join(f'<div class="kpi"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for v, k in items)
        + "</div>"
    )


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def _cell(value: Any, kind: str, tz: tzinfo, anchors: dict[str, str]) -> str:
    if value is None or value == "":
        return "<td></td>"
    if kind == "pct":
        return f'<td class="num" data-sort="{value:.6f}">{value * 100:.1f}%</td>'
    if kind in ("int", "days"):
        return f'<td class="num" data-sort="{esc(value)}">{esc(value)}</td>'
    if kind == "datetime":
        return f'<td class="nowrap" data-sort="{esc(value.isoformat())}">{esc(when(value, tz))}</td>'
    if kind == "labels":
        return f"<td>{esc('、'.join(str(v) for v in value))}</td>"
    if kind == "call":
        text = f'<a href="#{anchors[value]}">{esc(value)}</a>' if value in anchors else esc(value)
        return f'<td class="nowrap">{text}</td>'
    return f"<td>{esc(value)}</td>"


def table_html(
    table: Table,
    tz: tzinfo,
    *,
    anchors: dict[str, str] | None = None,
    controls: bool = False,
    element_id: str | None = None,
) -> str:
    """A sortable table; ``controls`` adds a text filter and a drop-down per :data:`FILTER_COLUMNS` column."""
    anchors = anchors or {}
    table_id = element_id or f"table-{table.name}"
    head = "".join(f'<th data-kind="{c.kind}" scope="col">{esc(c.title)}</th>' for c in table.columns)
    body = "\n".join(
        "<tr>" + "".join(_cell(row.get(c.key), c.kind, tz, anchors) for c in table.columns) + "</tr>"
        for row in table.rows
    )
    bar = ""
    if controls:
        selects = []
        for i, column in enumerate(table.columns):
            if column.key in FILTER_COLUMNS:
                values = sorted({str(row[column.key]) for row in table.rows if row.get(column.key)})
                options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
                selects.append(
                    f'<select data-column="{i}" data-name="{esc(column.key)}" aria-label="{esc(column.title)}">'
                    f'<option value="">all {esc(column.title)}</option>{options}</select>'
                )
        bar = (
            f'<div class="controls" data-table="{esc(table_id)}"><input type="search" placeholder="filter: any text" '
            f'aria-label="filter rows">{"".join(selects)}<span class="shown"></span></div>'
        )
    return (
        f'{bar}<div class="table-wrap"><table class="data sortable" id="{esc(table_id)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def folded(summary: str, body: str) -> str:
    return f"<details><summary>{esc(summary)}</summary>{body}</details>"


def transcript_anchors(transcripts: Sequence[Transcript]) -> dict[str, str]:
    """Call ID → the element ID of its transcript (IDs from calls are not safe as element IDs)."""
    return {t.call.call_id: f"call-{i}" for i, t in enumerate(transcripts)}


def quote_html(quote: Quote, taxonomy: Taxonomy, tz: tzinfo, anchors: dict[str, str]) -> str:
    anchor = anchors.get(quote.call_id)
    call = esc(quote.call_id)
    if anchor:
        call = f'<a href="#{anchor}-u{quote.utterance_index}">{call}</a>'
    at = when(quote.observed_at, tz) + (
        f", {clock(quote.start)} into the call" if quote.start is not None else ""
    )
    name = taxonomy[quote.label].name if quote.label in taxonomy else quote.label
    spans = [(*quote.span, quote.label)] if quote.span else []
    return (
        f'<blockquote class="quote"><p>「{_marked(quote.turn, spans)}」</p><footer>{esc(name)} · call {call} · '
        f"customer {esc(quote.customer_id or '-')} · agent {esc(quote.agent_id or '-')} · {esc(at)} · "
        f"{esc(quote.source)} {quote.confidence:.2f}</footer></blockquote>"
    )


def _marked(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` escaped, with each evidence span in a ``<mark>`` titled with its labels; where spans
    overlap (a clause inside a whole-turn tag) the mark is darker (class ``overlap``)."""
    owners: list[list[str]] = [[] for _ in text]
    for start, end, label in spans:
        for i in range(max(start, 0), min(end, len(text))):
            owners[i].append(label)
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and owners[j] == owners[i]:
            j += 1
        piece = esc(text[i:j])
        overlap = ' class="overlap"' if len(owners[i]) > 1 else ""
        out.append(
            f'<mark{overlap} title="{esc(", ".join(owners[i]))}">{piece}</mark>' if owners[i] else piece
        )
        i = j
    return "".join(out)


def transcript_html(
    transcript: Transcript, anchor: str, taxonomy: Taxonomy, tz: tzinfo, highlight: str
) -> str:
    """A call's turns, evidence marked and labels as chips; folded, opened by links to it."""
    call = transcript.call
    by_turn: dict[int, list[Any]] = {}
    for tag in transcript.tags:
        by_turn.setdefault(tag.evidence.utterance_index, []).append(tag)
    items = []
    for u in call.utterances:
        tags = by_turn.get(u.index, [])
        spans = [(t.evidence.span[0], t.evidence.span[1], t.label) for t in tags if t.evidence.span]
        chips = "".join(
            f'<span class="chip{" review" if t.source == "review" else ""}" title="{esc(t.label)} ({esc(t.source)} '
            f'{t.confidence:.2f})">{esc(taxonomy[t.label].name if t.label in taxonomy else t.label)}</span>'
            for t in tags
        )
        items.append(
            f'<li id="{anchor}-u{u.index}" class="{esc(u.speaker)}"><span class="time">{clock(u.start)}</span>'
            f'<span class="who">{esc(u.speaker)}</span>{_marked(u.text, spans)} {chips}</li>'
        )
    found = sorted(
        {
            taxonomy[t.label].name
            for t in transcript.tags
            if t.label.startswith(highlight) and t.label in taxonomy
        }
    )
    summary = (
        f"{call.call_id} · {when(transcript.observed_at, tz)} · customer {call.customer_id or '-'} · "
        f"agent {call.agent_id or '-'} · {'、'.join(found)}"
    )
    return f'<details class="transcript" id="{anchor}"><summary>{esc(summary)}</summary><ol class="turns">{"".join(items)}</ol></details>'
