"""The ``convmine`` command. Each command parses its options and calls one library function."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import convmine
from convmine.cli.console import err, labelled, out, writing
from convmine.cli.helptext import hide_flag_types
from convmine.cli.options import AsrThreads, Db, MaxHours, StoreTaxonomyOpt, TaxonomyOpt, Term
from convmine.errors import ConvmineError
from convmine.text.pii import mask
from convmine.timezones import DEFAULT_UTC_OFFSET

if TYPE_CHECKING:
    from convmine.pipeline import Pipeline
    from convmine.store import ProfileStore

hide_flag_types()  # flags show no value placeholder in --help
# psycopg logs a line of its own when a lost connection ends a batch; convmine's error says what happened
logging.getLogger("psycopg").addHandler(logging.NullHandler())
app = typer.Typer(
    help="Turn bank call-centre conversations into evidenced customer profiles.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
taxonomy_app = typer.Typer(
    help="Show or validate the taxonomy (label IDs, cardinality, TTL).", no_args_is_help=True
)
app.add_typer(taxonomy_app, name="taxonomy")

ModelOpt = Annotated[
    str,
    typer.Option(
        "--model", "-m", help="Tagger name ('default', 'model', 'rules') or a saved model directory."
    ),
]
CombineOpt = Annotated[
    Literal["model", "union", "intersection"] | None,
    typer.Option(
        "--combine",
        help="How a model's tags and the rules' merge: the model's labels with the rules' spans where both "
        "agree (model, the default), every label either finds (union), or only labels both find "
        "(intersection).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _errors() -> Iterator[None]:
    """Turn library errors into one readable line on stderr and exit code 1; a personal number the message
    quotes (a customer ID typed as a phone number) is masked."""
    try:
        yield
    except ConvmineError as exc:
        err.print(labelled("Error: ", "bold red", mask(str(exc))), highlight=False)
        raise typer.Exit(1) from None


def _load(
    model: str, taxonomy: Path | None, mask_style: str | None = None, combine: str | None = None
) -> Pipeline:
    """``convmine.load``, printing why the default tagger runs the rules alone (its warning) as a note, and
    noting a saved model in the current folder that has a built-in tagger's name (the built-in one runs)."""
    from convmine.tagging.model.shipped import ShippedModelUnusedWarning
    from convmine.tagging.registry import names

    if model in names() and (Path(model) / "config.json").is_file():
        err.print(
            labelled(
                "Note: ",
                "yellow",
                f"--model {model} is the built-in tagger; for the saved model in ./{model}, pass --model ./{model}.",
            ),
            highlight=False,
        )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ShippedModelUnusedWarning)
        pipeline = convmine.load(model, taxonomy=taxonomy, mask_style=mask_style, combine=combine)
    for warning in caught:
        if issubclass(warning.category, ShippedModelUnusedWarning):
            note = f"{warning.message}" + (
                f"; --combine {combine} has no model to combine" if combine else ""
            )
            err.print(labelled("Note: ", "yellow", f"{note}."), highlight=False)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    return pipeline


