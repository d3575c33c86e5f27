"""Option types that several commands share, defined once so that their names and help agree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Db = Annotated[
    str,
    typer.Option(
        "--db",
        help="Profile store: a SQLite file path, or a URL (sqlite:///file.db, postgresql://user@host/db).",
    ),
]
StoreTaxonomyOpt = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy", help="The taxonomy file the calls were tagged with (default: the store's copy)."
    ),
]
TaxonomyOpt = Annotated[
    Path | None, typer.Option("--taxonomy", help="A taxonomy file replacing or extending the default.")
]
Since = Annotated[str | None, typer.Option(help="Only calls from this day (2026-06-01) or time on.")]
Until = Annotated[str | None, typer.Option(help="Only calls before this day or time (not included).")]
Agent = Annotated[str | None, typer.Option("--agent", help="Only this agent's calls.")]
Customer = Annotated[str | None, typer.Option("--customer-id", help="Only this customer's calls.")]
Term = Annotated[
    list[str] | None, typer.Option("--term", help="A bank or product name the recogniser should expect.")
]
AsrThreads = Annotated[int, typer.Option("--threads", min=0, help="CPU threads for recognition (0: all).")]
MaxHours = Annotated[float, typer.Option("--max-hours", min=0.0, help="Refuse longer recordings.")]
