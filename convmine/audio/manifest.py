"""Batch manifests: a CSV naming each recording and what is known about its call.

Columns (header required, any order and case): ``path`` (required; a relative path is read from
the manifest's folder, not from the current one), ``call_id``, ``customer_id``, ``agent_id``,
``started_at`` (ISO 8601) and ``agent_channel`` (0 = left/first channel, 1 = right; stereo recordings
only). The file may be UTF-8 (with or without a BOM), UTF-16 or GBK/GB18030, as Excel saves it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from convmine.errors import InputError
from convmine.ingest.values import decode_text, parse_started_at
from convmine.schema import Failure

COLUMNS = ("path", "call_id", "customer_id", "agent_id", "started_at", "agent_channel")


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """What the manifest says about one recording; ``line`` is the row's line in the manifest."""

    path: Path
    call_id: str | None = None
    customer_id: str | None = None
    agent_id: str | None = None
    started_at: datetime | None = None
    agent_channel: int | None = None
    line: int | None = None
    #: Why the row cannot be used (a bad started_at, agent_channel …): its recording fails with this.
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """Manifest rows by resolved recording path, in file order; ``pathless`` are failures for rows that
    name no recording."""

    source: Path
    rows: dict[Path, ManifestRow]
    pathless: list[Failure] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [row.path for row in self.rows.values()]

    @property
    def present_paths(self) -> list[Path]:
        """The listed recordings that are files, in file order (:meth:`missing` fails the others)."""
        return [path for path in self.paths if path.is_file()]

    def inputs(self, paths: Iterable[str | Path] = ()) -> list[str | Path]:
        """A batch's inputs: ``paths``, then the listed recordings that are files. Scan them with
        :func:`~convmine.ingest.scan_paths`, skipping :attr:`source`: a recording named both ways is
        then read once, and the manifest itself, kept among the recordings, is no input."""
        return [*paths, *self.present_paths]

    def get(self, path: Path) -> ManifestRow | None:
        return self.rows.get(path.resolve())

    def failures(self) -> list[Failure]:
        """A failure for each row that names no recording, and for each whose recording is not a file,
        naming the manifest, the row's line and the folder the recording was looked for in. (A bad row
        whose recording is there fails when its recording is read, with the row's error.)"""
        return self.pathless + [
            Failure(
                str(self.source),
                f"no recording {row.path.name!r} in {row.path.parent.resolve()}: a relative path in a manifest "
                "is read from the manifest's folder; write the path relative to that folder, or in full",
                row.line,
            )
            for row in self.rows.values()
            if not row.path.is_file()
        ]


def load_manifest(path: str | Path) -> Manifest:
    """Read a manifest CSV; raises :class:`InputError` when the file cannot be read or has no path column.
    A bad row does not stop the batch: it fails, naming its line (see :meth:`Manifest.failures` and
    :attr:`ManifestRow.error`)."""
    path = Path(path)
    try:
        text = decode_text(path)  # as transcripts are read: UTF-8, UTF-16 or GB18030 (Excel's GBK)
    except InputError as exc:
        raise InputError(f"cannot read the manifest: {exc.reason}", str(path), exc.line) from None
    reader = csv.DictReader(text.splitlines())
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "path" not in header:
        raise InputError(f"the manifest's header must name a path column (and optionally {', '.join(COLUMNS[1:])})",
                         str(path), 1)  # fmt: skip
    manifest = Manifest(path, {})
    for raw in reader:
        line = reader.line_num  # the row's last line: blank lines before it are skipped, but counted
        cells = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        if not any(cells.values()):
            continue
        if not cells.get("path"):
            manifest.pathless.append(Failure(str(path), "the row has no path", line))
            continue
        recording = Path(cells["path"])
        recording = recording if recording.is_absolute() else path.parent / recording
        try:
            row = _row(cells, recording, line)
        except InputError as exc:  # the row's recording fails with this; the other rows go on
            row = ManifestRow(recording, line=line, error=exc.reason)
        if (earlier := manifest.rows.get(recording.resolve())) is not None:  # the first row's line stays
            row = ManifestRow(recording, line=earlier.line, error=f"{row.path} is listed more than once (lines "
                              f"{earlier.line} and {line}); list each recording once")  # fmt: skip
        manifest.rows[recording.resolve()] = row
    return manifest


def _row(cells: dict[str, str], recording: Path, line: int) -> ManifestRow:
    channel = cells.get("agent_channel", "")
    if channel not in ("", "0", "1"):
        raise InputError(f"agent_channel is {channel!r}; it must be 0 (left) or 1 (right), or empty")
    started_at = parse_started_at(cells.get("started_at") or None)
    return ManifestRow(
        path=recording,
        call_id=cells.get("call_id") or None,
        customer_id=cells.get("customer_id") or None,
        agent_id=cells.get("agent_id") or None,
        started_at=started_at,
        agent_channel=int(channel) if channel else None,
        line=line,
    )
