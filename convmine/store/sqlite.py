"""The SQLite profile store: stdlib ``sqlite3``, WAL journal, foreign keys on, batched writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from convmine.errors import StoreError
from convmine.profile import Observation, as_utc
from convmine.schema import Call, Evidence, Tag, TaggedCall, Utterance
from convmine.store.base import CallRecord, LabelFilter, ProfileStore, SaveSummary
from convmine.store.migrations import migrate, transaction
from convmine.taxonomy import Taxonomy

_OBSERVED_AT = "coalesce(c.started_at, c.ingested_at)"
_TAG_COLUMNS = (
    "t.label, t.value, t.confidence, t.source, t.utterance_index, t.span_start, t.span_end, t.quote, "
    "t.start_sec, t.end_sec, t.taxonomy_version, t.model_version"
)
_UPDATE_CALL = (
    "UPDATE calls SET customer_id = ?, agent_id = ?, started_at = ?, source = ?, taxonomy_version = ?, "
    "tagger = ? WHERE call_id = ?"
)
_INSERT_CALL = (
    "INSERT INTO calls (customer_id, agent_id, started_at, source, taxonomy_version, tagger, call_id, "
    "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING"
)
_INSERT_UTTERANCE = (
    "INSERT INTO utterances (call_id, idx, speaker, text, start_sec, end_sec) VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_TAG = (
    "INSERT INTO tags (call_id, idx, label, value, confidence, source, utterance_index, span_start, "
    "span_end, quote, start_sec, end_sec, taxonomy_version, model_version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class SQLiteStore(ProfileStore):
    """A profile store in one SQLite file (``":memory:"`` for a throwaway one).

    Opening a file creates it, or migrates an older schema to the current one.
    """

    def __init__(self, path: str | Path = "convmine.db", *, taxonomy: Taxonomy | None = None):
        super().__init__(taxonomy)
        self.path = str(path)
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
        self._conn: sqlite3.Connection | None = conn

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store {self.path} is closed; open it again with open_store()")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def save(
        self,
        tagged_calls: Iterable[TaggedCall],
        *,
        batch_size: int = 200,
        tagger: str = "",
        taxonomy_version: str = "",
    ) -> SaveSummary:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        total = SaveSummary()
        pending = iter(tagged_calls)
        while batch := list(islice(pending, batch_size)):
            try:
                total += self._save_batch(batch, tagger, taxonomy_version)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"saving calls {batch[0].call.call_id!r} … {batch[-1].call.call_id!r} to {self.path} "
                    f"failed, so that batch was rolled back ({total.calls} calls of earlier batches are "
                    f"saved): {exc}"
                ) from exc
        return total

    def _save_batch(self, batch: list[TaggedCall], tagger: str, taxonomy_version: str) -> SaveSummary:
        latest = {item.call.call_id: item for item in batch}  # a call ID seen twice: the later one wins
        ingested_at = _to_text(datetime.now(UTC))
        calls = [
            (c.customer_id, c.agent_id, _to_text(c.started_at), c.source, taxonomy_version, tagger, c.call_id)
            for c in (item.call for item in latest.values())
        ]
        utterances = [
            (call_id, u.index, u.speaker, u.text, u.start, u.end)
            for call_id, item in latest.items()
            for u in item.call.utterances
        ]
        tags = [
            _tag_row(call_id, idx, tag)
            for call_id, item in latest.items()
            for idx, tag in enumerate(item.tags)
        ]
        ids = [(call_id,) for call_id in latest]
        db = self._db
        with transaction(db):
            db.executemany(_UPDATE_CALL, calls)
            new = db.executemany(_INSERT_CALL, [(*row, ingested_at) for row in calls]).rowcount
            db.executemany("DELETE FROM utterances WHERE call_id = ?", ids)
            db.executemany("DELETE FROM tags WHERE call_id = ?", ids)
            db.executemany(_INSERT_UTTERANCE, utterances)
            db.executemany(_INSERT_TAG, tags)
        return SaveSummary(len(calls), new, len(utterances), len(tags))

    def get_call(self, call_id: str) -> TaggedCall | None:
        row = self._query(
            "SELECT customer_id, agent_id, started_at, source FROM calls WHERE call_id = ?", (call_id,)
        ).fetchone()
        if row is None:
            return None
        customer_id, agent_id, started_at, source = row
        utterances = [
            Utterance(idx, speaker, text, start, end)
            for idx, speaker, text, start, end in self._query(
                "SELECT idx, speaker, text, start_sec, end_sec FROM utterances WHERE call_id = ? "
                "ORDER BY idx",
                (call_id,),
            )
        ]
        tags = [
            _tag(row)
            for row in self._query(
                f"SELECT {_TAG_COLUMNS} FROM tags AS t WHERE call_id = ? ORDER BY idx", (call_id,)
            )
        ]
        call = Call(call_id, customer_id, utterances, agent_id, _from_text(started_at), source)
        return TaggedCall(call, tags)

    def calls(
        self,
        *,
        customer_id: str | None = None,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[CallRecord]:
        where, params = _call_filter(customer_id, agent_id, since, until)
        sql = (
            "SELECT c.call_id, c.customer_id, c.agent_id, c.started_at, c.source, c.ingested_at, "
            "c.taxonomy_version, c.tagger, "
            "(SELECT count(*) FROM utterances AS u WHERE u.call_id = c.call_id), "
            "(SELECT count(*) FROM tags AS t WHERE t.call_id = c.call_id) "
            f"FROM calls AS c {_where(where)} ORDER BY {_OBSERVED_AT}, c.call_id"
        )
        return [
            CallRecord(
                call_id, customer, agent, _from_text(started), source, datetime.fromisoformat(ingested),
                taxonomy_version, tagger, n_utt, n_tags,
            )
            for call_id, customer, agent, started, source, ingested, taxonomy_version, tagger, n_utt, n_tags
            in self._query(sql, params)
        ]  # fmt: skip

    def observations(
        self,
        *,
        customer_id: str | None = None,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        labels: LabelFilter = None,
    ) -> Iterator[Observation]:
        where, params = _call_filter(customer_id, agent_id, since, until)
        if isinstance(labels, str):
            prefix = labels.rstrip(".")  # a whole label ID, or whole dotted segments of one
            where.append("(t.label = ? OR (t.label >= ? AND t.label < ?))")
            params += [prefix, prefix + ".", prefix + "/"]  # "/" sorts right after "."
        elif labels is not None:
            wanted = list(labels)
            where.append(f"t.label IN ({', '.join('?' * len(wanted))})")
            params += wanted
        sql = (
            f"SELECT c.call_id, c.customer_id, c.agent_id, {_OBSERVED_AT}, {_TAG_COLUMNS} "
            f"FROM calls AS c JOIN tags AS t ON t.call_id = c.call_id {_where(where)} "
            f"ORDER BY {_OBSERVED_AT}, c.call_id, t.idx"
        )
        for row in self._query(sql, params):
            call_id, customer, agent, observed_at = row[:4]
            yield Observation(_tag(row[4:]), call_id, customer, agent, datetime.fromisoformat(observed_at))

    def customers(self) -> list[str]:
        sql = "SELECT DISTINCT customer_id FROM calls WHERE customer_id IS NOT NULL ORDER BY customer_id"
        return [customer for (customer,) in self._query(sql)]

    def delete_call(self, call_id: str) -> bool:
        db = self._db
        try:
            with transaction(db):
                deleted = db.execute("DELETE FROM calls WHERE call_id = ?", (call_id,)).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"deleting call {call_id!r} from {self.path} failed: {exc}") from exc
        return deleted > 0

    def _query(self, sql: str, params: Iterable[object] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise StoreError(f"reading {self.path} failed: {exc}") from exc


def _to_text(moment: datetime | None) -> str | None:
    """ISO-8601 UTC with microseconds: fixed width, so text order is time order."""
    return None if moment is None else as_utc(moment).isoformat(timespec="microseconds")


def _from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _call_filter(
    customer_id: str | None, agent_id: str | None, since: datetime | None, until: datetime | None
) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    for clause, param in (
        ("c.customer_id = ?", customer_id),
        ("c.agent_id = ?", agent_id),
        (f"{_OBSERVED_AT} >= ?", _to_text(since)),
        (f"{_OBSERVED_AT} < ?", _to_text(until)),
    ):
        if param is not None:
            where.append(clause)
            params.append(param)
    return where, params


def _where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _tag_row(call_id: str, idx: int, tag: Tag) -> tuple[object, ...]:
    evidence = tag.evidence
    span_start, span_end = evidence.span if evidence.span is not None else (None, None)
    return (
        call_id, idx, tag.label, tag.value, tag.confidence, tag.source, evidence.utterance_index,
        span_start, span_end, evidence.quote, evidence.start, evidence.end, tag.taxonomy_version,
        tag.model_version,
    )  # fmt: skip


def _tag(row: tuple[Any, ...]) -> Tag:
    """A :class:`Tag` from the columns named in ``_TAG_COLUMNS``."""
    (label, value, confidence, source, utterance_index, span_start, span_end, quote, start, end,
     taxonomy_version, model_version) = row  # fmt: skip
    span = None if span_start is None else (span_start, span_end)
    evidence = Evidence(utterance_index, span, quote, start, end)
    return Tag(label, confidence, source, evidence, value, taxonomy_version, model_version)
