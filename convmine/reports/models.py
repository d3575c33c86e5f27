"""Typed report contents: every number a report shows, computed in Python before any rendering.

A report is a dataclass of these rows; its ``tables()`` give the same numbers as :class:`Table`
objects, which both the HTML page and the CSV export are written from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal

from convmine.schema import Call, Tag
from convmine.timezones import local_time

ColumnKind = Literal["text", "int", "pct", "days", "datetime", "call", "labels"]
Outcome = Literal["agreed_follow_up", "asked_questions", "ended_call", "continued"]
OUTCOMES: tuple[Outcome, ...] = ("agreed_follow_up", "asked_questions", "ended_call", "continued")
OUTCOME_NAMES: dict[Outcome, str] = {
    "agreed_follow_up": "agreed to follow-up 同意后续联系",
    "asked_questions": "went on to ask questions 继续提问",
    "ended_call": "ended the call 结束通话",
    "continued": "call went on, no sign either way 其他",
}


def ratio(part: int, whole: int) -> float:
    """``part / whole``, 0 for an empty whole."""
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its key in the rows (and the CSV header), its title, and how to show it."""

    key: str
    title: str
    kind: ColumnKind = "text"


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of plain values under named columns: written to HTML and CSV alike."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]

    def csv_rows(self, tz: tzinfo) -> Iterator[dict[str, Any]]:
        """Rows with datetimes as ISO text in ``tz`` (with its offset), rates to 4 decimals and label lists
        joined by ``;``."""
        for row in self.rows:
            out: dict[str, Any] = {}
            for column in self.columns:
                value = row.get(column.key)
                if isinstance(value, datetime):
                    value = local_time(value, tz)
                elif column.kind == "pct" and value is not None:
                    value = round(value, 4)
                elif isinstance(value, list | tuple):
                    value = "; ".join(str(item) for item in value)
                out[column.key] = value
            yield out


@dataclass(frozen=True, slots=True)
class Series:
    """A family of labels counted together: every label ID equal to, or under, ``prefix``."""

    key: str
    name: str
    prefix: str


@dataclass(frozen=True, slots=True)
class LabelStat:
    """How often one label was found: in how many calls (of ``total_calls``), customers and tags."""

    label: str
    name: str
    calls: int
    customers: int
    mentions: int
    total_calls: int

    @property
    def rate(self) -> float:
        return ratio(self.calls, self.total_calls)


@dataclass(frozen=True, slots=True)
class GroupStat:
    """One agent, team or period: its calls and, per series key, how many of them had that series."""

    key: str
    calls: int
    counts: dict[str, int]
    team: str | None = None

    def rate(self, series: str) -> float:
        return ratio(self.counts.get(series, 0), self.calls)


@dataclass(frozen=True, slots=True)
class OutcomeStat:
    """What followed one objection label in its calls, counted per outcome (see ``reports.outcomes``)."""

    label: str
    name: str
    counts: dict[Outcome, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def recoverable(self) -> float:
        """Share of these objections after which the customer asked questions or agreed to follow up."""
        return ratio(self.counts["agreed_follow_up"] + self.counts["asked_questions"], self.total)


@dataclass(frozen=True, slots=True)
class Quote:
    """A tag's evidence with where it was said: ``turn`` is the whole customer turn, ``span`` the
    evidence's characters in it, ``start`` seconds into the call."""

    label: str
    quote: str
    turn: str
    span: tuple[int, int] | None
    call_id: str
    customer_id: str | None
    agent_id: str | None
    observed_at: datetime
    utterance_index: int
    start: float | None
    confidence: float
    source: str


@dataclass(frozen=True, slots=True)
class Transcript:
    """A call's (masked) turns and its tags as reviewed, for the report's transcript view."""

    call: Call
    observed_at: datetime
    tags: tuple[Tag, ...]


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call in a report's calls table; ``labels`` are the report's labels found in it."""

    call_id: str
    observed_at: datetime
    customer_id: str | None
    agent_id: str | None
    team: str
    turns: int
    labels: tuple[str, ...]
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class AgentDetail:
    """One agent's drill-down: label rates over the agent's calls and what followed objections."""

    agent: GroupStat
    by_label: list[LabelStat]
    outcomes: dict[Outcome, int]


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What every report's header says."""

    kind: str
    title: str
    scope: str
    generated_at: datetime
    taxonomy: str
    period: str
    calls: int
    customers: int
    tz: tzinfo


@dataclass(slots=True)
class CallsView:
    """The calls table and the transcripts a report embeds (capped; ``omitted`` were left out)."""

    rows: list[CallRow] = field(default_factory=list)
    transcripts: list[Transcript] = field(default_factory=list)
    omitted: int = 0
