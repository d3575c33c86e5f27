"""Profile stores for tests and benchmarks: a throwaway PostgreSQL server, a schema of one's own in it, its
database reached directly as another program would, and savers run at once."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

T = TypeVar("T")
R = TypeVar("R")


def run_sql(db: str | Path, statement: str) -> list[tuple]:
    """Run one statement on the database of the store at ``db`` (a SQLite path or a PostgreSQL URL)."""
    if str(db).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(db), autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(db) as conn:
        return conn.execute(statement).fetchall()


def at_once(work: Callable[[T], R], args: Sequence[T]) -> list[R]:
    """``work`` on each of ``args`` in threads of their own, all started together (as parallel taggers
    are); their results in order. The first error any of them raised is raised here."""
    with ThreadPoolExecutor(max_workers=len(args)) as pool:
        return list(pool.map(work, args))


@contextmanager
def throwaway_postgres(folder: Path) -> Iterator[str]:
    """A PostgreSQL server in ``folder`` (``pgserver``, of the ``dev`` extra) for as long as this lasts; its URL."""
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp())  # pgserver asks for one; containers lack it
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def schema_url(server_url: str, schema: str) -> str:
    """Create ``schema`` on the server; the URL of a store whose tables go there."""
    run_sql(server_url, f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in server_url else "?"
    return f"{server_url}{joiner}options={quote(f'-csearch_path={schema}')}"
