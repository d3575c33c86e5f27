"""The SQLite profile store: stdlib ``sqlite3``, WAL journal, foreign keys on, batched writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from convmine.errors import StoreError
from convmine.store.migrations import migrate, transaction
from convmine.store.sql import SQLStore
from convmine.taxonomy import Taxonomy


class SQLiteStore(SQLStore):
    """A profile store in one SQLite file (``":memory:"`` for a throwaway one).

    Opening a file creates it, or migrates an older schema to the current one.
    """

    driver_error = sqlite3.Error

    def __init__(self, path: str | Path = "convmine.db", *, taxonomy: Taxonomy | None = None):
        super().__init__(str(path), taxonomy=taxonomy)
        try:
            conn = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the SQLite store {self.path}: {exc}; does its folder exist?"
            ) from exc
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            # With WAL this never corrupts; a power cut may undo the last batches (re-run them).
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn, self.path)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(
                f"cannot open the SQLite store {self.path}: {exc}; is it a convmine store?"
            ) from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._adopt_stored_taxonomy(taxonomy)

    @property
    def path(self) -> str:
        """The database file (``":memory:"`` for a throwaway store)."""
        return self.target

    def _run(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    def _run_many(self, sql: str, rows: list[tuple[object, ...]]) -> int:
        return self._db.executemany(sql, rows).rowcount

    def _transaction(self) -> AbstractContextManager[None]:
        return transaction(self._db)

    def _passing(self, exc: Exception) -> bool:
        return (isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)) or super()._passing(exc)
