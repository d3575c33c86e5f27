"""Reading a batch of transcripts: files and folders in, calls and failures out. One bad input never
stops the batch: it becomes a :class:`~convmine.schema.Failure` that names the file and line."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from convmine.errors import InputError, MissingExtraError
from convmine.ingest.registry import CallRecord, reader_for, supported_extensions
from convmine.ingest.text_reader import is_sidecar
from convmine.ingest.values import printable_name
from convmine.schema import Call, Failure
from convmine.text.pii import Masker, id_refusal

Paths = Iterable[str | Path] | str | Path

#: A file whose first this many rows all fail, none holding a call, is set aside as not holding calls.
NOT_CALLS_AFTER = 20
_LOCK_FILE_PREFIXES = ("~$", ".~lock.")  # left beside a file open in Microsoft Office / LibreOffice
# Where each format names a call's customer, for the message when it does not; other formats (audio, …)
# have only --customer-id.
_CUSTOMER_ID_PLACES = {
    ".txt": "a '# customer_id: …' line in the file or a sidecar {stem}.meta.json beside it",
    ".json": 'a "customer_id" field in the call object',
    ".jsonl": 'a "customer_id" field in the call object',
    ".csv": "a customer_id column",
    ".tsv": "a customer_id column",
}


@dataclass(frozen=True, slots=True)
class Scan:
    """What some paths hold: transcript files (and failures for bad paths) in reading order, and the
    files inside folders that were passed over (sidecars, hidden files, other extensions)."""

    found: list[Path | Failure] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)

    @property
    def unread(self) -> list[Path]:
        """The skipped files that may hold calls no reader takes (``.xlsx``, ``.bak``): not hidden files,
        sidecars, office lock files or READMEs."""
        return [
            path
            for path in self.skipped
            if reader_for(path) is None
            and not (path.name.startswith(".") or path.name.upper().startswith("README"))
            and not (is_sidecar(path) or _is_lock_file(path))
        ]


def _supported() -> str:
    return ", ".join(supported_extensions())


def _is_lock_file(path: Path) -> bool:
    """Whether ``path`` is an office suite's lock file (``~$calls.csv``, ``.~lock.calls.csv#``)."""
    return path.name.startswith(_LOCK_FILE_PREFIXES)


def _check_path(path: Path) -> Failure | None:
    if not path.exists():
        return Failure(str(path), "no such file or folder; check the path")
    if _is_lock_file(path):
        return Failure(
            str(path),
            "this is a lock file that an office suite leaves while a file is open, not a transcript; "
            "pass the file itself",
        )
    if is_sidecar(path):
        return Failure(
            str(path), "this is a transcript's metadata sidecar; pass the transcript (NAME.txt) instead"
        )
    if reader_for(path) is None:
        return Failure(
            str(path), f"unsupported file type {path.suffix or '(none)'!r}; supported: {_supported()}"
        )
    return None


def _folder_files(folder: Path) -> tuple[list[Path], list[Path], list[Failure]]:
    """(transcripts, skipped, failures) under ``folder``, recursively, sorted; hidden files and folders,
    sidecars and office lock files are skipped. Linked folders are followed (each real folder read once);
    a folder that cannot be listed is a failure."""
    transcripts, skipped, failures = [], [], []
    visited: set[Path] = set()

    def unreadable(error: OSError) -> None:
        failures.append(Failure(str(error.filename), f"cannot read the folder: {error.strerror}"))

    for top, folders, names in os.walk(folder, onerror=unreadable, followlinks=True):
        real = Path(top).resolve()
        if real in visited:  # a link back to a folder already read
            folders.clear()
            continue
        visited.add(real)
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            path = Path(top, name)
            usable = (
                not name.startswith(".")
                and not _is_lock_file(path)
                and not is_sidecar(path)
                and reader_for(path) is not None
            )
            (transcripts if usable else skipped).append(path)
    return sorted(transcripts), sorted(skipped), failures


def scan_paths(paths: Paths, *, skip: Iterable[str | Path] = ()) -> Scan:
    """The transcript files ``paths`` name: files as given, folders searched recursively in sorted order.

    A missing path, an unsupported file or a folder without transcripts becomes a :class:`Failure`;
    a file named twice (directly or through a folder) is read once; files in ``skip`` (a batch's
    manifest kept among its recordings) are not inputs.
    """
    scan = Scan()
    seen: set[Path] = {Path(path).resolve() for path in skip}

    def add(path: Path) -> None:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            scan.found.append(path)

    for path in map(Path, [paths] if isinstance(paths, str | Path) else paths):
        if path.is_dir():
            transcripts, skipped, failures = _folder_files(path)
            scan.skipped.extend(skipped)
            scan.found.extend(failures)
            if not transcripts and not failures:
                scan.found.append(
                    Failure(str(path), f"the folder holds no transcript files ({_supported()})")
                )
            for transcript in transcripts:
                add(transcript)
        elif (failure := _check_path(path)) is not None:
            scan.found.append(failure)
        else:
            add(path)
    return scan


