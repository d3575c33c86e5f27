"""The profile stores (SQLite, and PostgreSQL where one can be started): round trips, idempotent re-saves,
queries, batching, taxonomy copies, refusals; SQLite's migrations."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convmine.errors import MissingExtraError, StoreError, TaxonomyError
from convmine.review import Review
from convmine.schema import SPEAKERS, Call, Evidence, Tag, TaggedCall, Utterance
from convmine.store import SQLiteStore, open_store
from convmine.store import migrations as migrations_module
from convmine.store.migrations import MIGRATIONS, Migration, latest_version
from convmine.store.taxonomy_copy import copy_digest, taxonomy_copy, taxonomy_from_copy
from convmine.taxonomy import Taxonomy, load_taxonomy
from convmine.text.pii import unmasked_refusal
from tests.fakes import write_bank_taxonomy
from tests.stores import at_once, run_sql

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def tag(label: str, utterance: int = 1, *, confidence: float = 0.9, value: float | None = None) -> Tag:
    return Tag(
        label, confidence, "rule", Evidence(utterance, (0, 2), "闲着", 3.0, 4.5), value, "1.0.0", "rules@1"
    )


def tagged(
    call_id: str,
    customer: str | None = "u1",
    *labels: str,
    started_at: datetime | None = T0,
    agent: str | None = "a1",
) -> TaggedCall:
    utterances = [
        Utterance(0, "agent", "您好，这边是理财经理", 0.0, 2.0),
        Utterance(1, "customer", f"我手头有点钱闲着 {call_id}", 2.5, 4.5),
        Utterance(2, "customer", "嗯嗯好的"),
    ]
    call = Call(call_id, customer, utterances, agent, started_at, f"{call_id}.json")
    return TaggedCall(call, [tag(label) for label in labels])


def rows(db: str | Path) -> dict[str, list[tuple]]:
    return {
        table: run_sql(db, f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in ("calls", "utterances", "tags", "reviews", "taxonomies")
    }


def dump(db: str | Path) -> list[str] | dict[str, list[tuple]]:
    """The whole database: SQLite's dump (same rows, same file), PostgreSQL's rows."""
    if str(db).startswith("postgresql://"):
        return rows(db)
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


@pytest.fixture
def db(store_url: str) -> str:
    """A new store's place: a SQLite file, then a PostgreSQL schema (see conftest)."""
    return store_url


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    return tmp_path / "profiles.db"


@pytest.fixture
def store(db: str):
    with open_store(db) as opened:
        yield opened


# --- round trips and re-saves ---------------------------------------------------------------------


def test_save_then_get_call_round_trips(store):
    original = tagged("c1", "u1", "basic.funds.idle", "preference.product.fund")
    original.tags.append(tag("preference.return.target", 2, confidence=0.5, value=3.5))
    summary = store.save([original])
    assert (summary.calls, summary.new_calls, summary.utterances, summary.tags) == (1, 1, 3, 3)
    assert store.get_call("c1") == original
    assert store.get_call("missing") is None


def test_saving_the_same_calls_twice_leaves_identical_tables(store, db):
    calls = [tagged(f"c{i}", f"u{i % 3}", "basic.funds.idle", "feedback.question.fees") for i in range(7)]
    calls.append(tagged("no-start", None, "basic.funds.idle", started_at=None))
    store.save(calls, batch_size=3)
    first_dump, first_rows = dump(db), rows(db)
    again = store.save(calls, batch_size=3)
    assert (again.calls, again.new_calls) == (8, 0)
    assert dump(db) == first_dump
    assert rows(db) == first_rows
    store.save(reversed(calls[2:5]), batch_size=2)  # a partial re-save in another order: still the same
    assert dump(db) == first_dump


def test_resave_keeps_the_first_ingested_at(store):
    store.save([tagged("c1", "u1", started_at=None)])
    (first,) = store.calls()
    store.save([tagged("c1", "u1", started_at=None)])
    (second,) = store.calls()
    assert second.ingested_at == first.ingested_at
    assert second.observed_at == first.ingested_at  # no start time: observed when first saved


def test_retagging_replaces_tags_and_utterances(store):
    store.save([tagged("c1", "u1", "basic.funds.idle", "preference.risk.high")])
    retagged = tagged("c1", "u2", "feedback.question.fees")
    retagged.call.utterances = retagged.call.utterances[:2]
    store.save([retagged], tagger="rules@2", taxonomy_version="1.1.0")
    assert store.get_call("c1") == retagged
    assert [o.tag.label for o in store.observations()] == ["feedback.question.fees"]
    (record,) = store.calls()
    assert (record.customer_id, record.utterances, record.tags) == ("u2", 2, 1)
    assert (record.tagger, record.taxonomy_version) == ("rules@2", "1.1.0")
    assert store.customers() == ["u2"]


def test_a_call_twice_in_one_batch_keeps_the_later_one(store):
    summary = store.save([tagged("c1", "u1", "basic.funds.idle"), tagged("c1", "u1", "preference.risk.high")])
    assert (summary.calls, summary.tags) == (1, 1)
    assert [t.label for t in store.get_call("c1").tags] == ["preference.risk.high"]


