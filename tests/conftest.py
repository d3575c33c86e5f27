"""Shared fixtures: the profile-store backends the store tests run on.

SQLite always; PostgreSQL where ``pgserver`` (PostgreSQL binaries in a wheel) and ``psycopg`` are
installed, as the ``dev`` and ``postgres`` extras install them. CI installs both, and there a missing
PostgreSQL is a failure, not a skip.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest

_schemas = itertools.count()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a throwaway PostgreSQL server, started once per test session."""
    # pgserver asks for a runtime folder, which a bare container (CI) may not name
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("runtime")))
    try:
        import pgserver
        import psycopg  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no PostgreSQL to test against: pip install -e '.[dev,postgres]' (CI installs it)")
    server = pgserver.get_server(tmp_path_factory.mktemp("postgres"), cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A URL of the throwaway server whose tables go to a schema of their own, new for each test."""
    import psycopg

    schema = f"test_{next(_schemas)}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in postgres_server else "?"
    return f"{postgres_server}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Where to open a new, empty profile store: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "profiles.db")
    return request.getfixturevalue("postgres_url")
