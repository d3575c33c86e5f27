"""What the SQL profile stores share: the queries, written once, and the save, review and read logic.

A backend (:class:`~convmine.store.sqlite.SQLiteStore`, :class:`~convmine.store.postgres.PostgresStore`)
opens the connection, migrates the schema and runs statements; the SQL here uses ``?`` placeholders and
only what SQLite and PostgreSQL both understand. Text columns compare byte by byte (PostgreSQL's are
``COLLATE "C"``), so label prefixes and orderings agree between the two.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from convmine.errors import ReviewRefusedError, StoreError, TaxonomyError
from convmine.profile import Observation, as_utc
from convmine.review import Review
from convmine.schema import Call, Evidence, Tag, TaggedCall, Utterance
from convmine.store.base import (
    CALLS_AT_ONCE,
    CallRecord,
    Guard,
    LabelFilter,
    ProfileStore,
    SaveSummary,
    StoredTaxonomy,
)
from convmine.store.taxonomy_copy import copy_digest, taxonomy_copy, taxonomy_from_copy
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
_INSERT_REVIEW = (
    "INSERT INTO reviews (call_id, utterance_index, label, value, verdict, reviewer, reviewed_at, note, "
    "turn_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_REVIEW_COLUMNS = "r.call_id, r.utterance_index, r.label, r.verdict, r.reviewer, r.reviewed_at, r.value, r.note, r.turn_text"
_LATEST_REVIEW_OF = (
    "(SELECT latest.id FROM reviews AS latest WHERE latest.call_id = {0}.call_id "
    "AND latest.utterance_index = {0}.utterance_index AND latest.label = {0}.label "
    "ORDER BY latest.reviewed_at DESC, latest.id DESC LIMIT 1)"
)
# Whether review r's verdict applies to utterance u, its turn (Review.applies_to): u is still a customer turn
# with the text the verdict was given on (a verdict recorded before verdicts were bound has no text and
# applies by index alone).
_APPLIES = "u.speaker = 'customer' AND (r.turn_text IS NULL OR r.turn_text = u.text)"
# Tags as reviewed (see convmine.review): the tagger's tags under their latest verdict where it applies,
# rejected ones left out; then tags reviewers added that the tagger missed, after the call's tags (ord), the whole
# turn as evidence. Both parts take the same call filter and a label filter on their label column.
_TAGGER_TAGS = (
    f"SELECT c.call_id, c.customer_id, c.agent_id, {_OBSERVED_AT}, t.idx AS ord, t.label, "
    "CASE WHEN r.id IS NULL THEN t.value ELSE coalesce(r.value, t.value) END, "
    "CASE WHEN r.id IS NULL THEN t.confidence ELSE 1.0 END, "
    "CASE WHEN r.id IS NULL THEN t.source ELSE 'review' END, "
    "t.utterance_index, t.span_start, t.span_end, t.quote, t.start_sec, t.end_sec, t.taxonomy_version, "
    "t.model_version "
    "FROM calls AS c JOIN tags AS t ON t.call_id = c.call_id "
    f"LEFT JOIN reviews AS r ON r.id = {_LATEST_REVIEW_OF.format('t')} AND EXISTS (SELECT 1 FROM utterances AS u "
    f"WHERE u.call_id = r.call_id AND u.idx = r.utterance_index AND {_APPLIES}) "
    "WHERE (r.id IS NULL OR r.verdict <> 'reject')"
)
_ADDED_TAGS = (
    f"SELECT c.call_id, c.customer_id, c.agent_id, {_OBSERVED_AT}, 1000000000 + r.utterance_index, r.label, "
    "r.value, 1.0, 'review', r.utterance_index, NULL, NULL, u.text, u.start_sec, u.end_sec, "
    "c.taxonomy_version, '' "
    "FROM calls AS c JOIN reviews AS r ON r.call_id = c.call_id "
    "JOIN utterances AS u ON u.call_id = r.call_id AND u.idx = r.utterance_index "
    f"WHERE r.verdict = 'add' AND {_APPLIES} "
    f"AND r.id = {_LATEST_REVIEW_OF.format('r')} AND NOT EXISTS ("
    "SELECT 1 FROM tags AS t WHERE t.call_id = r.call_id AND t.utterance_index = r.utterance_index "
    "AND t.label = r.label)"
)
_REMEMBER_TAXONOMY = (
    "INSERT INTO taxonomies (digest, name, version, hash, copy, last_used_at) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (digest) DO UPDATE SET last_used_at = excluded.last_used_at"
)
_NEWEST_FIRST = "ORDER BY last_used_at DESC, digest"
_INSERT_TAG = (
    "INSERT INTO tags (call_id, idx, label, value, confidence, source, utterance_index, span_start, "
    "span_end, quote, start_sec, end_sec, taxonomy_version, model_version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class SQLStore(ProfileStore):
    """A profile store in a SQL database; subclasses connect and run statements."""

    #: The database driver's error class; a failing statement raises :class:`StoreError` naming ``target``.
    driver_error: type[Exception]

    def __init__(self, target: str, *, taxonomy: Taxonomy | None = None):
        super().__init__(taxonomy, target=target)
        self._conn: Any = None  # the backend's connection, once open
        self._copy: tuple[str, str] | None = None  # (digest, JSON) of self.taxonomy, made on first save

    def _adopt_stored_taxonomy(self, taxonomy: Taxonomy | None) -> None:
        """Without a given taxonomy, read calls with the copy of the one they were tagged with (if kept)."""
        if taxonomy is None:
            try:
                self.taxonomy = self._remembered_taxonomy() or self.taxonomy
            except BaseException:
                self.close()
                raise

    @property
    def _db(self) -> Any:
        """The open connection (a DB-API connection of the backend's driver)."""
        if self._conn is None:
            raise StoreError(f"the store {self.target} is closed; open it again with open_store()")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else "open"
        return (
            f"{type(self).__name__}({self.target!r}, taxonomy={self.taxonomy.name!r} "
            f"{self.taxonomy.version}, {state})"
        )

    @abstractmethod
    def _run(self, sql: str, params: Sequence[object] = ()) -> Any:
        """Execute one statement (``?`` placeholders); returns a cursor to fetch from or iterate."""

    @abstractmethod
    def _run_many(self, sql: str, rows: list[tuple[object, ...]]) -> int:
        """Execute one statement per row; returns the number of rows it changed in all."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """A write transaction: committed on leaving, rolled back on any exception."""

    def _after_save(self, summary: SaveSummary) -> None:
        """What a backend does once a save has committed (nothing, here)."""

    def _passing(self, exc: Exception) -> bool:
        """Whether ``exc`` (a driver error, or a :class:`StoreError` made of one) may pass by itself: a lost
        connection, a busy database."""
        return getattr(exc, "retry", False)

    def _lock_reviews(self) -> None:
        """Inside :meth:`add_reviews`' transaction: wait until no other transaction is recording verdicts
        (each is recorded once only if its "same as the latest?" check sees the others' verdicts)."""

    def _lock_calls(self, call_ids: list[str]) -> None:
        """Inside a save's transaction, before it writes: wait until no other transaction is saving these
        calls, and keep them until this one ends. Nothing to do where one writer at a time is the rule."""

    def save(
        self,
        tagged_calls: Iterable[TaggedCall],
        *,
        batch_size: int = 200,
        tagger: str = "",
        taxonomy_version: str = "",
        guard: Guard | None = None,
    ) -> SaveSummary:
        if batch_size < 1:
            raise StoreError(f"batch_size must be at least 1, got {batch_size}")
        if isinstance(tagged_calls, TaggedCall | str):
            raise StoreError("save takes an iterable of TaggedCalls; pass one call as [tagged_call]")
        total = SaveSummary()
        pending = iter(tagged_calls)
        if self.max_batch is not None:
            batch_size = min(batch_size, self.max_batch)
        while batch := list(islice(pending, batch_size)):
            self.refuse_unsafe(batch)
            try:
                total += self._save_batch(batch, tagger, taxonomy_version, guard)
            except (self.driver_error, StoreError) as exc:  # StoreError: the guard's read failed
                earlier = (
                    f"; {total.calls} calls of this save's earlier batches are saved" if total.calls else ""
                )
                raise StoreError(
                    f"saving calls {batch[0].call.call_id!r} … {batch[-1].call.call_id!r} to {self.target} "
                    f"failed, so that batch was rolled back{earlier}: {exc}",
                    retry=self._passing(exc),
                ) from exc
        self._after_save(total)
        return total

    def _save_batch(
        self, batch: list[TaggedCall], tagger: str, taxonomy_version: str, guard: Guard | None
    ) -> SaveSummary:
        ingested_at = _to_text(datetime.now(UTC))
        with self._transaction():
            latest = {item.call.call_id: item for item in batch}  # a call ID seen twice: the later one wins
            self._lock_calls(list(latest))
            refused = self._refused(latest, guard) if guard is not None else []
            for item, _ in refused:
                del latest[item.call.call_id]
            summary = self._write(latest, tagger, taxonomy_version, ingested_at)
            if _tagged_with(batch, taxonomy_version) == {self.taxonomy.version}:
                self._remember_taxonomy(ingested_at)
        return replace(summary, refused=tuple(refused))

    def _refused(self, latest: dict[str, TaggedCall], guard: Guard) -> list[tuple[TaggedCall, str]]:
        stored = self.get_calls(latest)
        return [
            (item, reason) for call_id, item in latest.items() if (reason := guard(stored.get(call_id), item))
        ]

    def _write(
        self,
        latest: dict[str, TaggedCall],
        tagger: str,
        taxonomy_version: str,
        ingested_at: str | None,
    ) -> SaveSummary:
        """Replace these calls' rows (inside a save's transaction, the calls locked)."""
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
        self._run_many(_UPDATE_CALL, calls)
        new = self._run_many(_INSERT_CALL, [(*row, ingested_at) for row in calls])
        self._run_many("DELETE FROM utterances WHERE call_id = ?", ids)
        self._run_many("DELETE FROM tags WHERE call_id = ?", ids)
        self._run_many(_INSERT_UTTERANCE, utterances)
        self._run_many(_INSERT_TAG, tags)
        return SaveSummary(len(calls), new, len(utterances), len(tags))

    def get_calls(self, call_ids: Iterable[str]) -> dict[str, TaggedCall]:
        found: dict[str, TaggedCall] = {}
        wanted = list(dict.fromkeys(call_ids))
        for start in range(0, len(wanted), CALLS_AT_ONCE):
            chunk = wanted[start : start + CALLS_AT_ONCE]
            among = f"call_id IN ({', '.join('?' * len(chunk))})"
            turns: dict[str, list[Utterance]] = {call_id: [] for call_id in chunk}
            for call_id, idx, speaker, text, begin, end in self._query(
                f"SELECT call_id, idx, speaker, text, start_sec, end_sec FROM utterances WHERE {among} "
                "ORDER BY call_id, idx",
                chunk,
            ):
                turns[call_id].append(Utterance(idx, speaker, text, begin, end))
            tags: dict[str, list[Tag]] = {call_id: [] for call_id in chunk}
            for row in self._query(
                f"SELECT t.call_id, {_TAG_COLUMNS} FROM tags AS t WHERE {among} ORDER BY call_id, idx", chunk
            ):
                tags[row[0]].append(_tag(row[1:]))
            for call_id, customer_id, agent_id, started_at, source in self._query(
                f"SELECT call_id, customer_id, agent_id, started_at, source FROM calls WHERE {among}", chunk
            ):
                call = Call(call_id, customer_id, turns[call_id], agent_id, _moment(started_at), source)
                found[call_id] = TaggedCall(call, tags[call_id])
        return {call_id: found[call_id] for call_id in wanted if call_id in found}

    def calls(
        self,
        *,
        customer_id: str | None = None,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        call_id: str | None = None,
    ) -> list[CallRecord]:
        where, params = _call_filter(customer_id, agent_id, since, until, call_id)
        sql = (
            "SELECT c.call_id, c.customer_id, c.agent_id, c.started_at, c.source, c.ingested_at, "
            "c.taxonomy_version, c.tagger, "
            "(SELECT count(*) FROM utterances AS u WHERE u.call_id = c.call_id), "
            "(SELECT count(*) FROM tags AS t WHERE t.call_id = c.call_id) "
            f"FROM calls AS c {_where(where)} ORDER BY {_OBSERVED_AT}, c.call_id"
        )
        return [
            CallRecord(
                call_id, customer, agent, _moment(started), source, _moment(ingested),
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
        call_id: str | None = None,
    ) -> Iterator[Observation]:
        where, params = _call_filter(customer_id, agent_id, since, until, call_id)
        tagger_where, tagger_params = _label_filter(labels, "t.label")
        added_where, added_params = _label_filter(labels, "r.label")
        sql = (
            f"{_TAGGER_TAGS} {_and(where + tagger_where)} UNION ALL {_ADDED_TAGS} {_and(where + added_where)} "
            "ORDER BY 4, 1, 5"
        )
        for row in self._query(sql, [*params, *tagger_params, *params, *added_params]):
            call_id, customer, agent, observed_at = row[:4]
            yield Observation(_tag(row[5:]), call_id, customer, agent, _moment(observed_at))

    def add_reviews(self, reviews: Iterable[Review]) -> int:
        pending = list(reviews)
        for review in pending:
            if review.label:
                label = self.taxonomy[review.label]  # raises, naming the label and what it may have meant
                if review.value is not None and label.value_type is None:
                    raise TaxonomyError(f"label {label.id!r} takes no value, got {review.value:g}")
        recorded = 0
        try:
            with self._transaction():
                self._lock_reviews()
                for review in pending:
                    text = self._check_review(review)
                    latest = self._run(
                        "SELECT verdict, value, reviewer, turn_text FROM reviews WHERE call_id = ? "
                        "AND utterance_index = ? AND label = ? ORDER BY reviewed_at DESC, id DESC LIMIT 1",
                        (review.call_id, review.utterance_index, review.label),
                    ).fetchone()
                    if latest == (review.verdict, review.value, review.reviewer, text):
                        continue
                    self._run(
                        _INSERT_REVIEW,
                        (
                            review.call_id, review.utterance_index, review.label, review.value, review.verdict,
                            review.reviewer, _to_text(review.reviewed_at), review.note, text,
                        ),
                    )  # fmt: skip
                    recorded += 1
        except self.driver_error as exc:
            raise StoreError(
                f"recording reviews in {self.target} failed, so none were recorded: {exc}"
            ) from exc
        return recorded

    def _check_review(self, review: Review) -> str:
        """The text of the stored customer turn (and tag) the review is of; raise :class:`ReviewRefusedError` unless
        there is one that reads as the review says."""
        call_id, index = review.call_id, review.utterance_index
        row = self._run(
            "SELECT speaker, text FROM utterances WHERE call_id = ? AND idx = ?", (call_id, index)
        ).fetchone()
        if row is None:
            if self._run("SELECT 1 FROM calls WHERE call_id = ?", (call_id,)).fetchone() is None:
                raise ReviewRefusedError(
                    f"no call {call_id!r} in {self.target}, so none of the reviews were recorded", review
                )
            raise ReviewRefusedError(
                f"call {call_id!r} has no turn {index}, so none of the reviews were recorded", review
            )
        if row[0] != "customer":
            raise ReviewRefusedError(
                f"turn {index} of call {call_id!r} is the {row[0]}'s; labels describe the customer, so "
                "review customer turns only (none of the reviews were recorded)",
                review,
            )
        text: str = row[1]
        if review.text is not None and review.text.strip() != text.strip():
            raise ReviewRefusedError(
                f"turn {index} of call {call_id!r} reads differently now than when it was exported for "
                "review (the call was tagged again since); export the review file again, or clear this "
                "row's verdict (none of the reviews were recorded)",
                review,
            )
        if review.label and review.verdict != "add":
            key = (call_id, index, review.label)
            found = self._run(
                "SELECT 1 FROM tags WHERE call_id = ? AND utterance_index = ? AND label = ? UNION ALL "
                "SELECT 1 FROM reviews WHERE call_id = ? AND utterance_index = ? AND label = ? LIMIT 1",
                key * 2,
            ).fetchone()
            if found is None:
                raise ReviewRefusedError(
                    f"turn {index} of call {call_id!r} has no tag {review.label!r} to {review.verdict}; "
                    "mark a label the tagger missed 'add' (none of the reviews were recorded)",
                    review,
                )
        return text

    def reviews(self, *, call_id: str | None = None, history: bool = False) -> list[Review]:
        where = [] if history else [f"r.id = {_LATEST_REVIEW_OF.format('r')}"]
        params: list[object] = []
        if call_id is not None:
            where.append("r.call_id = ?")
            params.append(call_id)
        sql = (
            f"SELECT {_REVIEW_COLUMNS} FROM reviews AS r {_where(where)} "
            "ORDER BY r.call_id, r.utterance_index, r.label, r.reviewed_at, r.id"
        )
        return [
            Review(call, index, label, verdict, reviewer, _moment(at), value, note, text)
            for call, index, label, verdict, reviewer, at, value, note, text in self._query(sql, params)
        ]

    def tagged_with(self) -> list[StoredTaxonomy]:
        kept = [
            StoredTaxonomy(version, name, taxonomy_hash, _moment(last_used_at))
            for name, version, taxonomy_hash, last_used_at in self._query(
                f"SELECT name, version, hash, last_used_at FROM taxonomies {_NEWEST_FIRST}"
            )
        ]
        versions = {taxonomy.version for taxonomy in kept}
        others = self._query(
            "SELECT DISTINCT taxonomy_version FROM calls WHERE taxonomy_version <> '' ORDER BY 1"
        )
        return kept + [StoredTaxonomy(version) for (version,) in others if version not in versions]

    def stored_labels(self) -> set[str]:
        sql = "SELECT label FROM tags UNION SELECT label FROM reviews WHERE label <> ''"
        return {label for (label,) in self._query(sql)}

    def _remembered_taxonomy(self) -> Taxonomy | None:
        """The copy of the taxonomy the calls were tagged with: the one used last that knows every stored
        label (else the one used last); ``None`` when the store keeps no copy."""
        copies = self._query(f"SELECT digest, copy FROM taxonomies {_NEWEST_FIRST}").fetchall()
        if not copies:
            return None
        taxonomies = [taxonomy_from_copy(copy, digest) for digest, copy in copies]
        if len(taxonomies) > 1:
            labels = self.stored_labels()
            return next((t for t in taxonomies if labels <= set(t.label_ids)), taxonomies[0])
        return taxonomies[0]

    def _remember_taxonomy(self, now: str) -> None:
        """Keep a copy of :attr:`taxonomy` and make it the one used last (inside a save's transaction)."""
        if self._copy is None:
            copy = taxonomy_copy(self.taxonomy)
            self._copy = (copy_digest(copy), copy)
        digest, copy = self._copy
        last = self._run(f"SELECT digest FROM taxonomies {_NEWEST_FIRST} LIMIT 1").fetchone()
        if last is None or last[0] != digest:  # else nothing changes: re-saving leaves the same rows
            tax = self.taxonomy
            self._run(_REMEMBER_TAXONOMY, (digest, tax.name, tax.version, tax.hash, copy, now))

    def customers(self) -> list[str]:
        sql = "SELECT DISTINCT customer_id FROM calls WHERE customer_id IS NOT NULL ORDER BY customer_id"
        return [customer for (customer,) in self._query(sql)]

    def delete_call(self, call_id: str) -> bool:
        try:
            with self._transaction():
                deleted = self._run("DELETE FROM calls WHERE call_id = ?", (call_id,)).rowcount
        except self.driver_error as exc:
            raise StoreError(f"deleting call {call_id!r} from {self.target} failed: {exc}") from exc
        return deleted > 0

    def _query(self, sql: str, params: Iterable[object] = ()) -> Any:
        try:
            return self._run(sql, tuple(params))
        except self.driver_error as exc:
            raise StoreError(f"reading {self.target} failed: {exc}", retry=self._passing(exc)) from exc


def _tagged_with(batch: list[TaggedCall], taxonomy_version: str) -> set[str]:
    """The versions of the taxonomies a batch was tagged with: as the caller says, else as its tags say."""
    if taxonomy_version:
        return {taxonomy_version}
    return {tag.taxonomy_version for item in batch for tag in item.tags}


def _to_text(moment: datetime | None) -> str | None:
    """ISO-8601 UTC with microseconds, as both backends take a moment: fixed width, so text order is time order."""
    return None if moment is None else as_utc(moment).isoformat(timespec="microseconds")


def _moment(value: Any) -> Any:
    """A stored moment as an aware UTC datetime (SQLite keeps ISO text, PostgreSQL ``timestamptz``)."""
    if value is None:
        return None
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(value))


def _call_filter(
    customer_id: str | None,
    agent_id: str | None,
    since: datetime | None,
    until: datetime | None,
    call_id: str | None = None,
) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    for clause, param in (
        ("c.customer_id = ?", customer_id),
        ("c.agent_id = ?", agent_id),
        ("c.call_id = ?", call_id),
        (f"{_OBSERVED_AT} >= ?", _to_text(since)),
        (f"{_OBSERVED_AT} < ?", _to_text(until)),
    ):
        if param is not None:
            where.append(clause)
            params.append(param)
    return where, params


def _where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _and(clauses: list[str]) -> str:
    """More conditions for a query that already has a WHERE clause."""
    return "".join(f" AND {clause}" for clause in clauses)


def _label_filter(labels: LabelFilter, column: str) -> tuple[list[str], list[object]]:
    if labels is None:
        return [], []
    if isinstance(labels, str):
        prefix = labels.rstrip(".")  # a whole label ID, or whole dotted segments of one ("/" sorts after ".")
        return [f"({column} = ? OR ({column} >= ? AND {column} < ?))"], [prefix, prefix + ".", prefix + "/"]
    wanted = list(labels)
    if not wanted:
        return ["1 = 0"], []  # no label wanted: nothing (an empty IN list is not SQL everywhere)
    return [f"{column} IN ({', '.join('?' * len(wanted))})"], wanted


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
