"""The SQLite store's schema, as numbered migrations applied in order, each in its own transaction.

The database's ``PRAGMA user_version`` is the number of the last migration applied. To change the
schema, append a :class:`Migration` numbered one higher than the last to :data:`MIGRATIONS` (SQL
text, or a function for data migrations that need Python); never edit one that has shipped.

Datetimes are ISO-8601 UTC text with microseconds (``2024-05-01T08:30:00.000000+00:00``), so
text order is time order. Utterances and tags are keyed by ``(call_id, idx)`` and stored in key
order (``WITHOUT ROWID``): the same rows always give the same database dump.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from convmine.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step. A function gets the connection inside the migration's transaction and
    must not commit (nor call ``executescript``)."""

    version: int
    description: str
    apply: str | Callable[[sqlite3.Connection], None]


_V1 = """
CREATE TABLE calls (
    call_id TEXT NOT NULL PRIMARY KEY,
    customer_id TEXT,
    agent_id TEXT,
    started_at TEXT,
    source TEXT,
    ingested_at TEXT NOT NULL,
    taxonomy_version TEXT NOT NULL DEFAULT '',
    tagger TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE utterances (
    call_id TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    start_sec REAL,
    end_sec REAL,
    PRIMARY KEY (call_id, idx)
) WITHOUT ROWID;

CREATE TABLE tags (
    call_id TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    label TEXT NOT NULL,
    value REAL,
    confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    source TEXT NOT NULL,
    utterance_index INTEGER NOT NULL,
    span_start INTEGER,
    span_end INTEGER,
    quote TEXT NOT NULL,
    start_sec REAL,
    end_sec REAL,
    taxonomy_version TEXT NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (call_id, idx)
) WITHOUT ROWID;

CREATE INDEX calls_by_customer ON calls (customer_id, coalesce(started_at, ingested_at));
CREATE INDEX calls_by_agent ON calls (agent_id, coalesce(started_at, ingested_at));
CREATE INDEX calls_by_time ON calls (coalesce(started_at, ingested_at));
CREATE INDEX tags_by_label ON tags (label);
"""

# Reviewers' verdicts on tags (see convmine.review), appended: the latest one of a (call, turn, label)
# holds. Keyed by turn and label, not by tag row, so a verdict survives re-tagging the call.
_V2 = """
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    utterance_index INTEGER NOT NULL,
    label TEXT NOT NULL,
    value REAL,
    verdict TEXT NOT NULL CHECK (verdict IN ('confirm', 'reject', 'add')),
    reviewer TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);

CREATE INDEX reviews_by_tag ON reviews (call_id, utterance_index, label, reviewed_at);
"""

# The taxonomies calls were tagged with, each as a JSON copy (see convmine.store.taxonomy_copy) keyed by
# the copy's digest, so that reading commands need no taxonomy file. last_used_at changes only when
# a save switches taxonomy, so re-saving the same calls leaves the same rows.
_V3 = """
CREATE TABLE taxonomies (
    digest TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    hash TEXT NOT NULL,
    copy TEXT NOT NULL,
    last_used_at TEXT NOT NULL
) WITHOUT ROWID;
"""

# The text of the turn each verdict was given on, so that a verdict applies only while the turn at its
# index still reads the same (a re-transcribed call shifts turns). NULL for verdicts recorded before.
_V4 = """
ALTER TABLE reviews ADD COLUMN turn_text TEXT;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "calls, utterances and tags", _V1),
    Migration(2, "reviewers' verdicts on tags", _V2),
    Migration(3, "copies of the taxonomies calls were tagged with", _V3),
    Migration(4, "the turn text each verdict was given on", _V4),
)


def latest_version() -> int:
    """The schema version this code writes: the number of the last migration."""
    return MIGRATIONS[-1].version


def migrate(conn: sqlite3.Connection, name: str) -> int:
    """Bring the database ``name`` up to :func:`latest_version`; returns the version it is at.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Each migration runs in its own
    ``BEGIN IMMEDIATE`` transaction, so a failure leaves the database at the last good version and
    two processes opening an old database do not migrate it twice.
    """
    latest = latest_version()
    version = _version(conn)
    if version > latest:
        raise StoreError(
            f"{name} has schema version {version}, newer than this convmine knows ({latest}); "
            "upgrade convmine (pip install -U convmine) to open it"
        )
    for migration in MIGRATIONS[version:]:
        try:
            with transaction(conn):
                if _version(conn) < migration.version:  # else another process got here first
                    _apply(conn, migration)
                    conn.execute(f"PRAGMA user_version = {migration.version:d}")
        except sqlite3.Error as exc:
            raise StoreError(
                f"migrating {name} to schema version {migration.version} ({migration.description}) "
                f"failed: {exc}; the database was left at version {_version(conn)}. Is it a convmine store?"
            ) from exc
    return _version(conn)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on an autocommit connection; roll back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    if isinstance(migration.apply, str):
        for statement in _statements(migration.apply):
            conn.execute(statement)
    else:
        migration.apply(conn)


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _statements(script: str) -> list[str]:
    """Split SQL text into complete statements (``executescript`` would commit the transaction)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise StoreError(f"incomplete SQL statement in a migration: {pending.strip()[:80]!r}")
    return statements
