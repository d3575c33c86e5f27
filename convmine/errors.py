"""One base exception; every message says what went wrong and how to fix it."""

from __future__ import annotations


class ConvmineError(Exception):
    """Base class of every error convmine raises on purpose."""


class TaxonomyError(ConvmineError):
    """A taxonomy file is malformed, or a label is unknown to the taxonomy in use."""


class InputError(ConvmineError):
    """An input (transcript, labelled data, recording) cannot be read.

    ``source`` names the file and ``line`` (1-based) the place, where known.
    """

    def __init__(self, message: str, source: str | None = None, line: int | None = None):
        self.reason = message
        self.source = source
        self.line = line
        where = source or ""
        if source and line is not None:
            where = f"{source}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class StoreError(ConvmineError):
    """The profile store cannot be opened, migrated or written. ``retry``: the cause may pass by itself (the
    connection was lost, the database was busy), so doing the same again may succeed."""

    def __init__(self, message: str, *, retry: bool = False):
        super().__init__(message)
        self.retry = retry


class ReviewRefusedError(StoreError):
    """A reviewer's verdict the store cannot record (its call or turn is not there, is the agent's, reads
    differently now, or has no such tag); ``review`` is that verdict."""

    def __init__(self, message: str, review: object):
        super().__init__(message)
        self.review = review


class ModelError(ConvmineError):
    """A saved model cannot be loaded or does not fit the taxonomy in use."""


class MissingExtraError(ConvmineError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""
