"""``convmine transcribe``: recordings in, one call JSON per recording out (``<stem>.json``).

What is written and printed is masked as ``convmine tag`` stores it: personal numbers in the utterances,
the source path, the output file's name (``139****5678-20261122.json``) and every console line; a recording
whose call, customer or agent ID would be a personal number fails before it is transcribed, as it does in
``convmine tag``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from convmine.audio.batch import RECORDING_ID_HINT
from convmine.cli.console import err, labelled
from convmine.cli.options import AsrThreads, MaxHours, Term
from convmine.errors import ConvmineError
from convmine.ingest import call_to_dict
from convmine.schema import Call, Failure
from convmine.text.pii import Masker


def transcribe(
    audio: Annotated[
        list[Path] | None,
        typer.Argument(  # not readable=True: an unreadable file fails alone, not the whole batch
            help="Recordings or folders (WAV, MP3, FLAC, M4A/AAC, OGG/Opus).", readable=False
        ),
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
            help="CSV with path, call_id, customer_id, agent_id, started_at, agent_channel (0 left, 1 right); "
            "a relative path is read from the CSV's folder.",
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
    term: Term = None,
    threads: AsrThreads = 0,
    max_hours: MaxHours = 4.0,
    mask: Annotated[
        Literal["default", "full"],
        typer.Option("--mask", help="Personal numbers: keep a few digits (default) or mask them all."),
    ] = "default",
) -> None:
    """Transcribe call recordings into speaker-attributed, timestamped call JSON files, personal numbers masked."""
    from convmine.audio import transcribe_paths

    if not audio and manifest is None:
        err.print(labelled("Error: ", "bold red", "name recordings or a --manifest"))
        raise typer.Exit(2)
    if out.exists() and not out.is_dir():
        err.print(
            labelled("Error: ", "bold red", f"--out {out} is a file; name a folder for the call JSON files")
        )
        raise typer.Exit(1)
    masker = Masker(mask)
    written: set[Path] = set()
    failed = 0
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
            result = _masked(item, masker)
            if isinstance(result, Failure):
                failed += 1
                err.print(labelled("failed ", "red", str(result)), highlight=False)
                continue
            target = _free_target(out, Path(result.source or result.call_id).stem, written)
            target.write_text(json.dumps(call_to_dict(result), ensure_ascii=False, indent=1) + "\n", "utf-8")
            written.add(target)
            err.print(
                f"wrote {masker.mask(str(target))} ({len(result.utterances)} utterances)", highlight=False
            )
    except ConvmineError as exc:
        err.print(labelled("Error: ", "bold red", masker.mask(str(exc))), highlight=False)
        raise typer.Exit(1) from None
    where = f"; bad recordings copied to {masker.mask(str(quarantine))}" if quarantine and failed else ""
    err.print(f"{len(written)} transcribed, {failed} failed{where}.")
    if failed:
        raise typer.Exit(1)


def _masked(item: Call | Failure, masker: Masker) -> Call | Failure:
    """The call with its utterances and source masked, or a failure with its source and reason masked;
    a call whose ID is a personal number (a recording named after a phone number) becomes a failure."""
    if isinstance(item, Failure):
        return Failure(masker.mask(item.source), masker.mask(item.reason), item.line, item.stage)
    try:
        return masker.mask_call(item)
    except ConvmineError as exc:
        reason = f"{exc}; {RECORDING_ID_HINT}"
        return Failure(masker.mask(item.source or item.call_id), reason, stage="transcribe")


def _free_target(folder: Path, stem: str, taken: set[Path]) -> Path:
    """``folder/<stem>.json``, or ``<stem>-1.json``… when another recording of this run took that name."""
    target, number = folder / f"{stem}.json", 1
    while target in taken:
        target, number = folder / f"{stem}-{number}.json", number + 1
    return target