def test_datetimes_are_stored_as_utc_and_naive_ones_are_taken_as_utc(store, db):
    beijing = timezone(timedelta(hours=8))
    store.save([tagged("aware", started_at=datetime(2024, 5, 1, 16, 30, tzinfo=beijing))])
    store.save([tagged("naive", started_at=datetime(2024, 5, 1, 8, 30))])
    for call_id in ("aware", "naive"):
        started = store.get_call(call_id).call.started_at
        assert started == T0 and started.tzinfo == UTC
    stored = {row[0] for row in run_sql(db, "SELECT started_at FROM calls")}
    assert stored in ({"2024-05-01T08:30:00.000000+00:00"}, {T0})  # SQLite's text, PostgreSQL's timestamptz


# --- queries --------------------------------------------------------------------------------------


@pytest.fixture
def history(store):
    store.save(
        [
            tagged("c1", "u1", "basic.funds.idle", started_at=T0),
            tagged(
                "c2",
                "u1",
                "preference.product.fund",
                "feedback.negative.system_laggy",
                started_at=T0 + timedelta(days=1),
            ),
            tagged(
                "c3",
                "u2",
                "basic.fund_control.self",
                "basic.funds.incoming",
                started_at=T0 + timedelta(days=2),
                agent="a2",
            ),
            tagged("c4", None, "feedback.question.fees", started_at=T0 + timedelta(days=3)),
        ]
    )
    return store


def test_calls_filter_by_customer_agent_and_half_open_time_range(history):
    assert [c.call_id for c in history.calls()] == ["c1", "c2", "c3", "c4"]
    assert [c.call_id for c in history.calls(customer_id="u1")] == ["c1", "c2"]
    assert [c.call_id for c in history.calls(agent_id="a2")] == ["c3"]
    window = history.calls(since=T0 + timedelta(days=1), until=T0 + timedelta(days=3))
    assert [c.call_id for c in window] == ["c2", "c3"]
    record = history.calls(customer_id="u1")[1]
    assert (record.utterances, record.tags, record.started_at, record.source) == (
        3,
        2,
        T0 + timedelta(days=1),
        "c2.json",
    )


def test_observations_join_tags_with_their_call(history):
    seen = list(history.observations(customer_id="u1"))
    assert [(o.call_id, o.tag.label) for o in seen] == [
        ("c1", "basic.funds.idle"),
        ("c2", "preference.product.fund"),
        ("c2", "feedback.negative.system_laggy"),
    ]
    assert seen[0].customer_id == "u1" and seen[0].agent_id == "a1" and seen[0].observed_at == T0
    assert seen[0].tag == tag("basic.funds.idle")


def test_observations_filter_by_label_prefix_or_list(history):
    def labels(**query) -> list[str]:
        return [o.tag.label for o in history.observations(**query)]

    assert labels(labels="basic.funds") == ["basic.funds.idle", "basic.funds.incoming"]
    assert labels(labels="basic.fund") == []  # whole dotted segments only: not basic.funds / fund_control
    assert labels(labels="feedback.") == ["feedback.negative.system_laggy", "feedback.question.fees"]
    assert labels(labels="basic.funds.idle") == ["basic.funds.idle"]
    assert labels(labels=["feedback.question.fees", "basic.fund_control.self"]) == [
        "basic.fund_control.self",
        "feedback.question.fees",
    ]
    assert labels(labels=[]) == []
    assert labels(labels="basic", agent_id="a2", since=T0 + timedelta(days=2)) == [
        "basic.fund_control.self",
        "basic.funds.incoming",
    ]


def test_profile_merges_a_customers_calls(store):
    store.save(
        [
            tagged("old", "u1", "preference.risk.high", "basic.funds.idle", started_at=T0),
            tagged("new", "u1", "preference.risk.steady", started_at=T0 + timedelta(days=40)),
            tagged("other", "u2", "preference.risk.guaranteed", started_at=T0 + timedelta(days=50)),
        ]
    )
    now = T0 + timedelta(days=41)
    profile = store.profile("u1", now=now)
    assert [(e.label, e.call_id, e.stale) for e in profile.entries] == [
        ("basic.funds.idle", "old", True),
        ("preference.risk.steady", "new", False),
    ]
    assert profile.generated_at == now
    assert [e.label for e in store.profile("u1", now=now, include_stale=False).entries] == [
        "preference.risk.steady"
    ]
    assert len(store.profile("u1", now=now, history=True).entries) == 3
    assert store.profile("nobody").entries == []


def test_customers_and_delete_call_cascade(history, db):
    assert history.customers() == ["u1", "u2"]
    assert history.delete_call("c3") is True
    assert history.delete_call("c3") is False
    assert history.get_call("c3") is None and history.customers() == ["u1"]
    left = [
        run_sql(db, f"SELECT count(*) FROM {t} WHERE call_id = 'c3'")[0][0] for t in ("utterances", "tags")
    ]
    assert left == [0, 0]


# --- batching -------------------------------------------------------------------------------------


