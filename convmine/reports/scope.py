"""What a report covers: a time range, an agent, a customer or a team, and how time is bucketed.

Teams are not part of the store: a bank passes them as a CSV file mapping agents to teams
(:func:`read_teams`), since team membership changes more often than calls are re-tagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Literal, TypedDict

from convmine.errors import ConvmineError, InputError
from convmine.ingest.values import read_table
from convmine.store import CallRecord
from convmine.text.pii import mask
from convmine.timezones import CHINA_TIME, check_order

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
NO_TEAM = "(no team)"


class StoreFilter(TypedDict):
    """The keyword filters :meth:`ProfileStore.calls` and ``observations`` take."""

    customer_id: str | None
    agent_id: str | None
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True, slots=True)
class Scope:
    """The calls a report covers (``[since, until)``, an agent, a customer, a team) and how it shows time.

    ``teams`` maps agent IDs to team names (see :func:`read_teams`); ``team`` keeps only that team's
    agents. ``period`` buckets trends by day, week (starting Monday) or month; ``None`` picks one by
    the span of the calls. Dates are shown and bucketed in ``tz``.
    """

    since: datetime | None = None
    until: datetime | None = None
    agent_id: str | None = None
    customer_id: str | None = None
    team: str | None = None
    teams: Mapping[str, str] = field(default_factory=dict)
    tz: tzinfo = CHINA_TIME
    period: Period | None = None

    def __post_init__(self) -> None:
        if self.team is not None and not self.teams:
            raise ConvmineError(
                "a team filter needs the agents' teams: pass --teams teams.csv (agent_id,team)"
            )
        if self.team is not None and self.team not in set(self.teams.values()):
            known = ", ".join(sorted(set(self.teams.values())))
            raise ConvmineError(f"unknown team {self.team!r}; the teams file names {known}")
        check_order(self.since, self.until)

    def team_of(self, agent_id: str | None) -> str:
        return self.teams.get(agent_id or "", NO_TEAM)

    def store_filter(self) -> dict[str, object]:
        """The keyword filters :meth:`ProfileStore.calls` and ``observations`` take."""
        return {
            "customer_id": self.customer_id,
            "agent_id": self.agent_id,
            "since": self.since,
            "until": self.until,
        }

    def includes(self, record: CallRecord) -> bool:
        """Whether a call the store returned for :meth:`store_filter` is in scope (the team filter)."""
        return self.team is None or self.team_of(record.agent_id) == self.team

    def describe(self) -> str:
        """One line saying what the report covers."""
        first = self.local(self.since).date().isoformat() if self.since else None
        last = (self.local(self.until) - timedelta(microseconds=1)).date().isoformat() if self.until else None
        if first and last:
            parts = [f"calls {first} – {last}"]
        elif first or last:
            parts = [f"calls from {first}" if first else f"calls up to {last}"]
        else:
            parts = ["all calls"]
        for name, value in (("team", self.team), ("agent", self.agent_id), ("customer", self.customer_id)):
            if value:
                parts.append(f"{name} {value}")
        return ", ".join(parts)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def period_for(self, moments: list[datetime]) -> Period:
        """``period`` or, when unset, day for a month of calls or less, week up to half a year, else month."""
        if self.period is not None:
            return self.period
        span = max(moments) - min(moments) if moments else timedelta(0)
        if span <= timedelta(days=31):
            return "day"
        return "week" if span <= timedelta(days=183) else "month"

    def buckets(self, moments: list[datetime]) -> tuple[Period, list[date]]:
        """The period and every bucket from the first call's to the last call's, gaps included (not from
        the scope's bounds, which may lie years past the calls)."""
        period = self.period_for(moments)
        if not moments:
            return period, []
        current, end = (bucket_of(self.local(moment), period) for moment in (min(moments), max(moments)))
        found: list[date] = []
        while current <= end:
            found.append(current)
            current = _next_bucket(current, period)
        return period, found


def bucket_of(moment: datetime, period: Period) -> date:
    """The first day of the bucket ``moment`` (already in the report's time zone) falls in."""
    day = moment.date()
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def bucket_name(start: date, period: Period) -> str:
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start:%Y-%m}"
    return start.isoformat()


def _next_bucket(start: date, period: Period) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def read_teams(path: str | Path) -> dict[str, str]:
    """Read an agent → team mapping: a CSV file with ``agent_id`` and ``team`` columns (UTF-8, UTF-16 or
    GBK, comma-, tab- or semicolon-separated, as a spreadsheet saves it)."""
    source = str(path)
    table = read_table(Path(path), "the teams file")
    header = [name.strip() for name in table[0]] if table else []
    rows = [
        (line, dict(zip(header, cells, strict=False)))
        for line, cells in enumerate(table[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    if not rows or not {"agent_id", "team"} <= set(header):
        raise InputError(
            "a teams file is a CSV with the columns agent_id and team, one agent a row", source, 1
        )
    teams: dict[str, str] = {}
    for line, cells in rows:
        row = {key.strip(): mask((value or "").strip()) for key, value in cells.items()}  # shown in reports
        agent, team = row["agent_id"], row["team"]
        if not agent or not team:
            raise InputError("agent_id and team must both be filled in", source, line)
        if teams.get(agent, team) != team:
            raise InputError(f"agent {agent!r} is in two teams: {teams[agent]!r} and {team!r}", source, line)
        teams[agent] = team
    return teams