def _reading_store(db: str, taxonomy: Path | None) -> ProfileStore:
    """The existing store at ``db`` for a reading command, with the taxonomy file given or else the copy of
    the taxonomy its calls were tagged with; refused if that taxonomy does not know every stored label."""
    from convmine.store import open_store

    store = open_store(db, taxonomy=convmine.load_taxonomy(taxonomy) if taxonomy else None, create=False)
    try:
        store.check_taxonomy()
    except BaseException:
        store.close()
        raise
    return store


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _version(value: bool) -> None:
    if value:
        out.print(f"convmine {convmine.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """convmine: transcripts in, evidenced taxonomy tags and customer profiles out."""


@app.command()
def tag(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(  # not readable=True: an unreadable file fails alone, not the whole batch
            help="Transcripts or recordings, files or folders (JSON, JSONL, CSV, TSV, TXT, audio).",
            readable=False,
        ),
    ] = None,
    db: Db = "convmine.db",
    customer_id: Annotated[
        str | None, typer.Option("--customer-id", help="Customer ID for inputs that do not name one.")
    ] = None,
    model: ModelOpt = "default",
    combine: CombineOpt = None,
    taxonomy: TaxonomyOpt = None,
    batch_size: Annotated[
        int,
        typer.Option(min=1, help="Calls per tagging batch and store transaction (PostgreSQL: at most 500)."),
    ] = 64,
    mask: Annotated[
        Literal["default", "full"],
        typer.Option("--mask", help="Personal numbers: keep a few digits (default) or mask them all."),
    ] = "default",
    utc_offset: Annotated[
        str, typer.Option("--utc-offset", help="Time zone of start times written without one.")
    ] = DEFAULT_UTC_OFFSET,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Let a call overwrite a stored call of the same ID from another file."
        ),
    ] = False,
    manifest: Annotated[
        Path | None,
        typer.Option(
            help="Recordings: CSV with path, call_id, customer_id, agent_id, started_at, agent_channel; "
            "a relative path is read from the CSV's folder."
        ),
    ] = None,
    quarantine: Annotated[
        Path | None, typer.Option(help="Recordings: copy bad ones here, each with a NAME.reason.txt.")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="Recordings: speech recogniser, whisper or funasr.")
    ] = "whisper",
    asr_model: Annotated[
        Path | None,
        typer.Option(
            "--asr-model", help="Recordings: local recogniser model (default for whisper: Whisper base)."
        ),
    ] = None,
    term: Term = None,
    threads: AsrThreads = 0,
    max_hours: MaxHours = 4.0,
) -> None:
    """Tag every customer turn of the given calls and store the tags in the profile store."""
    from convmine.audio import audio_settings
    from convmine.batch import BatchProgress, tag_paths
    from convmine.cli.render import failure_lines, summary_table
    from convmine.store import open_store
    from convmine.timezones import parse_offset

    with _errors():
        if not paths and manifest is None:
            raise ConvmineError("name the transcripts or recordings to tag, or a --manifest")
        pipeline = _load(model, taxonomy, mask, combine)
        reached = BatchProgress(0, 0, 0)
        try:
            with (
                audio_settings(
                    backend=backend,
                    model=asr_model,
                    manifest=manifest,
                    quarantine=quarantine,
                    customer_id=customer_id,
                    require_customer=True,
                    extra_terms=tuple(term or ()),
                    threads=threads,
                    max_hours=max_hours,
                ) as audio,
                open_store(db, taxonomy=pipeline.taxonomy) as store,
                Progress(
                    SpinnerColumn(),
                    TextColumn("tagging"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("files · {task.fields[calls]} calls"),
                    TimeElapsedColumn(),
                    TextColumn("· left"),
                    TimeRemainingColumn(),
                    console=err,
                    transient=True,
                ) as progress,
            ):
                _note_other_taxonomy(store)
                task = progress.add_task("tag", total=None, calls=0)

                def show(done: BatchProgress) -> None:
                    nonlocal reached
                    reached = done
                    progress.update(task, total=done.files, completed=done.files_done, calls=done.calls)

                summary = tag_paths(
                    paths or [],
                    manifest=audio.manifest,
                    pipeline=pipeline,
                    store=store,
                    customer_id=customer_id,
                    batch_size=batch_size,
                    local_time=parse_offset(utc_offset),
                    replace_other=replace,
                    on_progress=show,
                )
        except KeyboardInterrupt:  # each stored batch is one transaction: what is stored stays whole
            err.print(
                f"Interrupted after {reached.files_done} of {reached.files} files; the store is consistent: "
                "run the same command again to finish."
            )
            raise typer.Exit(130) from None
    out.print(summary_table(summary))
    if summary.passed_over:
        kinds = Counter(Path(name).suffix.lower() or "(no extension)" for name in summary.passed_over)
        shown = ", ".join(f"{kind} ×{n}" for kind, n in kinds.most_common())
        err.print(
            f"Note: passed over {len(summary.passed_over)} file(s) in the folders that are not transcripts "
            f"or recordings ({shown}), e.g. {summary.passed_over[0]}.",
            highlight=False,
        )
    if summary.failures:
        err.print(failure_lines(summary), soft_wrap=True)
        raise typer.Exit(1)


def _note_other_taxonomy(store: ProfileStore) -> None:
    """Say so when the store's calls were last tagged with another taxonomy than the one tagging now."""
    last = next((kept for kept in store.tagged_with() if kept.hash), None)
    now = store.taxonomy
    if last is not None and (last.name, last.version, last.hash) != (now.name, now.version, now.hash):
        err.print(
            f"Note: the calls in this store were last tagged with {last.describe()}; these are tagged with "
            f"taxonomy {now.name!r} {now.version}. Pass --taxonomy FILE to tag with the other one."
        )


@app.command()
def profile(
    customer_id: Annotated[str, typer.Argument(help="The customer's ID.")],
    db: Db = "convmine.db",
    json_: JsonOpt = False,
    all_: Annotated[bool, typer.Option("--all", help="Include history: superseded observations.")] = False,
    fresh_only: Annotated[
        bool, typer.Option("--fresh-only", help="Hide tags past their time-to-live.")
    ] = False,
    taxonomy: StoreTaxonomyOpt = None,
    utc_offset: Annotated[
        str, typer.Option("--utc-offset", help="Time zone to show dates and times in.")
    ] = DEFAULT_UTC_OFFSET,
) -> None:
    """Show a customer's profile merged across all their calls."""
    from convmine.cli.render import profile_table
    from convmine.timezones import parse_offset

    with _errors(), _reading_store(db, taxonomy) as store:
        zone = parse_offset(utc_offset)
        if not store.calls(customer_id=customer_id):
            raise ConvmineError(f"no calls of customer {customer_id!r} in {store.target}")
        result = store.profile(customer_id, include_stale=not fresh_only, history=all_)
    if result.future:
        err.print(
            f"Note: {result.future} observations are dated in the future (after "
            f"{result.generated_at:%Y-%m-%d %H:%M} UTC); they count, but check the recorder's clock and "
            "--utc-offset."
        )
    if json_:
        _print_json(result.to_dict(zone))
    elif not result.entries:
        err.print(f"No tags stored for customer {customer_id!r} in {store.target}.")
    else:
        out.print(profile_table(result, out.width, zone))


@app.command()
def show(
    call_id: Annotated[str, typer.Argument(help="The call's ID.")],
    db: Db = "convmine.db",
    taxonomy: StoreTaxonomyOpt = None,
    utc_offset: Annotated[
        str, typer.Option("--utc-offset", help="Time zone to show the start time in.")
    ] = DEFAULT_UTC_OFFSET,
) -> None:
    """Show a stored call's transcript with its tags inline, as reviewed (as profiles and reports show them)."""
    from convmine.cli.render import transcript
    from convmine.schema import TaggedCall
    from convmine.timezones import parse_offset

    with _errors():
        zone = parse_offset(utc_offset)
        with _reading_store(db, taxonomy) as store:
            stored = store.get_call(call_id)
            if stored is None:
                raise ConvmineError(
                    f"no call {call_id!r} in {store.target}; check the call ID (`convmine export` lists tagged calls)"
                )
            reviewed = TaggedCall(stored.call, [obs.tag for obs in store.observations(call_id=call_id)])
    out.print(transcript(reviewed, store.taxonomy, zone))


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command()
def export(
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ExportFormat.jsonl,
    db: Db = "convmine.db",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    customer_id: Annotated[str | None, typer.Option("--customer-id", help="Only this customer.")] = None,
    utc_offset: Annotated[
        str, typer.Option("--utc-offset", help="Time zone to write times in (ISO 8601 with the offset).")
    ] = DEFAULT_UTC_OFFSET,
) -> None:
    """Export stored tags, one row per tag with its call, evidence and provenance."""
    from convmine.export import TAG_COLUMNS, tag_rows, write_csv, write_jsonl
    from convmine.store import open_store
    from convmine.timezones import parse_offset

    with _errors(), open_store(db, create=False) as store:
        rows = tag_rows(store.observations(customer_id=customer_id), parse_offset(utc_offset))
        # A CSV file gets a BOM so that Excel reads the Chinese; stdout stays plain UTF-8.
        encoding = "utf-8-sig" if format is ExportFormat.csv else "utf-8"
        with writing(output, encoding) as stream:
            n = (
                write_csv(rows, stream, TAG_COLUMNS)
                if format is ExportFormat.csv
                else write_jsonl(rows, stream)
            )
    if output:
        err.print(f"Wrote {n} tags to {output}.")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled JSONL: utterance rows, or whole dialogues.")],
    model: ModelOpt = "default",
    combine: CombineOpt = None,
    taxonomy: TaxonomyOpt = None,
    split: Annotated[
        str | None,
        typer.Option(help="For a dialogues file: score only the dialogues of this split (train, dev, test)."),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            help="Compare with this tagger ('rules', 'default' or a model directory, combined the default "
            "way): micro-F1 difference with a 95 % paired-bootstrap interval."
        ),
    ] = None,
    errors: Annotated[
        Path | None,
        typer.Option(
            help="Write the items where tagger and labels differ here (JSONL: missed and extra labels)."
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Score a tagger on labelled data: per-label precision/recall/F1, micro and macro F1."""
    from convmine.cli.render import difference_line, scores_table
    from convmine.evaluate import compare, holds_dialogues, predict_file

    with _errors():
        if errors is not None and errors.resolve() == data.resolve():
            raise ConvmineError(f"--errors {errors} is the labelled data itself; write the errors elsewhere")
        if errors is not None and errors.is_dir():
            raise ConvmineError(f"--errors {errors} is a folder; name a file to write the errors to")
        pipeline = _load(model, taxonomy, combine=combine)
        baseline = None if against is None else _load(against, taxonomy)  # a bad name fails before scoring
        predicted = predict_file(pipeline, data, split=split)
        difference = (
            None if baseline is None else compare(predicted, predict_file(baseline, data, split=split))
        )
        if split is None and holds_dialogues(data):
            err.print(
                "Note: scoring the dialogues of every split, training ones included; "
                "pass --split test (or dev) for held-out scores."
            )
        if errors is not None:
            from convmine.export import write_jsonl

            wrong = predicted.errors()
            with writing(errors, "utf-8") as stream:
                write_jsonl(wrong, stream)
            err.print(
                f"Wrote the {len(wrong)} of {len(predicted.gold)} items the tagger got wrong to {errors}."
            )
    scores = predicted.scores()
    if json_:
        extra = {} if difference is None else {"against": {"tagger": baseline.version} | difference.to_dict()}
        _print_json(scores.to_dict() | extra)
        return
    where = f"{data}, split {split}" if split else str(data)
    out.print(scores_table(scores, f"{pipeline.version} on {where} ({scores.items} items)"))
    if difference is not None:
        named = model if combine is None else f"{model} (--combine {combine})"
        out.print(difference_line(difference, named, against))


@taxonomy_app.command("show")
def taxonomy_show(taxonomy: TaxonomyOpt = None, json_: JsonOpt = False) -> None:
    """List every label with its category, dimension, cardinality and time-to-live."""
    from rich.table import Table

    with _errors():
        tax = convmine.load_taxonomy(taxonomy)
    if json_:
        _print_json([label.summary() for label in tax])
        return
    table = Table(
        title=f"{tax.name} {tax.version} ({len(tax)} labels, hash {tax.hash})", title_justify="left"
    )
    table.add_column("id", no_wrap=True, min_width=max(len(label.id) for label in tax))  # whole, to grep
    for column in ("name", "dimension", "cardinality", "ttl"):
        table.add_column(column)
    for label in tax:
        ttl = f"{label.ttl.days}d" if label.ttl else "-"
        table.add_row(label.id, label.name, label.dimension_name, label.cardinality, ttl)
    out.print(table)


@taxonomy_app.command("validate")
def taxonomy_validate(file: Annotated[Path, typer.Argument(help="Taxonomy YAML file to check.")]) -> None:
    """Check a taxonomy file (or a bank's extension of the default) against the schema."""
    with _errors():
        tax = convmine.load_taxonomy(file)
    out.print(
        labelled("OK ", "green", f"{file}: {tax.name} {tax.version}, {len(tax)} labels, hash {tax.hash}")
    )


def _register_subcommands() -> None:
    """Command groups that live in their own modules (imported here, after the shared helpers above)."""
    from convmine.cli.corpus import corpus_app
    from convmine.cli.report import report_app
    from convmine.cli.review import export_training, review_app
    from convmine.cli.train import average, train
    from convmine.cli.transcribe import transcribe

    app.add_typer(corpus_app, name="corpus")
    app.add_typer(report_app, name="report")
    app.add_typer(review_app, name="review")
    app.command("export-training")(export_training)
    app.command()(transcribe)
    app.command()(train)
    app.command()(average)


_register_subcommands()
