"""Report rows as :class:`Table` objects (the HTML tables and the CSV files), and the CSV writer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo
from pathlib import Path

from convmine.export import write_csv
from convmine.reports.models import CallRow, Column, GroupStat, LabelStat, Quote, Series, Table
from convmine.taxonomy import Taxonomy


def label_table(name: str, title: str, stats: Sequence[LabelStat], taxonomy: Taxonomy) -> Table:
    columns = (
        Column("label", "label"),
        Column("name", "name 名称"),
        Column("dimension", "dimension 维度"),
        Column("calls", "calls", "int"),
        Column("rate", "share of calls", "pct"),
        Column("customers", "customers", "int"),
        Column("mentions", "tags", "int"),
    )
    rows = [
        {
            "label": s.label,
            "name": s.name,
            "dimension": taxonomy[s.label].dimension_name if s.label in taxonomy else "",
            "calls": s.calls,
            "rate": s.rate,
            "customers": s.customers,
            "mentions": s.mentions,
        }
        for s in stats
    ]
    return Table(name, title, columns, rows)


def group_table(
    name: str,
    title: str,
    key: Column,
    stats: Sequence[GroupStat],
    series: Sequence[Series],
    *,
    team: bool = False,
) -> Table:
    """One row per group: its calls and, per series, calls with it and their share."""
    columns = [key, *([Column("team", "team 团队")] if team else []), Column("calls", "calls", "int")]
    for s in series:
        columns += [
            Column(f"{s.key}_calls", f"{s.name}: calls", "int"),
            Column(f"{s.key}_rate", f"{s.name}: share", "pct"),
        ]
    rows = []
    for stat in stats:
        row: dict[str, object] = {key.key: stat.key, "team": stat.team, "calls": stat.calls}
        for s in series:
            row[f"{s.key}_calls"] = stat.counts.get(s.key, 0)
            row[f"{s.key}_rate"] = stat.rate(s.key) if stat.calls else None  # no calls: no rate
        rows.append(row)
    return Table(name, title, tuple(columns), rows)


def quotes_table(name: str, title: str, quotes: Iterable[Quote], taxonomy: Taxonomy) -> Table:
    columns = (
        Column("label", "label"),
        Column("name", "name 名称"),
        Column("quote", "evidence 证据"),
        Column("turn", "whole turn 原话"),
        Column("call_id", "call", "call"),
        Column("customer_id", "customer"),
        Column("agent_id", "agent"),
        Column("observed_at", "call time", "datetime"),
        Column("start", "seconds into call"),
        Column("confidence", "confidence"),
        Column("source", "source"),
    )
    rows = [
        {
            "label": q.label,
            "name": taxonomy[q.label].name if q.label in taxonomy else "",
            "quote": q.quote,
            "turn": q.turn,
            "call_id": q.call_id,
            "customer_id": q.customer_id,
            "agent_id": q.agent_id,
            "observed_at": q.observed_at,
            "start": q.start,
            "confidence": round(q.confidence, 3),
            "source": q.source,
            "utterance_index": q.utterance_index,
        }
        for q in quotes
    ]
    return Table(name, title, columns, rows)


def calls_table(
    rows: Sequence[CallRow], labels_title: str, taxonomy: Taxonomy, *, outcome: bool = False
) -> Table:
    """The calls table; its labels column names the labels (in Chinese), the quotes tables give IDs."""
    columns = [
        Column("call_id", "call", "call"),
        Column("observed_at", "time", "datetime"),
        Column("customer_id", "customer"),
        Column("agent_id", "agent"),
        Column("team", "team 团队"),
        Column("turns", "turns", "int"),
        Column("labels", labels_title, "labels"),
    ]
    if outcome:
        columns.append(Column("outcome", "after the last objection"))
    data = [
        {
            "call_id": r.call_id,
            "observed_at": r.observed_at,
            "customer_id": r.customer_id,
            "agent_id": r.agent_id,
            "team": r.team,
            "turns": r.turns,
            "labels": [taxonomy[label].name if label in taxonomy else label for label in r.labels],
            "outcome": r.outcome,
        }
        for r in rows
    ]
    return Table("calls", "Calls", tuple(columns), data)


def write_tables(tables: Iterable[Table], directory: str | Path, tz: tzinfo) -> list[Path]:
    """Write each table to ``directory/<name>.csv`` (UTF-8 with a BOM, so Excel reads the Chinese), times
    in ``tz``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            write_csv(table.csv_rows(tz), stream, [column.key for column in table.columns])
        written.append(path)
    return written
