"""Reports as HTML pages: the report models' numbers laid out as figures, charts and tables.

Nothing is computed here beyond formatting; every figure comes from the report model.
"""

from __future__ import annotations

from convmine.reports.feedback import FeedbackReport
from convmine.reports.models import OUTCOME_NAMES, OUTCOMES, CallsView, ReportMeta, Table
from convmine.reports.objections import ObjectionReport
from convmine.reports.outcomes import ENDING_TURNS
from convmine.reports.page import (
    Section,
    esc,
    folded,
    kpis,
    note,
    page,
    quote_html,
    table_html,
    transcript_anchors,
    transcript_html,
)
from convmine.reports.profiles import ProfilesReport
from convmine.reports.svg import (
    Bar,
    bar_chart,
    diverging_bar_chart,
    line_chart,
    percent,
    plural,
    stacked_bar_chart,
)
from convmine.taxonomy import Taxonomy

OUTCOME_COLORS = ("#3a9a5b", "#2f6db5", "#c0392b", "#9aa5b1")
OUTCOME_RULE = (
    "How the outcome is read (in the same call, after the objection's last occurrence): agreed to follow-up "
    "when a later customer turn gives a contact time or method, or agrees to a next step (add WeChat, send it "
    "to me, book a time, call me back, come to the branch); else asked questions when a later customer turn "
    f"asks about products; else ended the call when at most {ENDING_TURNS - 1} customer turn followed; else "
    "the call went on with no sign either way."
)


def _footer(meta: ReportMeta) -> str:
    return esc(
        f"convmine {meta.kind} report · rates are shares of calls in scope with at least one such tag · "
        "tags as reviewed (reviewers' verdicts applied) · personal numbers are masked in the store · "
        "CSV of every table: convmine report … --csv DIR"
    )


def _tables_by_name(tables: list[Table]) -> dict[str, Table]:
    return {table.name: table for table in tables}


def _calls_sections(
    calls: CallsView, tables: dict[str, Table], meta: ReportMeta, taxonomy: Taxonomy, prefix: str
) -> list[Section]:
    anchors = transcript_anchors(calls.transcripts)
    table = table_html(tables["calls"], meta.tz, anchors=anchors, controls=True, element_id="calls-table")
    transcripts = "".join(
        transcript_html(t, anchors[t.call.call_id], taxonomy, meta.tz, prefix) for t in calls.transcripts
    )
    more = (
        f" {calls.omitted} older ones are left out; `convmine show CALL_ID` prints any call."
        if calls.omitted
        else ""
    )
    return [
        Section("calls", "Calls 通话", note("Click a column to sort; type to filter; a call ID opens its transcript.") + table),
        Section(
            "transcripts", "Transcripts 通话记录",
            note(f"{len(calls.transcripts)} calls with such tags, newest first; evidence is highlighted.{more}") + transcripts,
        ),
    ]  # fmt: skip


def _over_time_section(
    report: ObjectionReport | FeedbackReport, heading: str, title: str, table: str
) -> Section:
    """The trend chart of a report's series per period, with its table folded under it."""
    names = [x.key for x in report.over_time]
    lines = [(s.name, [x.rate(s.key) if x.calls else None for x in report.over_time]) for s in report.series]
    volumes = [x.calls for x in report.over_time]
    chart = line_chart(names, lines, title=title, volumes=volumes)
    return Section("over-time", heading, chart + folded("table", table))


