"""Readers registered by file extension, so new input kinds (audio, …) plug in without an if/elif chain.

A reader takes one file and yields a :class:`CallRecord` for every call it read and a
:class:`~convmine.schema.Failure` for every record it could not read (the rest of the file goes on).
It raises :class:`~convmine.errors.InputError` when the whole file is unreadable. Readers only read:
filling in a customer ID, checking for empty calls and duplicate call IDs is done once, by
:func:`convmine.ingest.read_calls`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from convmine.errors import ConvmineError
from convmine.schema import Call, Failure


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call as a reader found it, with the 1-based line it starts on (``None`` where lines mean nothing)."""

    call: Call
    line: int | None = None


Reader = Callable[[Path], Iterable[CallRecord | Failure]]

_READERS: dict[str, Reader] = {}


def _normalise(extension: str) -> str:
    extension = extension.lower()
    return extension if extension.startswith(".") else f".{extension}"


def register_reader(*extensions: str, replace: bool = False) -> Callable[[Reader], Reader]:
    """Decorator: read files ending in ``extensions`` (``".txt"``, ``"wav"``; any case) with the reader."""

    def register(reader: Reader) -> Reader:
        for extension in map(_normalise, extensions):
            known = _READERS.get(extension)
            if known is not None and known is not reader and not replace:
                raise ConvmineError(
                    f"a reader for {extension!r} is already registered ({known.__name__}); "
                    "pass replace=True to register_reader to override it"
                )
            _READERS[extension] = reader
        return reader

    return register


def reader_for(path: Path) -> Reader | None:
    """The reader registered for ``path``'s extension, or ``None``."""
    return _READERS.get(path.suffix.lower())


def supported_extensions() -> tuple[str, ...]:
    """Every registered extension, sorted: ``(".csv", ".json", …)``."""
    return tuple(sorted(_READERS))
