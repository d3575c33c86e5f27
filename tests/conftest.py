"""Shared fixtures: the profile-store backends the store tests run on.

SQLite always; PostgreSQL where ``pgserver`` (PostgreSQL binaries in a wheel) and ``psycopg`` are
installed, as the ``dev`` and ``postgres`` extras install them. CI installs both, and there a missing
PostgreSQL is a failure, not a skip.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from collections.abc import Iterator

import pytest

from tests.stores import schema_url, throwaway_postgres

_schemas = itertools.count()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a throwaway PostgreSQL server, started once per test session."""
    missing = [name for name in ("pgserver", "psycopg") if importlib.util.find_spec(name) is None]
    if missing and os.environ.get("CI"):
        raise ImportError(
            f"the PostgreSQL tests need {' and '.join(missing)}: pip install -e '.[dev,postgres]'"
        )
    if missing:
        pytest.skip("no PostgreSQL to test against: pip install -e '.[dev,postgres]' (CI installs it)")
    with throwaway_postgres(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A URL of the throwaway server whose tables go to a schema of their own, new for each test."""
    return schema_url(postgres_server, f"test_{next(_schemas)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Where to open a new, empty profile store: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "profiles.db")
    return request.getfixturevalue("postgres_url")
