"""``convmine corpus``: rebuild the labelled corpus's splits from its sources, or check it."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from convmine.cli.options import TaxonomyOpt

corpus_app = typer.Typer(
    help="Build or check the labelled corpus (train/dev/test, whole dialogues).", no_args_is_help=True
)

Folder = Annotated[Path | None, typer.Option(help="Corpus folder (default: the bundled taxonomy/corpus).")]


@corpus_app.command()
def build(
    sources: Annotated[Path | None, typer.Option(help="Sources folder (default: <out>/sources).")] = None,
    out: Folder = None,
    seed: Annotated[int, typer.Option(help="Salt of the split hash.")] = 0,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Merge the source files into train/dev/test.jsonl and dialogues.jsonl, split by family."""
    import convmine
    from convmine.cli.main import _errors
    from convmine.cli.main import out as console
    from convmine.corpus import build as build_corpus
    from convmine.corpus import default_corpus_dir

    with _errors():
        folder = out or default_corpus_dir()
        labels = convmine.load_taxonomy(taxonomy) if taxonomy else None
        result = build_corpus(sources or folder / "sources", folder, seed, labels)
    console.print(f"rows {result.rows}; whole calls {result.dialogues}")
    console.print(
        f"dropped {len(result.dropped)} repeated texts ({len(result.conflicts)} with other labels); "
        f"{result.merged_families} family merges from near-duplicates"
    )
    for row_id, kept_id in result.conflicts:
        console.print(f"  labels differ: {row_id} repeats {kept_id}")


@corpus_app.command()
def check(
    corpus: Folder = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Report label counts, duplicates and leaks across splits; exit 1 when the corpus falls short."""
    import convmine
    from convmine.cli.main import _errors, _print_json
    from convmine.cli.main import out as console
    from convmine.corpus import check as check_corpus

    with _errors():
        report = check_corpus(corpus, convmine.load_taxonomy(taxonomy) if taxonomy else None)
    problems = report.problems()
    if json_:
        _print_json({"report": asdict(report), "problems": problems})
    else:
        console.print(report.stats_markdown())
        console.print("\n".join(["", f"{len(problems)} problem(s)", *problems]))
    if problems:
        raise typer.Exit(1)
