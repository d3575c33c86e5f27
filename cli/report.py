"""``convmine report …``: self-contained HTML reports (and CSV tables) for quality and sales teams."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from convmine.cli.options import Agent, Customer, Db, Since, StoreTaxonomyOpt, Until
from convmine.timezones import DEFAULT_UTC_OFFSET


class PeriodChoice(StrEnum):
    day = "day"
    week = "week"
    month = "month"


report_app = typer.Typer(
    help="Write an HTML report (one self-contained file) and, with --csv, its tables as CSV.",
    no_args_is_help=True,
)

Out = Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.", dir_okay=False)]
Teams = Annotated[
    Path | None,
    typer.Option("--teams", help="CSV file with columns agent_id and team: adds rates by team.", exists=True),
]
Team = Annotated[str | None, typer.Option("--team", help="Only this team's calls (needs --teams).")]
Period = Annotated[
    PeriodChoice | None, typer.Option(help="Trend buckets (default: by the span of the calls).")
]
Offset = Annotated[str, typer.Option("--utc-offset", help="Time zone of dates shown and given, e.g. +08:00.")]
Csv = Annotated[
    Path | None,
    typer.Option("--csv", help="Also write every table as CSV (and review.csv for `convmine review import`) here.",
                 file_okay=False),
]  # fmt: skip


def _write(
    name: str,
    db: str,
    out: Path,
    csv_dir: Path | None,
    taxonomy: Path | None,
    offset: str,
    *,
    since: str | None = None,
    until: str | None = None,
    agent: str | None = None,
    customer: str | None = None,
    team: str | None = None,
    teams: Path | None = None,
    period: PeriodChoice | None = None,
) -> None:
    from convmine.cli.main import _errors, _reading_store, err
    from convmine.reports import Scope, read_teams, write_report
    from convmine.reports.svg import plural
    from convmine.timezones import parse_offset, parse_range

    with _errors():
        tz = parse_offset(offset)
        start, end = parse_range(
            since, until, tz, ("--since", "--as-of" if name == "profiles" else "--until")
        )
        scope = Scope(
            since=start,
            until=end,
            agent_id=agent,
            customer_id=customer,
            team=team,
            teams=read_teams(teams) if teams else {},
            tz=tz,
            period=period.value if period else None,
        )
        with _reading_store(db, taxonomy) as store:
            written = write_report(name, store, scope, out, csv_dir=csv_dir)
    meta = written.report.meta
    counts = f"{plural(meta.calls, 'call')}, {plural(meta.customers, 'customer')}"
    err.print(f"Wrote the {name} report ({counts}) to {written.html}.")
    if written.csv:
        err.print(f"Wrote {len(written.csv)} CSV files to {csv_dir}.")


def _scoped_report(name: str, summary: str) -> None:
    """Register ``convmine report NAME``: a report on the calls in a scope (dates, agent, customer, team)."""

    def command(
        out: Out,
        db: Db = "convmine.db",
        since: Since = None,
        until: Until = None,
        agent: Agent = None,
        customer: Customer = None,
        teams: Teams = None,
        team: Team = None,
        period: Period = None,
        utc_offset: Offset = DEFAULT_UTC_OFFSET,
        csv_dir: Csv = None,
        taxonomy: StoreTaxonomyOpt = None,
    ) -> None:
        _write(
            name, db, out, csv_dir, taxonomy, utc_offset, since=since, until=until, agent=agent,
            customer=customer, team=team, teams=teams, period=period,
        )  # fmt: skip

    command.__doc__ = summary
    report_app.command(name)(command)


_scoped_report(
    "objections", "Objections: rates by type, agent, team and over time, what followed them, evidence, calls."
)
_scoped_report(
    "feedback",
    "Voice of the customer: praise and criticism by aspect, complaints, questions, trends, quotes.",
)


@report_app.command()
def profiles(
    out: Out,
    db: Db = "convmine.db",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Merge profiles as they stood at this day or time (default: now)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only customers with a call from this day on.")] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only customers this agent has called.")
    ] = None,
    teams: Annotated[
        Path | None,
        typer.Option("--teams", help="CSV file with columns agent_id and team, for --team.", exists=True),
    ] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only customers this team has called.")] = None,
    utc_offset: Offset = DEFAULT_UTC_OFFSET,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Also write every table as CSV here.", file_okay=False)
    ] = None,
    taxonomy: StoreTaxonomyOpt = None,
) -> None:
    """Profile coverage across customers (known, fresh, stale per dimension) and next-call work lists."""
    _write(
        "profiles", db, out, csv_dir, taxonomy, utc_offset, since=since, until=as_of, agent=agent, team=team,
        teams=teams,
    )  # fmt: skip
