"""``convmine transcribe``: recordings in, one call JSON per recording out (``<stem>.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from convmine.errors import ConvmineError
from convmine.ingest import call_to_dict
from convmine.schema import Failure

err = Console(stderr=True)


def transcribe(
    audio: Annotated[
        list[Path] | None, typer.Argument(help="Recordings or folders (WAV, MP3, FLAC, M4A/AAC, OGG/Opus).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the call JSON files.")] = Path("."),
    backend: Annotated[str, typer.Option("--backend", help="ASR backend: whisper or funasr.")] = "whisper",
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Local model directory (default for whisper: Whisper base)."),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="CSV with path, call_id, customer_id, agent_id, started_at, agent_channel (0 left, 1 right).",
        ),
    ] = None,
    customer_id: Annotated[
        str | None,
        typer.Option("--customer-id", help="Customer ID for recordings the manifest does not name."),
    ] = None,
    quarantine: Annotated[
        Path | None,
        typer.Option("--quarantine", help="Copy bad recordings here, each with a NAME.reason.txt."),
    ] = None,
    term: Annotated[
        list[str] | None, typer.Option("--term", help="A bank or product name the recogniser should expect.")
    ] = None,
    threads: Annotated[int, typer.Option(min=0, help="CPU threads for recognition (0: all).")] = 0,
    max_hours: Annotated[float, typer.Option("--max-hours", min=0.0, help="Refuse longer recordings.")] = 4.0,
) -> None:
    """Transcribe call recordings into speaker-attributed, timestamped call JSON files."""
    from convmine.audio import transcribe_paths

    if not audio and manifest is None:
        err.print("[bold red]Error:[/] name recordings or a --manifest")
        raise typer.Exit(2)
    written, failures = 0, []
    try:
        out.mkdir(parents=True, exist_ok=True)
        items = transcribe_paths(
            audio or [],
            manifest=manifest,
            backend=backend,
            model=model,
            customer_id=customer_id,
            quarantine=quarantine,
            extra_terms=tuple(term or ()),
            threads=threads,
            max_hours=max_hours,
        )
        for item in items:
            if isinstance(item, Failure):
                failures.append(item)
                err.print(f"[red]failed[/] {item}", highlight=False)
                continue
            target = out / f"{Path(item.source or item.call_id).stem}.json"
            target.write_text(json.dumps(call_to_dict(item), ensure_ascii=False, indent=1) + "\n", "utf-8")
            written += 1
            err.print(f"wrote {target} ({len(item.utterances)} utterances)", highlight=False)
    except ConvmineError as exc:
        err.print(f"[bold red]Error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    where = f"; bad recordings copied to {quarantine}" if quarantine and failures else ""
    err.print(f"{written} transcribed, {len(failures)} failed{where}.")
    if failures:
        raise typer.Exit(1)
