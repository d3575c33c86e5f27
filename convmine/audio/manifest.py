"""Batch manifests: a CSV naming each recording and what is known about its call.

Columns (header required, any order and case): ``path`` (required; a relative path is read from
the manifest's folder, not from the current one), ``call_id``, ``customer_id``, ``agent_id``,
``started_at`` (ISO 8601) and ``agent_channel`` (0 = left/first channel, 1 = right; stereo recordings
only). The file may be UTF-8 (with or without a BOM), UTF-16 or GBK/GB18030, as Excel saves it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Manifest:
    """Manifest rows by resolved recording path, in file order."""

    source: Path
    rows: dict[Path, ManifestRow]

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

    def missing(self) -> list[Failure]:
        """A failure for each row whose recording is not a file, naming the manifest, the row's line and
        the folder the recording was looked for in."""
        return [
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
    """Read a manifest CSV; raises :class:`InputError` naming the line of a bad row."""
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
    rows: dict[Path, ManifestRow] = {}
    for raw in reader:
        line = reader.line_num  # the row's last line: blank lines before it are skipped, but counted
        cells = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        if not any(cells.values()):
            continue
        row = _row(cells, path.parent, str(path), line)
        if row.path.resolve() in rows:
            raise InputError(f"{row.path} is listed twice; list each recording once", str(path), line)
        rows[row.path.resolve()] = row
    return Manifest(path, rows)


def _row(cells: dict[str, str], folder: Path, source: str, line: int) -> ManifestRow:
    if not cells.get("path"):
        raise InputError("the row has no path", source, line)
    channel = cells.get("agent_channel", "")
    if channel not in ("", "0", "1"):
        raise InputError(
            f"agent_channel is {channel!r}; it must be 0 (left) or 1 (right), or empty", source, line
        )
    try:
        started_at = parse_started_at(cells.get("started_at") or None)
    except InputError as exc:
        raise InputError(exc.reason, source, line) from None
    recording = Path(cells["path"])
    return ManifestRow(
        path=recording if recording.is_absolute() else folder / recording,
        call_id=cells.get("call_id") or None,
        customer_id=cells.get("customer_id") or None,
        agent_id=cells.get("agent_id") or None,
        started_at=started_at,
        agent_channel=int(channel) if channel else None,
        line=line,
    )
