"""The profile store: tagged calls in, customer profiles and tag observations out.

:func:`open_store` picks a backend by the target's URL scheme: a plain path or ``sqlite:///path``
opens a :class:`SQLiteStore`; ``postgresql://…`` (or ``postgres://``, ``postgresql+psycopg://``) a
:class:`~convmine.store.postgres.PostgresStore`, which needs the ``postgres`` extra. A backend is one
entry in :data:`BACKENDS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from convmine.errors import StoreError
from convmine.profile import Observation, Profile, ProfileEntry
from convmine.store.base import CallRecord, LabelFilter, ProfileStore, SaveSummary, StoredTaxonomy
from convmine.store.sqlite import SQLiteStore
from convmine.taxonomy import Taxonomy

#: Opens the store at a URL with a taxonomy; ``create=False`` refuses to create one that is not there.
Opener = Callable[[str, Taxonomy | None, bool], ProfileStore]


def _sqlite_path(url: str) -> str:
    """``sqlite://`` is in memory; ``sqlite:///relative.db`` and ``sqlite:////abs/path.db`` are files."""
    rest = url.split("://", 1)[1]
    if not rest:
        return ":memory:"
    if not rest.startswith("/") or rest == "/":
        raise StoreError(f"a SQLite store URL looks like sqlite:///path/to/file.db, got {url!r}")
    return rest[1:]


def _open_sqlite(url: str, taxonomy: Taxonomy | None, create: bool) -> ProfileStore:
    path = _sqlite_path(url)
    if not create and path != ":memory:" and not Path(path).exists():
        raise StoreError(f"no profile store at {path}; check --db, or run `convmine tag` first")
    return SQLiteStore(path, taxonomy=taxonomy)


def _open_postgresql(url: str, taxonomy: Taxonomy | None, create: bool) -> ProfileStore:
    from convmine.store.postgres import PostgresStore

    return PostgresStore(url, taxonomy=taxonomy, create=create)


#: A libpq ``key=value`` connection string, which --db takes for a file name otherwise.
_CONNINFO = re.compile(r"(?:^|\s)[a-z_]+\s*=", re.IGNORECASE)
#: A store URL that lost its ``//`` (``postgresql:user@host/db``), also taken for a file name otherwise.
_SCHEME = re.compile(r"(postgres|postgresql|sqlite)(\+\w+)?:", re.IGNORECASE)

#: The drivers a URL may name after its scheme (``postgresql+psycopg://``): the one convmine uses.
_DRIVERS = {"postgresql": {"", "psycopg"}, "postgres": {"", "psycopg"}}

#: URL scheme → function opening that kind of store. ``postgresql+psycopg://`` is looked up as ``postgresql``.
BACKENDS: dict[str, Opener] = {
    "sqlite": _open_sqlite,
    "postgresql": _open_postgresql,
    "postgres": _open_postgresql,
}


def open_store(
    target: str | Path = "convmine.db", *, taxonomy: Taxonomy | None = None, create: bool = True
) -> ProfileStore:
    """Open (creating or migrating it as needed) the profile store at ``target``: a path or a URL.

    ``taxonomy`` is what profiles are merged with and what saved calls are recorded as tagged with
    (default: the store's copy of the taxonomy its calls were tagged with, else the bundled one). With
    ``create=False`` a store that does not exist (no SQLite file, no convmine tables in the PostgreSQL
    database) is an error rather than a new, empty store (what reading commands want: a mistyped ``--db``
    must not look like a customer with no tags).
    """
    plain = isinstance(target, Path) or "://" not in target
    if plain and (_CONNINFO.search(str(target)) or _SCHEME.match(str(target))):  # never echo it: a password?
        raise StoreError(
            "the store looks like a libpq connection string or a URL without '//'; give it as a URL, "
            "postgresql://user@host:5432/dbname, with the password in PGPASSWORD or ~/.pgpass"
        )
    url = f"sqlite:///{target}" if plain else str(target)
    scheme, _, driver = url.split("://", 1)[0].lower().partition("+")
    opener = BACKENDS.get(scheme)
    if opener is None or driver not in _DRIVERS.get(
        scheme, {""}
    ):  # never echo the URL: it may hold a password
        raise StoreError(
            f"unknown profile store scheme {url.split('://', 1)[0]!r}; use a file path, sqlite:///path or "
            "postgresql://…"
        )
    return opener(url, taxonomy, create)


__all__ = [
    "BACKENDS",
    "CallRecord",
    "LabelFilter",
    "Observation",
    "Profile",
    "ProfileEntry",
    "ProfileStore",
    "SQLiteStore",
    "SaveSummary",
    "StoredTaxonomy",
    "open_store",
]