def render_objections(report: ObjectionReport) -> str:
    """The objections report as one self-contained HTML page."""
    meta, tax, tz = report.meta, report.taxonomy, report.meta.tz
    tables = _tables_by_name(report.tables())
    anchors = transcript_anchors(report.calls.transcripts)
    overall, total = report.overall, report.outcome_total
    figures = [(str(overall.calls), "calls"), (str(meta.customers), "customers")]
    figures += [
        (percent(overall.rate(s.key)) if overall.calls else "–", f"calls with {s.name}")
        for s in report.series
    ]
    figures.append(
        (percent(total.recoverable) if total.total else "–", "recoverable: questions or follow-up after")
    )
    sections = [Section("summary", "Summary 概览", kpis(figures))]

    bars = [
        Bar(f"{s.name} {s.label.rsplit('.', 1)[1]}", s.rate, plural(s.calls, "call")) for s in report.by_label
    ]
    sections.append(
        Section(
            "by-type", "Objection rates by type 异议类型",
            bar_chart(bars, title="Share of calls with each objection") + table_html(tables["objections_by_label"], tz),
        )
    )  # fmt: skip
    sections.append(
        _over_time_section(
            report, f"Over time (per {meta.period}) 趋势", "Share of calls with objections over time",
            table_html(tables["objections_over_time"], tz),
        )
    )  # fmt: skip
    any_key = report.series[0].key
    agent_bars = [
        Bar(a.key or "(no agent)", a.rate(any_key), f"{a.counts[any_key]} of {plural(a.calls, 'call')}")
        for a in report.by_agent
    ]
    body = bar_chart(agent_bars, title="Share of each agent's calls with an objection")
    body += table_html(tables["objections_by_agent"], tz)
    if report.by_team:
        team_bars = [
            Bar(t.key, t.rate(any_key), f"{t.counts[any_key]} of {plural(t.calls, 'call')}")
            for t in report.by_team
        ]
        body += "<h3>By team 团队</h3>" + bar_chart(
            team_bars, title="Share of each team's calls with an objection"
        )
        body += table_html(tables["objections_by_team"], tz)
    else:
        body += note("Pass --teams teams.csv (columns agent_id, team) to see teams.")
    sections.append(Section("by-agent", "By agent and team 坐席与团队", body))

    rows = [(f"{s.name} ({s.total})", [s.counts[o] for o in OUTCOMES]) for s in [*report.outcomes, total]]
    series = [(OUTCOME_NAMES[o], c) for o, c in zip(OUTCOMES, OUTCOME_COLORS, strict=True)]
    sections.append(
        Section(
            "after", "After the objection 异议之后",
            note(OUTCOME_RULE)
            + (stacked_bar_chart(rows, series, title="What followed each objection type") if report.outcomes else note("No objections in scope."))
            + table_html(tables["objection_outcomes"], tz),
        )
    )  # fmt: skip

    evidence = []
    for label in (s.label for s in report.by_label):
        quotes = report.quotes.get(label, [])
        if quotes:
            evidence.append(f"<h3>{esc(tax[label].name)} <code>{esc(label)}</code></h3>")
            evidence.extend(quote_html(x, tax, tz, anchors) for x in quotes)
    sections.append(
        Section(
            "evidence", "Strongest evidence 典型原话",
            note("Per objection type: reviewed tags first, then the tagger's most confident; a call ID opens the call at that turn.")
            + ("".join(evidence) or note("No objections in scope.")),
        )
    )  # fmt: skip

    drill = []
    for detail in report.agents:
        agent = detail.agent
        label_bars = [
            Bar(s.name, s.rate, f"{s.calls} of {plural(s.total_calls, 'call')}") for s in detail.by_label
        ]
        outcome_row = [(agent.key or "(no agent)", [detail.outcomes[o] for o in OUTCOMES])]
        inner = note(
            f"team {agent.team or '-'} · {plural(agent.calls, 'call')} · {percent(agent.rate(any_key))} with an objection"
        )
        if label_bars:
            inner += bar_chart(label_bars, title=f"Objections in {agent.key}'s calls")
        if sum(detail.outcomes.values()):
            inner += stacked_bar_chart(
                outcome_row, series, title=f"What followed objections in {agent.key}'s calls"
            )
        inner += f'<button type="button" data-agent="{esc(agent.key)}">show these calls</button>'
        summary = f"{agent.key or '(no agent)'} · {plural(agent.calls, 'call')} · {percent(agent.rate(any_key))} with an objection"
        drill.append(f'<details class="agent"><summary>{esc(summary)}</summary><div>{inner}</div></details>')
    sections.append(
        Section("agents", "Per-agent drill-down 坐席明细", "".join(drill) or note("No calls in scope."))
    )
    sections += _calls_sections(report.calls, tables, meta, tax, "objection")
    return page(meta, sections, _footer(meta))