def test_a_thousand_calls_save_in_one_transaction_per_batch(sqlite_db):
    store = open_store(sqlite_db)
    calls = [
        tagged(f"c{i:04d}", f"u{i % 50}", "basic.funds.idle", "preference.product.fund") for i in range(1000)
    ]
    begins: list[str] = []
    store._db.set_trace_callback(lambda sql: begins.append(sql) if sql.startswith("BEGIN") else None)
    summary = store.save(iter(calls), batch_size=200)
    assert (summary.calls, summary.new_calls, summary.utterances, summary.tags) == (1000, 1000, 3000, 2000)
    assert len(begins) == 5
    assert len(store.calls()) == 1000 and len(store.customers()) == 50


def test_a_failing_batch_is_rolled_back_and_earlier_batches_stay(store):
    store.save([tagged("kept", "u1", "basic.funds.idle")])
    broken = tagged("b2", "u1", "preference.risk.high")
    broken.call.utterances.append(Utterance(1, "customer", "same index twice"))
    batches = [
        tagged("a1", "u1"),
        tagged("a2", "u1"),
        tagged("kept", "u1", "feedback.question.fees"),
        broken,
        tagged("c1", "u1"),
        tagged("c2", "u1"),
    ]
    with pytest.raises(
        StoreError, match=r"'kept' … 'b2'.*rolled back; 2 calls of this save's earlier batches are saved:"
    ):
        store.save(batches, batch_size=2)
    assert [c.call_id for c in store.calls()] == ["a1", "a2", "kept"]
    assert [t.label for t in store.get_call("kept").tags] == ["basic.funds.idle"]  # its re-save rolled back


def test_a_confidence_out_of_range_is_refused(store):
    bad = tagged("c1", "u1")
    bad.tags.append(tag("basic.funds.idle", confidence=1.5))
    with pytest.raises(StoreError, match=r"(?i)check constraint"):
        store.save([bad])
    assert store.calls() == []


def test_batch_size_must_be_positive(store):
    with pytest.raises(StoreError, match="batch_size"):  # a ConvmineError, as every refusal is
        store.save([tagged("c1")], batch_size=0)


# --- opening ----------------------------------------------------------------------------------------


