"""``convmine review export|import`` and ``convmine export-training``: reviewers' corrections, back to training."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated

import typer

from convmine.cli.console import writing
from convmine.cli.options import Agent, Customer, Db, Since, StoreTaxonomyOpt, Until
from convmine.review import CONTEXT_TURNS
from convmine.timezones import DEFAULT_UTC_OFFSET

review_app = typer.Typer(
    help="Export tags for reviewers (CSV with a verdict column) and import their verdicts.",
    no_args_is_help=True,
)

Offset = Annotated[
    str, typer.Option("--utc-offset", help="Time zone of dates given without one, e.g. +08:00.")
]


def _scope(
    since: str | None, until: str | None, agent: str | None, customer: str | None, offset: str
) -> dict:
    from convmine.timezones import parse_offset, parse_range

    tz = parse_offset(offset)
    start, end = parse_range(since, until, tz, ("--since", "--until"))
    return {
        "since": start,
        "until": end,
        "agent_id": agent,
        "customer_id": customer,
    }


@contextmanager
def _output(path: Path | None, encoding: str) -> Iterator[IO[str]]:
    """The file at ``path`` (created with its folder), or stdout."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    with writing(path, encoding) as stream:
        yield stream


@review_app.command("export")
def review_export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV file to write (default: stdout).")
    ] = None,
    db: Db = "convmine.db",
    since: Since = None,
    until: Until = None,
    agent: Agent = None,
    customer_id: Customer = None,
    customer: Annotated[str | None, typer.Option("--customer", hidden=True)] = None,  # deprecated name
    labels: Annotated[
        str | None, typer.Option("--labels", help="Only tags under this label ID or prefix, e.g. objection.")
    ] = None,
    tagged_only: Annotated[
        bool,
        typer.Option(
            "--tagged-only", help="Leave out customer turns without a tag (where missed ones are added)."
        ),
    ] = False,
    utc_offset: Annotated[
        str,
        typer.Option(
            "--utc-offset", help="Time zone of dates given without one and of the times written, e.g. +08:00."
        ),
    ] = DEFAULT_UTC_OFFSET,
    taxonomy: StoreTaxonomyOpt = None,
) -> None:
    """Export tags for review: fill in the verdict column with confirm, reject or add, then import it."""
    from convmine.cli.main import _errors, _reading_store, err
    from convmine.review import check_label_filter, write_review_csv
    from convmine.timezones import parse_offset

    if customer is not None:
        err.print("Note: --customer is now called --customer-id; the old name will go.")
    with _errors():
        scope = _scope(since, until, agent, customer_id or customer, utc_offset)
        tz = parse_offset(utc_offset)
        with _reading_store(db, taxonomy) as store:
            check_label_filter(labels, store.taxonomy)  # before the file is made
            with _output(out, "utf-8-sig") as stream:
                n = write_review_csv(store, stream, labels=labels, tagged_only=tagged_only, tz=tz, **scope)
    if out:
        err.print(f"Wrote {n} rows to review to {out}; fill in the verdict column (confirm, reject or add).")


@review_app.command("import")
def review_import(
    file: Annotated[Path, typer.Argument(help="A review CSV with its verdict column filled in.")],
    db: Db = "convmine.db",
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", help="Who reviewed, for rows whose reviewer column is empty.")
    ] = None,
    taxonomy: StoreTaxonomyOpt = None,
) -> None:
    """Store reviewers' verdicts (with who and when); they override the tagger in profiles and reports."""
    from convmine.cli.main import _errors, _reading_store, out
    from convmine.review import import_reviews

    with _errors(), _reading_store(db, taxonomy) as store:
        summary = import_reviews(store, file, reviewer=reviewer)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in sorted(summary.verdicts.items())) or "no verdicts"
    replaced = (
        f" (with {summary.replaced} reject(s) of the value a relabelled turn had)" if summary.replaced else ""
    )
    out.print(
        f"Read {summary.rows} rows ({counts}); stored {summary.stored} new verdicts{replaced}, "
        f"{summary.skipped} were already stored."
    )


def export_training(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="JSONL file to write (default: stdout).")
    ] = None,
    db: Db = "convmine.db",
    since: Since = None,
    until: Until = None,
    agent: Agent = None,
    customer_id: Customer = None,
    context_turns: Annotated[
        int, typer.Option(min=0, help="Preceding turns to give as each row's context.")
    ] = CONTEXT_TURNS,
    utc_offset: Offset = DEFAULT_UTC_OFFSET,
    taxonomy: StoreTaxonomyOpt = None,
) -> None:
    """Write every reviewed customer turn as labelled JSONL (text, labels, context) for `convmine train`."""
    from convmine.cli.main import _errors, _reading_store, err
    from convmine.review import write_training

    with _errors():
        scope = _scope(since, until, agent, customer_id, utc_offset)
        with (
            _reading_store(db, taxonomy) as store,
            _output(out, "utf-8") as stream,
        ):
            n = write_training(store, stream, context_turns=context_turns, **scope)
    if out:
        err.print(f"Wrote {n} reviewed turns to {out}.")
