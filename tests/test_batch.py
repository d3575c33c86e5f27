"""The tagging batch: progress by input file, the store's taxonomy, start times without an offset."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

import convmine
from convmine.batch import BatchProgress, tag_paths
from convmine.errors import ConvmineError
from convmine.store import open_store
from convmine.taxonomy import load_taxonomy
from tests.fakes import write_bank_taxonomy
from tests.stores import run_sql


def _txt(path: Path, customer: str) -> None:
    path.write_text(f"# customer_id: {customer}\n坐席：您好\n客户：我有理财经理了\n", encoding="utf-8")


def _jsonl(path: Path, ids: list[str], **extra: str) -> None:
    calls = [
        {"call_id": i, "customer_id": "J", "utterances": [{"speaker": "customer", "text": "不需要"}], **extra}
        for i in ids
    ]
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in calls), encoding="utf-8")


@pytest.fixture(scope="module")
def pipeline():
    return convmine.load("rules")


def _progress(paths, pipeline, batch_size: int = 2) -> list[tuple[int, int, int]]:
    seen: list[BatchProgress] = []
    with open_store(":memory:", taxonomy=pipeline.taxonomy) as store:
        tag_paths(paths, pipeline=pipeline, store=store, batch_size=batch_size, on_progress=seen.append)
    return [(p.files_done, p.files, p.calls) for p in seen]


def test_progress_counts_files_done_of_those_found_and_calls(tmp_path, pipeline):
    _jsonl(tmp_path / "a.jsonl", ["A1", "A2", "A3"])  # one file, three calls
    _txt(tmp_path / "b.txt", "B")
    (tmp_path / "c.txt").write_text("坐席：您好\n", encoding="utf-8")  # no customer: fails when read
    _txt(tmp_path / "d.txt", "D")
    assert _progress([tmp_path], pipeline) == [
        (0, 4, 0),  # before reading: the files found
        (0, 4, 2),  # A1, A2 stored: a.jsonl may hold more
        (1, 4, 4),  # A3, b stored: a.jsonl is done
        (3, 4, 5),  # d stored: b and the failed c are done
        (4, 4, 5),  # the end
    ]


def test_progress_of_calls_naming_their_own_source_ends_complete(tmp_path, pipeline):
    _jsonl(tmp_path / "a.jsonl", ["A1", "A2", "A3"], source="recordings/a.wav")
    _jsonl(tmp_path / "b.jsonl", ["B1"], source="recordings/b.wav")
    events = _progress([tmp_path / "a.jsonl", str(tmp_path / "b.jsonl")], pipeline, batch_size=1)
    assert events[0] == (0, 2, 0) and events[-1] == (2, 2, 4)
    assert all(a[0] <= b[0] and a[2] <= b[2] for a, b in pairwise(events))


def test_progress_with_a_single_path_and_nothing_found(tmp_path, pipeline):
    _txt(tmp_path / "one.txt", "O")
    assert _progress(tmp_path / "one.txt", pipeline)[-1] == (1, 1, 1)
    assert _progress([tmp_path / "missing"], pipeline) == [(0, 0, 0), (0, 0, 0)]


def test_a_store_open_with_another_taxonomy_is_refused(tmp_path, pipeline):
    bank = write_bank_taxonomy(tmp_path / "bank.yaml")
    _txt(tmp_path / "a.txt", "A")
    with open_store(":memory:", taxonomy=load_taxonomy(bank)) as store:
        with pytest.raises(ConvmineError, match=r"open the store with the pipeline's.*taxonomy=pipeline"):
            tag_paths([tmp_path / "a.txt"], pipeline=pipeline, store=store)
        assert store.calls() == []


def _tag(paths, store, pipeline):
    return tag_paths(paths, pipeline=pipeline, store=store)


def test_a_batch_folder_moved_or_copied_elsewhere_re_tags_as_the_same_calls(tmp_path, pipeline):
    night = tmp_path / "night"
    night.mkdir()
    _jsonl(night / "calls.jsonl", ["A1", "A2"])
    _txt(night / "b.txt", "B")
    with open_store(":memory:", taxonomy=pipeline.taxonomy) as store:
        assert _tag([night], store, pipeline).ok
        moved = shutil.copytree(night, tmp_path / "archive" / "night")
        again = _tag([moved], store, pipeline)
        assert again.ok and again.calls == 3, again.failures
        assert {Path(r.source).parent for r in store.calls()} == {moved}  # now filed under where it is


def test_another_call_under_a_stored_call_id_is_still_refused(tmp_path, pipeline):
    (tmp_path / "day1").mkdir()
    (tmp_path / "day2").mkdir()
    _txt(tmp_path / "day1" / "b.txt", "B")
    (tmp_path / "day2" / "b.txt").write_text("# customer_id: B\n客户：我想投诉\n", encoding="utf-8")
    with open_store(":memory:", taxonomy=pipeline.taxonomy) as store:
        assert _tag([tmp_path / "day1"], store, pipeline).ok
        clash = _tag([tmp_path / "day2"], store, pipeline)
        assert [f.stage for f in clash.failures] == ["tag"]
        assert "call_id 'b' is already stored from" in clash.failures[0].reason
        assert "with other utterances" in clash.failures[0].reason
        assert store.get_call("b").call.utterances[-1].text == "我有理财经理了"


def test_the_summary_counts_calls_dated_after_the_batch_began(tmp_path, pipeline):
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    _jsonl(tmp_path / "a.jsonl", ["F1"], started_at=soon)
    _jsonl(tmp_path / "b.jsonl", ["P1"], started_at="2026-01-05T10:00:00+08:00")
    with open_store(":memory:", taxonomy=pipeline.taxonomy) as store:
        summary = _tag([tmp_path], store, pipeline)
    assert summary.ok and (summary.calls, summary.future_calls) == (2, 1)


def test_a_call_the_store_refuses_fails_alone_and_the_batch_goes_on(tmp_path):
    """A tagger that gives a label the taxonomy lacks: that call is set aside, the others are stored."""
    from convmine.pipeline import Pipeline
    from convmine.schema import Prediction
    from tests.fakes import KeywordTagger

    class Stray(KeywordTagger):
        def predict(self, turns):
            return [[Prediction("basic.funds.nonsense", 0.9)] if "坏" in t.text else [] for t in turns]

    (tmp_path / "good.txt").write_text("# customer_id: C1\n客户：好的\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_text("# customer_id: C2\n客户：坏的\n", encoding="utf-8")
    with open_store(tmp_path / "s.db") as store:
        summary = tag_paths([tmp_path], pipeline=Pipeline(Stray()), store=store)
        assert [c.call_id for c in store.calls()] == ["good"]
    [failure] = summary.failures
    assert failure.stage == "tag" and "basic.funds.nonsense" in failure.reason


def test_a_store_lost_mid_batch_says_what_was_stored_and_a_re_run_finishes_it(
    pipeline, postgres_url, tmp_path
):
    """The database connection dies after the first batch (killed by the server, for real): the error says
    how many calls this run stored and to run it again; running it again stores every call once."""
    from convmine.errors import StoreError

    _jsonl(tmp_path / "calls.jsonl", [f"L{i}" for i in range(6)])
    store = open_store(postgres_url, taxonomy=pipeline.taxonomy)
    pid = store._db.info.backend_pid

    def kill_after_first_batch(progress: BatchProgress) -> None:
        if progress.calls == 2:
            run_sql(postgres_url, f"SELECT pg_terminate_backend({pid})")

    with pytest.raises(StoreError, match=r"this run stored 2 calls before that\. Run the same command again"):
        tag_paths(
            [tmp_path], pipeline=pipeline, store=store, batch_size=2, on_progress=kill_after_first_batch
        )
    with open_store(postgres_url) as again:
        assert [c.call_id for c in again.calls()] == ["L0", "L1"]
        summary = tag_paths([tmp_path], pipeline=pipeline, store=again, batch_size=2)
        assert summary.ok and [c.call_id for c in again.calls()] == [f"L{i}" for i in range(6)]


def test_a_store_the_role_may_not_write_says_to_put_it_right_not_merely_to_run_again(
    pipeline, postgres_url, postgres_server, tmp_path
):
    from convmine.errors import StoreError

    open_store(postgres_url).close()  # the tables, made by their owner
    schema = postgres_url.rsplit("search_path%3D", 1)[1]
    for grant in (f"CREATE ROLE reader_{schema} LOGIN", f"GRANT USAGE ON SCHEMA {schema} TO reader_{schema}",
                  f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO reader_{schema}"):  # fmt: skip
        run_sql(postgres_server, grant)
    _jsonl(tmp_path / "calls.jsonl", ["R1"])
    as_reader = postgres_url.replace("postgresql://postgres:@", f"postgresql://reader_{schema}@")
    with open_store(as_reader, taxonomy=pipeline.taxonomy) as store:
        with pytest.raises(
            StoreError, match=r"permission denied.*Once that is put right, run the same"
        ) as info:
            tag_paths([tmp_path], pipeline=pipeline, store=store)
    assert not info.value.retry


def test_a_file_named_in_another_encoding_is_tagged_with_its_name_escaped(pipeline, tmp_path):
    import os

    name = "客户通话.json".encode("gbk")  # not UTF-8: Python reads it with surrogate escapes
    _jsonl(tmp_path / "x.jsonl", ["G1"])
    os.rename(tmp_path / "x.jsonl", os.path.join(os.fsencode(tmp_path), name))
    with open_store(":memory:", taxonomy=pipeline.taxonomy) as store:
        summary = tag_paths([tmp_path], pipeline=pipeline, store=store)
        assert summary.ok and summary.calls == 1
        source = store.get_call("G1").call.source
        assert source.endswith(".json") and "\\xbf" in source and source.isprintable()  # odd bytes as \\xNN
