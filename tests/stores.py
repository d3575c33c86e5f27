"""Reaching into a profile store's database directly, as another program would, on either backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def run_sql(db: str | Path, statement: str) -> list[tuple]:
    """Run one statement on the database of the store at ``db`` (a SQLite path or a PostgreSQL URL)."""
    if str(db).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(db), autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(db) as conn:
        return conn.execute(statement).fetchall()
