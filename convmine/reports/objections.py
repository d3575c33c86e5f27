"""The objections report: how often customers object, of which kind, to whom, when, and what followed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from convmine.reports import data as q
from convmine.reports.models import (
    OUTCOME_NAMES,
    OUTCOMES,
    AgentDetail,
    CallsView,
    Column,
    GroupStat,
    LabelStat,
    Outcome,
    OutcomeStat,
    Quote,
    ReportMeta,
    Series,
    Table,
)
from convmine.reports.outcomes import call_outcome, objection_outcomes
from convmine.reports.scope import Scope
from convmine.reports.tables import calls_table, group_table, label_table, quotes_table
from convmine.store import ProfileStore
from convmine.taxonomy import Taxonomy

CATEGORY = "objection"


@dataclass(slots=True)
class ObjectionReport:
    """Everything the objections report shows; numbers are calls with the objection unless named tags."""

    meta: ReportMeta
    series: tuple[Series, ...]
    overall: GroupStat
    by_label: list[LabelStat]
    by_agent: list[GroupStat]
    by_team: list[GroupStat]
    over_time: list[GroupStat]
    outcomes: list[OutcomeStat]
    quotes: dict[str, list[Quote]]
    agents: list[AgentDetail]
    calls: CallsView
    taxonomy: Taxonomy

    @property
    def outcome_total(self) -> OutcomeStat:
        counts = {o: sum(s.counts[o] for s in self.outcomes) for o in OUTCOMES}
        return OutcomeStat(CATEGORY, "all objections 全部异议", counts)

    def tables(self) -> list[Table]:
        agent = Column("agent_id", "agent 坐席")
        tables = [
            label_table("objections_by_label", "Objection rates by type", self.by_label, self.taxonomy),
            group_table(
                "objections_by_agent",
                "Objection rates by agent",
                agent,
                self.by_agent,
                self.series,
                team=True,
            ),
        ]
        if self.by_team:
            team = Column("team", "team 团队")
            tables.append(
                group_table("objections_by_team", "Objection rates by team", team, self.by_team, self.series)
            )
        period = Column("period", f"{self.meta.period} 时间")
        tables += [
            group_table("objections_over_time", "Objection rates over time", period, self.over_time, self.series),
            outcome_table([*self.outcomes, self.outcome_total]),
            quotes_table(
                "objection_quotes", "Strongest evidence per objection type",
                (quote for quotes in self.quotes.values() for quote in quotes), self.taxonomy,
            ),
            calls_table(self.calls.rows, "objections 异议", self.taxonomy, outcome=True),
        ]  # fmt: skip
        return tables


def outcome_table(stats: list[OutcomeStat]) -> Table:
    columns = (
        Column("label", "label"),
        Column("name", "name 名称"),
        Column("objections", "objections (calls)", "int"),
        *(Column(o, OUTCOME_NAMES[o], "int") for o in OUTCOMES),
        Column("recoverable", "recoverable (questions or follow-up)", "pct"),
    )
    rows = [
        {"label": s.label, "name": s.name, "objections": s.total, **s.counts, "recoverable": s.recoverable}
        for s in stats
    ]
    return Table("objection_outcomes", "What happened after the objection, in the same call", columns, rows)


def series_of(taxonomy: Taxonomy) -> tuple[Series, ...]:
    """Any objection, then one series per objection dimension (refusal, risk, and any a bank adds)."""
    dimensions = {label.dimension: label.dimension_name for label in q.labels_under(taxonomy, CATEGORY)}
    return (
        Series("any", "any objection 任一异议", CATEGORY),
        *(
            Series(dim.rsplit(".", 1)[1], f"{dim.rsplit('.', 1)[1]} {name}", dim)
            for dim, name in dimensions.items()
        ),
    )


def build_objections(
    store: ProfileStore, scope: Scope | None = None, *, now: datetime | None = None
) -> ObjectionReport:
    """Count objections in the calls in ``scope`` (default: every call) from the store."""
    scope = scope or Scope()
    data = q.load(store, scope)
    taxonomy = store.taxonomy
    labels = q.labels_under(taxonomy, CATEGORY)
    series = series_of(taxonomy)

    per_label: dict[str, Counter[Outcome]] = defaultdict(Counter)
    per_agent: dict[str, Counter[Outcome]] = defaultdict(Counter)
    per_call: dict[str, str] = {}
    objected = [
        (record, [obs.tag for obs in data.tags[record.call_id]])
        for record in data.records
        if any(obs.tag.label.startswith(CATEGORY + ".") for obs in data.tags.get(record.call_id, []))
    ]
    data.fetch(record.call_id for record, _ in objected)
    for record, tags in objected:
        call = data.call(record.call_id)
        if call is None:
            continue
        found = objection_outcomes(call, tags, CATEGORY)
        for label, outcome in found.items():
            per_label[label][outcome] += 1
            per_agent[record.agent_id or ""][outcome] += 1
        last = call_outcome(found)
        per_call[record.call_id] = OUTCOME_NAMES[last] if last else ""

    outcomes = [
        OutcomeStat(label.id, label.name, {o: per_label[label.id][o] for o in OUTCOMES})
        for label in labels
        if label.id in per_label
    ]
    period, time_stats = q.over_time(data, series)
    overall = q.group_stats(data, lambda r: "all", series, ["all"])[0]
    agent_stats = q.by_agent(data, series)
    agents = [
        AgentDetail(
            stat,
            [
                s
                for s in q.label_stats(
                    data, labels, [r for r in data.records if (r.agent_id or "") == stat.key]
                )
                if s.calls
            ],
            {o: per_agent[stat.key][o] for o in OUTCOMES},
        )
        for stat in agent_stats
    ]
    return ObjectionReport(
        meta=q.meta("objections", "Objections 客户异议", data, period, now),
        series=series,
        overall=overall,
        by_label=q.label_stats(data, labels),
        by_agent=agent_stats,
        by_team=q.by_team(data, series),
        over_time=time_stats,
        outcomes=outcomes,
        quotes=q.top_quotes(data, CATEGORY),
        agents=agents,
        calls=q.calls_view(data, CATEGORY, per_call),
        taxonomy=taxonomy,
    )
