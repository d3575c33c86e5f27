"""Reports for quality and sales teams: objections, the voice of the customer, and profile coverage.

Each report is built in three steps: read the calls and tags (as reviewed) in a :class:`Scope`
from the store, count them into a typed report model, and render the model as one self-contained
HTML page (inline SVG charts, no network) or as CSV tables.

>>> from convmine.store import open_store
>>> from convmine.reports import Scope, write_report
>>> with open_store("convmine.db") as store:
...     write_report("objections", store, Scope(), "objections.html", csv_dir="objections-csv")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from convmine.errors import ConvmineError
from convmine.reports.feedback import FeedbackReport, build_feedback
from convmine.reports.objections import ObjectionReport, build_objections
from convmine.reports.profiles import DEFAULT_WORKLISTS, ProfilesReport, WorklistRule, build_profiles
from convmine.reports.render import render_feedback, render_objections, render_profiles
from convmine.reports.scope import PERIODS, Period, Scope, read_teams
from convmine.reports.tables import write_tables
from convmine.review import write_review_csv
from convmine.store import LabelFilter, ProfileStore


@dataclass(frozen=True, slots=True)
class ReportKind:
    """A report: how to build its model, how to render it, and which tags its review CSV lists."""

    build: Callable[..., Any]
    render: Callable[[Any], str]
    review_labels: LabelFilter


#: Report name → how to make it. A new report is one entry here.
REPORTS: dict[str, ReportKind] = {
    "objections": ReportKind(build_objections, render_objections, "objection"),
    "feedback": ReportKind(build_feedback, render_feedback, "feedback"),
    "profiles": ReportKind(build_profiles, render_profiles, None),
}


@dataclass(frozen=True, slots=True)
class Written:
    """What :func:`write_report` wrote."""

    html: Path
    csv: list[Path]
    report: Any


def write_report(
    name: str,
    store: ProfileStore,
    scope: Scope,
    out: str | Path,
    *,
    csv_dir: str | Path | None = None,
    now: datetime | None = None,
    **options: Any,
) -> Written:
    """Build report ``name`` (a key of :data:`REPORTS`) and write it to the HTML file ``out``.

    ``csv_dir`` also gets every table as CSV and ``review.csv``: the report's tags with an empty
    ``verdict`` column for ``convmine review import`` (the profiles report has none).
    ``options`` go to the builder (``as_of=`` for profiles).
    """
    kind = REPORTS.get(name)
    if kind is None:
        raise ConvmineError(f"unknown report {name!r}; choose one of {', '.join(REPORTS)}")
    report = kind.build(store, scope, now=now, **options)
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(kind.render(report), encoding="utf-8")
        written = write_tables(report.tables(), csv_dir, scope.tz) if csv_dir is not None else []
        if csv_dir is not None and name != "profiles":
            review = Path(csv_dir) / "review.csv"
            with review.open("w", encoding="utf-8-sig", newline="") as stream:
                write_review_csv(
                    store, stream, labels=kind.review_labels, tagged_only=True,
                    call_ids={row.call_id for row in report.calls.rows}, tz=scope.tz, **scope.store_filter(),
                )  # fmt: skip
            written.append(review)
    except OSError as exc:
        raise ConvmineError(f"cannot write the {name} report: {exc}; check the output folder") from None
    return Written(path, written, report)


__all__ = [
    "DEFAULT_WORKLISTS",
    "PERIODS",
    "REPORTS",
    "FeedbackReport",
    "ObjectionReport",
    "Period",
    "ProfilesReport",
    "ReportKind",
    "Scope",
    "WorklistRule",
    "Written",
    "build_feedback",
    "build_objections",
    "build_profiles",
    "read_teams",
    "render_feedback",
    "render_objections",
    "render_profiles",
    "write_report",
]