def render_feedback(report: FeedbackReport) -> str:
    """The voice-of-the-customer report as one self-contained HTML page."""
    meta, tax, tz = report.meta, report.taxonomy, report.meta.tz
    tables = _tables_by_name(report.tables())
    anchors = transcript_anchors(report.calls.transcripts)
    overall = report.overall
    figures = [(str(overall.calls), "calls"), (str(meta.customers), "customers")]
    figures += [
        (percent(overall.rate(s.key)) if overall.calls else "–", f"calls with {s.name}")
        for s in report.series
    ]
    sections = [Section("summary", "Summary 概览", kpis(figures))]

    rows = [
        (f"{a.name} {a.aspect}", float(a.negative_calls), float(a.positive_calls)) for a in report.aspects
    ]
    sections.append(
        Section(
            "aspects", "Praise and criticism by aspect 评价维度",
            diverging_bar_chart(rows, title="Calls with criticism (left) and praise (right) per aspect", names=("criticism 负向", "praise 正向"))
            + table_html(tables["feedback_by_aspect"], tz),
        )
    )  # fmt: skip
    for key, title, stats, table in (
        ("positive", "Positive evaluations 正向评价", report.positive, "feedback_positive"),
        ("negative", "Negative evaluations 负向评价", report.negative, "feedback_negative"),
        ("questions", "Questions customers ask 客户提问", report.questions, "feedback_questions"),
    ):
        bars = [Bar(s.name, s.calls, f"· {plural(s.customers, 'customer')}") for s in stats]
        sections.append(
            Section(
                key,
                title,
                bar_chart(bars, title=title, fmt=lambda n: plural(int(n), "call"))
                + folded("table", table_html(tables[table], tz)),
            )
        )
    complaints = "".join(quote_html(x, tax, tz, anchors) for x in report.complaints)
    sections.append(
        Section(
            "complaints", "Complaints 投诉",
            note(f"{len(report.complaints)} complaint tags in scope, newest first.") + (complaints or note("No complaints in scope.")),
        )
    )  # fmt: skip
    sections.append(
        _over_time_section(
            report, f"Trends (per {meta.period}) 趋势", "Share of calls with each kind of feedback over time",
            table_html(tables["feedback_over_time"], tz),
        )
    )  # fmt: skip
    body = table_html(tables["feedback_by_agent"], tz)
    if "feedback_by_team" in tables:
        body += "<h3>By team 团队</h3>" + table_html(tables["feedback_by_team"], tz)
    sections.append(Section("by-agent", "By agent and team 坐席与团队", body))
    evidence = []
    for stats in (report.positive, report.negative, report.questions):
        for stat in stats:
            quotes = report.quotes.get(stat.label, [])
            if quotes:
                evidence.append(f"<h3>{esc(stat.name)} <code>{esc(stat.label)}</code></h3>")
                evidence.extend(quote_html(x, tax, tz, anchors) for x in quotes)
    sections.append(Section("quotes", "Quotes 客户原话", "".join(evidence) or note("No feedback in scope.")))
    sections += _calls_sections(report.calls, tables, meta, tax, "feedback")
    return page(meta, sections, _footer(meta))


def render_profiles(report: ProfilesReport) -> str:
    """The profiles report as one self-contained HTML page."""
    meta, tz = report.meta, report.meta.tz
    tables = _tables_by_name(report.tables())
    figures = [(str(report.customers), "customers")]
    share = [n / report.customers if report.customers else 0.0 for _, _, n in report.categories]
    figures += [
        (percent(x), f"with {name} {cat}") for (cat, name, _), x in zip(report.categories, share, strict=True)
    ]
    bars = [
        Bar(f"{name} {cat}", x, plural(n, "customer"))
        for (cat, name, n), x in zip(report.categories, share, strict=True)
    ]
    chart = bar_chart(bars, title="Customers with at least one current tag per category", max_value=1)
    sections = [Section("summary", "Summary 概览", kpis(figures) + chart)]
    rows = [
        (f"{c.name} {c.dimension}", [c.fresh, c.stale, report.customers - c.known]) for c in report.coverage
    ]
    series = [("fresh 有效", "#3a9a5b"), ("stale 过期", "#e0b339"), ("unknown 未知", "#d9e2ec")]
    sections.append(
        Section(
            "coverage", "Taxonomy coverage 画像覆盖",
            note("Per dimension: customers whose profile holds a current value, fresh or past its time-to-live, and the rest.")
            + stacked_bar_chart(rows, series, title="Customers known per dimension")
            + table_html(tables["profile_coverage"], tz),
        )
    )  # fmt: skip
    for worklist in report.worklists:
        table = tables[f"worklist_{worklist.rule.key}"]
        sections.append(
            Section(
                f"list-{worklist.rule.key}", worklist.rule.title,
                note(f"{len(worklist.rows)} customers.") + table_html(table, tz, controls=True),
            )
        )  # fmt: skip
    return page(meta, sections, _footer(meta))