def test_open_store_picks_the_backend_by_scheme(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store() as default:
        assert isinstance(default, SQLiteStore) and default.path == "convmine.db"
    with open_store("sqlite:///rel.db") as relative:
        relative.save([tagged("c1")])
    with open_store(tmp_path / "rel.db") as by_path:
        assert by_path.get_call("c1") is not None
    with open_store(f"sqlite:///{tmp_path / 'abs.db'}") as absolute:
        assert absolute.path == str(tmp_path / "abs.db")
    with open_store("sqlite://") as memory:
        assert memory.path == ":memory:"
    assert (tmp_path / "abs.db").exists()


def test_postgresql_without_its_extra_names_the_extra_and_never_echoes_the_password(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the postgres extra were not installed
    with pytest.raises(MissingExtraError, match=r"convmine\[postgres\]") as info:
        open_store("postgresql://bank:s3cret@db.internal/profiles")
    assert "s3cret" not in str(info.value)


def test_unknown_schemes_and_bad_sqlite_urls_are_refused_without_echoing_the_url():
    with pytest.raises(StoreError, match="unknown profile store scheme 'mysql'") as info:
        open_store("mysql://bank:s3cret@db/profiles")
    assert "s3cret" not in str(info.value)
    with pytest.raises(StoreError, match="sqlite:///path"):
        open_store("sqlite://host/file.db")


def test_file_store_uses_wal_and_foreign_keys(sqlite_db):
    store = open_store(sqlite_db)
    assert store._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with sqlite3.connect(sqlite_db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_closed_store_says_so(db):
    store = open_store(db)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.calls()


def test_unopenable_targets_raise_store_errors(tmp_path):
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match=r"notes\.db"):
        open_store(garbage)
    with pytest.raises(StoreError, match="folder"):
        open_store(tmp_path / "missing" / "x.db")


# --- migrations -----------------------------------------------------------------------------------


def _v2(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE tags ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE tags SET reviewed = 1 WHERE source = 'review'")


def test_migrations_are_numbered_consecutively():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_a_new_store_is_at_the_latest_version(sqlite_db):
    open_store(sqlite_db).close()
    with sqlite3.connect(sqlite_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()


def test_an_older_database_is_migrated_and_keeps_its_rows(sqlite_db, monkeypatch):
    current = latest_version()
    with sqlite3.connect(
        sqlite_db
    ) as conn:  # a version-N database made by hand, before migration N+1 existed
        for migration in MIGRATIONS:
            apply = migration.apply
            apply(conn) if callable(apply) else conn.executescript(apply)
        conn.execute(
            "INSERT INTO calls (call_id, customer_id, ingested_at) VALUES ('c1', 'u1', ?)",
            (T0.isoformat(timespec="microseconds"),),
        )
        conn.execute(
            "INSERT INTO tags (call_id, idx, label, confidence, source, utterance_index, quote, "
            "taxonomy_version, model_version) "
            "VALUES ('c1', 0, 'basic.funds.idle', 1.0, 'review', 0, 'q', '', '')"
        )
        conn.execute(f"PRAGMA user_version = {current}")
    newer = (*MIGRATIONS, Migration(current + 1, "tag review flag", _v2))
    monkeypatch.setattr(migrations_module, "MIGRATIONS", newer)
    with open_store(sqlite_db) as store:
        assert [o.tag.label for o in store.observations(customer_id="u1")] == ["basic.funds.idle"]
        assert store.calls()[0].started_at is None and store.calls()[0].ingested_at == T0
    with sqlite3.connect(sqlite_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == current + 1
        assert conn.execute("SELECT reviewed FROM tags").fetchall() == [(1,)]


def test_a_failing_migration_leaves_the_previous_version(sqlite_db, monkeypatch):
    open_store(sqlite_db).close()
    current = latest_version()
    broken = "ALTER TABLE calls ADD COLUMN note TEXT;\nALTER TABLE no_such_table ADD COLUMN x TEXT;\n"
    monkeypatch.setattr(
        migrations_module, "MIGRATIONS", (*MIGRATIONS, Migration(current + 1, "broken", broken))
    )
    with pytest.raises(
        StoreError, match=rf"version {current + 1} \(broken\) failed.*left at version {current}"
    ):
        open_store(sqlite_db)
    with sqlite3.connect(sqlite_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == current
        assert "note" not in [row[1] for row in conn.execute("PRAGMA table_info(calls)")]


def test_a_database_newer_than_the_code_is_refused(sqlite_db):
    open_store(sqlite_db).close()
    with sqlite3.connect(sqlite_db) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(StoreError, match=r"newer than this convmine knows.*upgrade convmine"):
        open_store(sqlite_db)


# --- property: anything saved comes back unchanged ------------------------------------------------

# Any text a store can keep: no NUL, no lone surrogate (refused, tested apart); IDs no control character.
_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
_id = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12)
_seconds = st.none() | st.floats(0, 7200, allow_nan=False)
_moments = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.none() | st.builds(timezone, st.timedeltas(timedelta(hours=-12), timedelta(hours=14))),
)
_tags = st.builds(
    Tag,
    label=st.sampled_from(["basic.funds.idle", "preference.return.target", "feedback.question.fees"]),
    confidence=st.floats(0, 1),
    source=st.sampled_from(["rule", "model", "review"]),
    evidence=st.builds(
        Evidence,
        utterance_index=st.integers(0, 50),
        span=st.none() | st.tuples(st.integers(0, 100), st.integers(0, 100)),
        quote=_text,
        start=_seconds,
        end=_seconds,
    ),
    value=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    taxonomy_version=_text,
    model_version=_text,
)


@st.composite
def _tagged_calls(draw: st.DrawFn, call_id: str) -> TaggedCall:
    indexes = sorted(draw(st.sets(st.integers(0, 50), max_size=6)))
    utterances = [
        Utterance(i, draw(st.sampled_from(SPEAKERS)), draw(_text), draw(_seconds), draw(_seconds))
        for i in indexes
    ]
    call = Call(
        call_id,
        draw(st.none() | _id),
        utterances,
        draw(st.none() | _id),
        draw(_moments),
        draw(st.none() | _text),
    )
    tags = draw(st.lists(_tags, max_size=5))
    assume(unmasked_refusal(call, (tag.evidence.quote for tag in tags)) is None)  # refused: tested apart
    return TaggedCall(call, tags)


def _utc(item: TaggedCall) -> TaggedCall:
    """What the store gives back: start times as aware UTC (naive ones taken as UTC)."""
    started = item.call.started_at
    if started is not None:
        started = started.replace(tzinfo=UTC) if started.tzinfo is None else started.astimezone(UTC)
    call = Call(
        item.call.call_id,
        item.call.customer_id,
        item.call.utterances,
        item.call.agent_id,
        started,
        item.call.source,
    )
    return TaggedCall(call, item.tags)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_id, unique=True, max_size=6).flatmap(lambda ids: st.tuples(*(_tagged_calls(i) for i in ids)))
)
def test_random_calls_round_trip_through_the_store(calls):
    with open_store(":memory:") as store:
        summary = store.save(calls, batch_size=4)
        assert summary.calls == summary.new_calls == len(calls)
        for original in calls:
            back = store.get_call(original.call.call_id)
            assert back == _utc(original)
            assert back.call.started_at is None or back.call.started_at.tzinfo == UTC
        expected = sorted((c.call.call_id, i) for c in calls for i in range(len(c.tags)))
        assert len(list(store.observations())) == len(expected)
        store.save(calls, batch_size=3)  # re-saving changes nothing
        assert [store.get_call(c.call.call_id) for c in calls] == [_utc(c) for c in calls]


def test_a_profile_at_a_past_moment_leaves_out_later_observations(store):
    store.save(
        [
            tagged("early", "u1", "preference.risk.guaranteed", started_at=T0),
            tagged("late", "u1", "preference.risk.high", started_at=T0 + timedelta(days=10)),
        ]
    )
    then = store.profile("u1", now=T0 + timedelta(days=1), history=True)
    assert [e.label for e in then.entries] == ["preference.risk.guaranteed"]
    assert [e.label for e in store.profile("u1", now=T0 + timedelta(days=10)).entries] == [
        "preference.risk.high"
    ]


def test_a_profile_of_now_counts_calls_dated_in_the_future_and_says_how_many(store):
    soon = datetime.now(UTC) + timedelta(minutes=10)  # a recorder's clock ten minutes fast
    store.save(
        [
            tagged("past", "u1", "preference.risk.guaranteed", started_at=T0),
            tagged("ahead", "u1", "preference.risk.high", started_at=soon),
        ]
    )
    profile = store.profile("u1")
    assert [e.label for e in profile.entries] == ["preference.risk.high"] and profile.future == 1
    then = store.profile("u1", now=soon - timedelta(minutes=1))  # an explicit moment: as it stood then
    assert [e.label for e in then.entries] == ["preference.risk.guaranteed"] and then.future == 0


# --- the taxonomy the calls were tagged with ------------------------------------------------------


@pytest.fixture
def bank(tmp_path: Path) -> Taxonomy:
    return load_taxonomy(write_bank_taxonomy(tmp_path / "bank.yaml"))


def _save_bank_call(db: Path, bank: Taxonomy) -> None:
    with open_store(db, taxonomy=bank) as store:
        store.save([tagged("b1", "u1", "preference.product.pension")], taxonomy_version=bank.version)


def test_a_taxonomy_copy_rebuilds_the_same_taxonomy(bank):
    copy = taxonomy_copy(bank)
    back = taxonomy_from_copy(copy, copy_digest(copy))
    assert (back.name, back.version, back.hash, back.categories) == (
        bank.name,
        bank.version,
        bank.hash,
        bank.categories,
    )
    assert list(back) == list(bank) and back["preference.product.pension"].name == "养老金产品"
    assert taxonomy_copy(back) == copy
    with pytest.raises(StoreError, match=r"copy of taxonomy \w+ is damaged .*--taxonomy FILE"):
        taxonomy_from_copy(copy.replace("养老金产品", "年金"), copy_digest(copy))
    unreadable = '{"name": "x"}'
    with pytest.raises(StoreError, match=r"cannot be read .*another convmine version.*--taxonomy FILE"):
        taxonomy_from_copy(unreadable, copy_digest(unreadable))


def test_a_store_reads_its_calls_with_the_taxonomy_they_were_tagged_with(db, bank):
    _save_bank_call(db, bank)
    with open_store(db) as store:
        assert (store.taxonomy.version, store.taxonomy.hash) == (bank.version, bank.hash)
        assert not store.taxonomy_given
        store.check_taxonomy()
        assert [e.name for e in store.profile("u1").entries] == ["养老金产品"]
        [kept] = store.tagged_with()
        assert (kept.name, kept.version, kept.hash) == ("bank", bank.version, bank.hash)
    with open_store(db, taxonomy=bank) as store:
        store.check_taxonomy()


def test_a_taxonomy_that_does_not_know_the_stored_labels_is_refused_naming_the_right_one(db, bank):
    _save_bank_call(db, bank)
    with open_store(db, taxonomy=load_taxonomy()) as store:
        assert store.taxonomy_given
        message = (
            r"labels that taxonomy '.+' 1\.0\.0 does not know \('preference\.product\.pension'\); it was "
            rf"tagged with taxonomy 'bank' {re.escape(bank.version)} \(hash {bank.hash}\); leave out --taxonomy"
        )
        with pytest.raises(TaxonomyError, match=message):
            store.check_taxonomy()
        with pytest.raises(TaxonomyError, match=message):
            store.profile("u1")


def test_re_saving_with_the_same_taxonomy_changes_no_row_and_switching_is_remembered(db, bank):
    _save_bank_call(db, bank)
    first = dump(db)
    _save_bank_call(db, bank)
    assert dump(db) == first
    with open_store(db, taxonomy=load_taxonomy()) as store:  # tagged with the bundled one: used last
        store.save([tagged("d1", "u2", "basic.funds.idle")], taxonomy_version="1.0.0")
        assert [t.name for t in store.tagged_with()] == ["convmine-bank-wealth", "bank"]
    with open_store(db) as store:  # but only the bank's knows every stored label
        assert store.taxonomy.hash == bank.hash


def test_the_tags_versions_say_which_taxonomy_tagged_them(db, bank):
    call = tagged("b1", "u1", "basic.funds.idle")
    bank_tags = TaggedCall(
        call.call, [dataclasses.replace(t, taxonomy_version=bank.version) for t in call.tags]
    )
    with open_store(db) as store:
        store.save([bank_tags])
        assert [t.hash for t in store.tagged_with()] == []
        store.save([tagged("d1", "u1", "basic.funds.idle")])  # its tags carry the bundled taxonomy's version
        assert [t.hash for t in store.tagged_with()] == [store.taxonomy.hash]


def test_tags_saved_for_another_taxonomy_do_not_record_the_stores(db, bank):
    with open_store(db, taxonomy=bank) as store:
        store.save([tagged("b1", "u1", "preference.product.pension")], taxonomy_version="bank 0.9")
        [other] = store.tagged_with()
        assert (other.version, other.hash, other.last_used_at) == ("bank 0.9", "", None)
    with open_store(db, taxonomy=load_taxonomy()) as store:
        with pytest.raises(TaxonomyError, match=r"the store keeps no copy of it\); pass --taxonomy FILE"):
            store.check_taxonomy()


MOBILE = "13912345678"


@pytest.mark.parametrize("where", ["utterance", "quote", "customer ID"])
def test_a_call_holding_an_unmasked_personal_number_is_refused(db, where):
    """Calls saved without a Pipeline (which masks them) must not put a phone number in the store."""
    item = tagged("c1", "u1", "basic.funds.idle")
    if where == "utterance":
        utterances = [*item.call.utterances[:2], Utterance(2, "customer", f"我手机号{MOBILE}")]
        item = TaggedCall(dataclasses.replace(item.call, utterances=utterances), item.tags)
    elif where == "quote":
        tag = item.tags[0]
        evidence = dataclasses.replace(tag.evidence, quote=f"打{MOBILE}")
        item = TaggedCall(item.call, [dataclasses.replace(tag, evidence=evidence)])
    else:
        item = TaggedCall(dataclasses.replace(item.call, customer_id=MOBILE), item.tags)
    with open_store(db) as store:
        with pytest.raises(StoreError, match="mobile number") as refused:
            store.save([tagged("c0", "u1"), item])
        assert MOBILE not in str(refused.value)
        assert store.calls() == []


def test_tags_with_labels_the_stores_taxonomy_does_not_know_are_refused(db, bank):
    """Saved, they would make the customer's profile fail later; refused, nothing of the batch is written."""
    with open_store(db) as store:
        with pytest.raises(
            TaxonomyError, match=r"does not know \(preference.product.pension\); open the store"
        ):
            store.save(
                [tagged("d1", "u1", "basic.funds.idle"), tagged("b1", "u1", "preference.product.pension")]
            )
        assert store.calls() == []


def test_a_store_from_before_copies_names_the_version_its_calls_were_tagged_with(db, bank):
    _save_bank_call(db, bank)
    run_sql(db, "DELETE FROM taxonomies")
    with open_store(db) as store:
        assert store.taxonomy is load_taxonomy()
        with pytest.raises(
            TaxonomyError,
            match=rf"tagged with taxonomy version '{re.escape(bank.version)}' \(the store keeps no copy of it\)",
        ):
            store.check_taxonomy()


def test_a_damaged_copy_is_refused_unless_a_taxonomy_is_given(db, bank):
    _save_bank_call(db, bank)
    run_sql(db, "UPDATE taxonomies SET copy = replace(copy, '养老金产品', '年金')")
    with pytest.raises(StoreError, match="is damaged"):
        open_store(db)
    with open_store(db, taxonomy=bank) as store:
        store.check_taxonomy()


def test_a_version_2_store_is_migrated_to_keep_taxonomy_copies(sqlite_db):
    with sqlite3.connect(sqlite_db) as conn:
        for migration in MIGRATIONS[:2]:
            conn.executescript(migration.apply)
        conn.execute("PRAGMA user_version = 2")
    with open_store(sqlite_db) as store:
        store.save([tagged("c1", "u1", "basic.funds.idle")])
        assert [t.version for t in store.tagged_with()] == [store.taxonomy.version]
    with sqlite3.connect(sqlite_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()


@pytest.mark.parametrize("form", ["path", "url"])
def test_a_store_that_is_not_there_is_an_error_when_it_must_exist(tmp_path, form):
    missing = tmp_path / "missing.db"
    target = str(missing) if form == "path" else f"sqlite:///{missing}"
    with pytest.raises(StoreError, match="no profile store at"):
        open_store(target, create=False)
    assert not missing.exists()


def test_saving_something_else_than_tagged_calls_is_a_clear_error(db):
    item = tagged("c1", "u1", "basic.funds.idle")
    with open_store(db) as store:
        with pytest.raises(StoreError, match=r"pass one call as \[tagged_call\]"):
            store.save(item)  # type: ignore[arg-type]
        with pytest.raises(StoreError, match=r"save takes TaggedCalls .* got a Call"):
            store.save([item.call])  # type: ignore[list-item]
        with pytest.raises(StoreError, match="batch_size must be at least 1"):
            store.save([item], batch_size=0)
        assert store.calls() == []


def test_a_moment_given_as_text_is_a_clear_error(store):
    from convmine.errors import ConvmineError

    with pytest.raises(ConvmineError, match="a moment must be a datetime, got str"):
        store.calls(since="2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(ConvmineError, match="a moment must be a datetime"):
        store.profile("u1", now="2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="a profile needs a customer ID, got None"):
        store.profile(None)  # type: ignore[arg-type]


# --- PostgreSQL ------------------------------------------------------------------------------------


def test_a_postgresql_url_is_shown_without_its_password():
    from convmine.store.postgres import redacted

    assert redacted("postgresql://bank:s3cret@db.internal:5432/profiles?sslmode=require&password=x") == (
        "postgresql://bank@db.internal:5432/profiles?sslmode=require"
    )
    assert redacted("postgresql://qm:Top?Secret@db/p") == "postgresql://qm@db/p"  # libpq reads up to the @
    assert redacted("postgresql:///profiles") == "postgresql:///profiles"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bank:s3cret@127.0.0.1:1/p?connect_timeout=2",
        "postgresql://bank@127.0.0.1:1/p?password=s3cret&connect_timeout=2",
        "postgresql://bank:s3cret@127.0.0.1:1/p?sslmode=bogus",
        "postgresql://bank:s3%ZZcret@127.0.0.1:1/p",  # a bad percent-encoding, which libpq quotes
        "postgresql://bank:s3cret@[::1/p",  # a bad address, for which libpq quotes the whole URL
        "postgres://bank:s3c@ret@127.0.0.1:1/p",  # an '@' not written as %40: libpq would quote a part as host
        "postgresql://bank:s3c/ret@127.0.0.1:1/p",  # a '/' not written as %2F: libpq would take it for the path
        "postgresql://bank@127.0.0.1:1/p?sslpassword=s3cret&connect_timeout=2",  # the client key's passphrase
    ],
)
def test_a_postgresql_store_that_cannot_be_opened_is_a_store_error_without_the_password(url):
    pytest.importorskip("psycopg")
    with pytest.raises(
        StoreError, match=r"PostgreSQL (store postgresql://bank@|URL: its password holds '@')"
    ) as info:
        open_store(url)
    for secret in ("s3cret", "s3%ZZcret", "ZZ", "s3c@ret", "ret@", "s3c/ret", "c/ret"):
        assert secret not in str(info.value), str(info.value)
    assert info.value.__cause__ is None or "s3c" not in str(info.value.__cause__)


def test_a_postgresql_database_without_a_store_is_an_error_when_it_must_exist(postgres_url):
    with pytest.raises(
        StoreError,
        match=r"no convmine store in postgresql://postgres@/postgres\?host=.*search_path.*; check --db",
    ):
        open_store(postgres_url, create=False)
    assert run_sql(postgres_url, "SELECT to_regclass('calls')") == [(None,)]  # nothing was created
    open_store(postgres_url).close()
    with open_store(postgres_url, create=False) as store:
        assert store.calls() == [] and "PostgresStore('postgresql://postgres@/postgres?host=" in repr(store)


def test_a_postgresql_store_newer_than_the_code_is_refused(postgres_url):
    open_store(postgres_url).close()
    open_store(postgres_url).close()  # opening again migrates nothing
    assert run_sql(postgres_url, "SELECT version FROM convmine_schema") == [(1,)]
    run_sql(postgres_url, "UPDATE convmine_schema SET version = 2")
    with pytest.raises(StoreError, match=r"schema version 2, newer than this convmine knows \(1\)"):
        open_store(postgres_url)


def test_postgresql_schemas_hold_separate_stores(postgres_server, postgres_url):
    with open_store(postgres_url) as store:
        store.save([tagged("c1", "u1", "basic.funds.idle")])
    other = postgres_url.rsplit("test_", 1)[0] + "test_other"
    run_sql(postgres_server, "CREATE SCHEMA test_other")
    with open_store(other) as store:
        assert store.calls() == []
    assert run_sql(postgres_server, "SELECT count(*) FROM test_other.calls") == [(0,)]
    with open_store(postgres_url) as store:
        assert [c.call_id for c in store.calls()] == ["c1"]


def test_two_taggers_saving_the_same_calls_at_once_leave_each_call_once(postgres_url):
    """Night batches run in parallel against one PostgreSQL store: no deadlock, no duplicate, nothing lost."""
    open_store(postgres_url).close()
    calls = [tagged(f"c{i:02d}", f"u{i % 4}", "basic.funds.idle") for i in range(30)]

    def tagger(seed: int) -> None:
        order = calls[seed::2] + calls[:seed:1] + calls[::-1]  # overlapping, in different orders
        with open_store(postgres_url) as store:
            for _ in range(10):
                store.save(order, batch_size=5)

    at_once(tagger, range(4))  # raises what any of them raised
    with open_store(postgres_url) as store:
        assert [c.call_id for c in store.calls()] == [c.call.call_id for c in calls]
        assert {(c.utterances, c.tags) for c in store.calls()} == {(3, 1)}


def test_a_postgresql_store_is_not_taken_for_a_file_nor_opened_by_another_driver(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=r"libpq connection string .* postgresql://user@host") as info:
        open_store("host=db.internal dbname=profiles user=bank password=s3cret")
    assert "s3cret" not in str(info.value) and list(tmp_path.iterdir()) == []  # no SQLite file by that name
    for target in ("sslmode=require host=db password=s3cret", "postgresql:bank:s3cret@db/profiles"):
        with pytest.raises(StoreError, match=r"libpq connection string or a URL without '//'") as info:
            open_store(target, create=False)
        assert "s3cret" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StoreError, match="unknown profile store scheme 'postgresql\\+asyncpg'"):
        open_store("postgresql+asyncpg://bank:s3cret@db.internal/profiles")


def test_messages_name_the_host_and_schema_of_a_postgresql_store_but_no_password(postgres_url):
    with_password = postgres_url.replace("postgresql://postgres:@", "postgresql://postgres:s3cret@")
    with_password += "&password=s3cret%2Bmore"
    with open_store(with_password) as store:
        assert "s3cret" not in repr(store) and "host=" in store.target and "search_path" in store.target
        with pytest.raises(StoreError, match="search_path") as info:
            store.add_reviews([Review("missing", 1, "basic.funds.idle", "add", "x", T0)])
        assert "s3cret" not in str(info.value)


def test_a_role_that_may_not_create_tables_or_a_missing_schema_is_told_what_to_do(postgres_server):
    run_sql(postgres_server, "CREATE SCHEMA locked")
    run_sql(postgres_server, "CREATE ROLE clerk LOGIN")
    run_sql(postgres_server, "GRANT USAGE ON SCHEMA locked TO clerk")
    as_clerk = postgres_server.replace("postgresql://postgres:@", "postgresql://clerk@")
    with pytest.raises(StoreError, match="needs a role that may CREATE in the schema"):
        open_store(f"{as_clerk}&options=-csearch_path%3Dlocked")
    with pytest.raises(StoreError, match=r"create the schema that the URL's search_path names first"):
        open_store(f"{postgres_server}&options=-csearch_path%3Dno_such_schema")


def test_a_guard_is_asked_inside_the_transaction_so_concurrent_savers_cannot_both_pass(store_url):
    """Four savers give the same call IDs to four customers at once: each call keeps the first customer."""
    open_store(store_url).close()

    def other_customer(stored: TaggedCall | None, new: TaggedCall) -> str | None:
        if stored is not None and stored.call.customer_id != new.call.customer_id:
            return f"stored for {stored.call.customer_id}"
        return None

    def saver(customer: str) -> list[str]:
        calls = [tagged(f"c{i:02d}", customer, "basic.funds.idle") for i in range(40)]
        with open_store(store_url) as store:
            refused = {
                item.call.call_id for item, _ in store.save(calls, batch_size=5, guard=other_customer).refused
            }
        return [c.call.call_id for c in calls if c.call.call_id not in refused]

    customers = [f"u{n}" for n in range(4)]
    saved = dict(zip(customers, at_once(saver, customers), strict=True))  # raises what any of them raised
    with open_store(store_url) as store:
        owner = {record.call_id: record.customer_id for record in store.calls()}
    assert len(owner) == 40
    assert sorted(call_id for ids in saved.values() for call_id in ids) == sorted(owner)  # each saved once
    assert {call_id: customer for customer, ids in saved.items() for call_id in ids} == owner


def test_a_postgresql_store_saves_at_most_max_batch_calls_a_transaction(postgres_url, monkeypatch):
    from convmine.store.postgres import PostgresStore

    monkeypatch.setattr(PostgresStore, "max_batch", 3)
    broken = tagged("c4", "u1")
    broken.call.utterances.append(Utterance(1, "customer", "same index twice"))
    calls = [tagged(f"c{i}", "u1") for i in range(4)] + [broken, tagged("c5", "u1")]
    with open_store(postgres_url) as store:
        with pytest.raises(
            StoreError, match=r"'c3' … 'c5'.*rolled back; 3 calls of this save's earlier batches"
        ):
            store.save(calls, batch_size=100)
        assert [c.call_id for c in store.calls()] == ["c0", "c1", "c2"]


def test_a_postgresql_store_refreshes_statistics_as_it_grows(postgres_url):
    from convmine.store.postgres import ANALYZE_AFTER

    def analysed() -> bool:  # reltuples is -1 until the table is first analysed
        return run_sql(postgres_url, "SELECT reltuples FROM pg_class WHERE oid = 'tags'::regclass")[0][0] >= 0

    with open_store(postgres_url) as store:
        calls = [tagged(f"c{i:04d}", f"u{i % 9}", "basic.funds.idle") for i in range(ANALYZE_AFTER)]
        for start in range(0, ANALYZE_AFTER - 64, 64):  # as `convmine tag` saves: a batch at a time
            store.save(calls[start : start + 64])
        assert not analysed()
        store.save(calls[-64:])
        assert analysed()


def test_verdicts_imported_twice_at_once_are_recorded_once(store_url):
    """Two reviewers' tools importing the same file at the same moment: each verdict is stored once."""
    with open_store(store_url) as store:
        store.save([tagged(f"c{i:02d}", "u1", "basic.funds.idle") for i in range(30)])
    verdicts = [Review(f"c{i:02d}", 1, "basic.funds.idle", "confirm", "王审核", T0) for i in range(30)]

    def importer(_: int) -> int:
        with open_store(store_url) as store:
            return store.add_reviews(verdicts)

    assert sum(at_once(importer, range(3))) == 30  # and raises what any of them raised
    with open_store(store_url) as store:
        assert len(store.reviews(history=True)) == 30


def test_a_postgresql_database_with_other_session_defaults_reads_and_writes_the_same(postgres_server):
    """A bank's database may default to GBK, a German date style and repeatable read: convmine sets its own."""
    run_sql(postgres_server, "CREATE DATABASE odd_defaults")
    for setting in (
        "client_encoding = 'GBK'",
        "DateStyle = 'SQL, DMY'",
        "default_transaction_isolation = 'repeatable read'",
    ):
        run_sql(postgres_server, f"ALTER DATABASE odd_defaults SET {setting}")
    url = postgres_server.replace("/postgres?", "/odd_defaults?")
    call = tagged("c1", "u1", "basic.funds.idle")
    call.call.utterances[2] = Utterance(2, "customer", "好的👍 謝謝")
    with open_store(url) as store:
        store.save([call])
        assert store.get_call("c1") == _utc(call)
        assert [record.started_at for record in store.calls()] == [T0]