def _no_customer_id(call_id: str, path: Path) -> str:
    reason = f"call {call_id!r} has no customer ID; pass --customer-id (customer_id= in Python)"
    place = _CUSTOMER_ID_PLACES.get(path.suffix.lower())
    return f"{reason} or name it with {place.format(stem=path.stem)}" if place else reason


class _BatchChecks:
    """The checks every call passes, whatever its format: not empty, a customer ID, a unique call ID.

    ``customer_id`` is the fallback for calls that do not name their customer; a call that names one keeps it.
    """

    def __init__(self, customer_id: str | None) -> None:
        self.customer_id = customer_id
        self.first_read: dict[str, str] = {}

    def __call__(self, record: CallRecord, path: Path) -> Call | Failure:
        call, line = record.call, record.line
        if not call.utterances:
            return Failure(
                str(path), f"call {call.call_id!r} is empty: it has no turn with text; check the export", line
            )
        if call.customer_id is None:
            if self.customer_id is None:
                return Failure(str(path), _no_customer_id(call.call_id, path), line)
            call = dataclasses.replace(call, customer_id=self.customer_id)
        if call.source and (source := printable_name(call.source)) != call.source:  # a name that is not UTF-8
            call = dataclasses.replace(call, source=source)
        first = self.first_read.get(call.call_id)
        if first is not None:
            return Failure(
                str(path),
                f"call_id {call.call_id!r} was already read from {first}; call IDs must be unique in "
                "a batch, so remove the copy or give it its own call_id",
                line,
            )
        self.first_read[call.call_id] = f"{path}:{line}" if line is not None else str(path)
        return call


def _read_file(path: Path, checks: _BatchChecks) -> Iterator[Call | Failure]:
    reader = reader_for(path)
    assert reader is not None, "scan_paths only finds files with a reader"
    leading: list[Failure] = []  # the file's failed rows before its first call, held back
    read_a_call = False
    try:
        for item in reader(path):
            if read_a_call:
                yield item if isinstance(item, Failure) else checks(item, path)
            elif isinstance(item, Failure):
                leading.append(item)
                if len(leading) == NOT_CALLS_AFTER:
                    yield _not_calls(path, leading[0])
                    return
            else:
                read_a_call = True
                yield from leading
                leading.clear()
                yield checks(item, path)
    except InputError as exc:
        yield from leading
        yield Failure(exc.source or str(path), exc.reason, exc.line)
        return
    except MissingExtraError as exc:  # e.g. a recording without the asr extra: the message names the extra
        yield from leading
        yield Failure(str(path), str(exc))
        return
    except Exception as exc:  # a reader's bug must not sink the night's batch: set the file aside
        yield from leading
        yield Failure(
            str(path), f"unexpected error while reading ({type(exc).__name__}: {exc}); please report it"
        )
        return
    yield from leading
    if not read_a_call and not leading:
        yield Failure(str(path), "the file holds no calls")


def _not_calls(path: Path, first: Failure) -> Failure:
    """The one failure for a file whose first rows all failed: it is something else than calls."""
    where = f"line {first.line}: " if first.line is not None else ""
    return Failure(
        str(path),
        f"not a transcript file? its first {NOT_CALLS_AFTER} rows all failed and none held a call, so the "
        f"rest was not read ({where}{first.reason})",
    )


def read_calls(
    paths: Paths,
    *,
    customer_id: str | None = None,
    skip: Iterable[str | Path] = (),
    masker: Masker | None = None,
) -> Iterator[Call | Failure]:
    """Every call in ``paths`` (files or folders, less the files in ``skip``), in order, and a
    :class:`Failure` for each input that cannot be read; the batch goes on past them.

    ``customer_id`` names the customer for calls whose file does not; a call whose file names its
    customer keeps that one, so a folder mixing both kinds is read in one go. A failure's source and
    reason can quote the input (a file named after a phone number): ``masker`` (default: ``Masker()``)
    masks them. Calls come as read; a :class:`~convmine.pipeline.Pipeline` masks them.
    """
    if customer_id is not None and not customer_id.strip():
        raise InputError("customer_id is blank; pass a customer ID or leave it out")
    if reason := id_refusal(customer_id=customer_id):  # refused now, not after transcribing recordings
        raise InputError(reason)
    checks = _BatchChecks(customer_id.strip() if customer_id else None)
    mask = (masker or Masker()).mask
    for found in scan_paths(paths, skip=skip).found:
        for item in [found] if isinstance(found, Failure) else _read_file(found, checks):
            yield item.masked(mask) if isinstance(item, Failure) else item


def read_call(path: str | Path, customer_id: str | None = None) -> Call:
    """The one call in ``path``; raises :class:`InputError` (with file and line) if it cannot be read."""
    calls = []
    for item in read_calls([path], customer_id=customer_id):
        if isinstance(item, Failure):
            raise InputError(item.reason, item.source, item.line)
        calls.append(item)
    if len(calls) != 1:
        raise InputError(f"holds {len(calls)} calls but read_call reads one; use read_calls", str(path))
    return calls[0]
