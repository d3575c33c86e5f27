"""Reading transcripts: every format, folders, sidecars, encodings, and each error with its file and line."""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convmine.errors import ConvmineError, InputError
from convmine.extras import require
from convmine.ingest import (
    CallRecord,
    call_from_dict,
    read_call,
    read_calls,
    reader_for,
    register_reader,
    registry,
    scan_paths,
    supported_extensions,
)
from convmine.schema import Call, Failure, Utterance

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BAD = Path(__file__).resolve().parent / "data" / "ingest"
CST = timezone(timedelta(hours=8))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def split(items) -> tuple[list[Call], list[Failure]]:
    items = list(items)
    return [i for i in items if isinstance(i, Call)], [i for i in items if isinstance(i, Failure)]


def only_failure(paths, **kwargs) -> Failure:
    calls, failures = split(read_calls(paths, **kwargs))
    assert not calls and len(failures) == 1, failures
    return failures[0]


# --- JSON and JSON Lines ---------------------------------------------------------------------------


def test_json_call_object(tmp_path):
    call = {
        "call_id": "CALL-1",
        "customer_id": "CUST-1",
        "agent_id": "AG-01",
        "started_at": "2026-03-05T10:12:00+08:00",
        "utterances": [
            {"speaker": "坐席", "text": " 您好 ", "start": 0, "end": 1.5},
            {"speaker": "Customer", "text": "你好", "start": "00:01.6", "end": "2.5"},
            {"speaker": "agent", "text": "   "},
            {"speaker": "unknown", "text": "（杂音）"},
        ],
    }
    path = write(tmp_path / "one.json", json.dumps(call, ensure_ascii=False))
    read = read_call(path)
    assert read == Call(
        call_id="CALL-1",
        customer_id="CUST-1",
        agent_id="AG-01",
        started_at=datetime(2026, 3, 5, 10, 12, tzinfo=CST),
        source=str(path),
        utterances=[
            Utterance(0, "agent", "您好", 0.0, 1.5),
            Utterance(1, "customer", "你好", 1.6, 2.5),
            Utterance(2, "unknown", "（杂音）"),
        ],
    )


def test_json_source_field_is_kept_and_numeric_ids_become_strings(tmp_path):
    call = {
        "call_id": 42,
        "customer_id": 7,
        "source": "rec/42.wav",
        "utterances": [{"speaker": "C", "text": "好"}],
    }
    read = read_call(write(tmp_path / "c.json", json.dumps(call)))
    assert (read.call_id, read.customer_id, read.source) == ("42", "7", "rec/42.wav")


def test_json_list_reports_the_line_each_bad_call_starts_on(tmp_path):
    good = {"call_id": "A", "customer_id": "C1", "utterances": [{"speaker": "C", "text": "好"}]}
    bad = {"call_id": "B", "customer_id": "C1", "utterances": [{"speaker": "C", "text": "好", "end": -1}]}
    path = write(tmp_path / "list.json", json.dumps([good, bad, {**good, "call_id": "D"}], indent=2))
    calls, failures = split(read_calls([path]))
    assert [c.call_id for c in calls] == ["A", "D"]
    [failure] = failures
    object_lines = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if line == "  {"]
    assert failure.line == object_lines[1] == 12
    assert "call 'B', utterances[0]: end -1" in failure.reason


def test_bad_json_names_line_and_column():
    failure = only_failure([BAD / "bad_syntax.json"])
    assert failure.source == str(BAD / "bad_syntax.json")
    assert failure.line == 6
    assert failure.reason.startswith("invalid JSON: Expecting ',' delimiter (column 5)")


def test_jsonl_reads_good_lines_and_reports_each_bad_one_by_line():
    calls, failures = split(read_calls([BAD / "mixed_batch.jsonl"]))
    assert [c.call_id for c in calls] == ["CALL-OK-0001", "CALL-OK-0002"]
    assert failures[0].reason.startswith("invalid JSON: ")  # the wording varies with the Python version
    assert failures[0].line == 2
    assert [(f.line, f.reason.split(";")[0]) for f in failures[1:]] == [
        (3, "call 'CALL-BAD-0004', utterances[1]: unknown speaker '经理助理'"),
        (5, "call 'CALL-BAD-0005' is empty: it has no turn with text"),
        (6, "call 'CALL-BAD-0006' has no customer ID"),
        (7, "call_id 'CALL-OK-0001' was already read from " + f"{BAD / 'mixed_batch.jsonl'}:1"),
    ]
    assert failures[3].reason.endswith('or name it with a "customer_id" field in the call object')
    assert "坐席" in failures[1].reason  # the message lists the known aliases


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], "a call must be a JSON object"),
        ({"utterances": []}, "the call has no call_id"),
        ({"call_id": "X", "utterances": "hi"}, '"utterances" must be a list'),
        ({"call_id": "X", "utterances": ["hi"]}, "utterances[0]: must be an object"),
        ({"call_id": "X", "utterances": [{"speaker": "C"}]}, 'utterances[0]: needs a "text" string'),
        (
            {"call_id": "X", "utterances": [{"speaker": "C", "text": "a", "start": "soon"}]},
            "start 'soon' is not",
        ),
        ({"call_id": "X", "started_at": "yesterday", "utterances": []}, "started_at 'yesterday' is not"),
        ({"call_id": ["X"], "utterances": []}, "call_id must be a string"),
    ],
)
def test_malformed_json_calls(tmp_path, value, message):
    failure = only_failure([write(tmp_path / "x.jsonl", json.dumps(value) + "\n")])
    assert message in failure.reason
    assert failure.line == 1


def test_empty_json_file(tmp_path):
    failure = only_failure([write(tmp_path / "empty.json", "\n \n")])
    assert "the file is empty" in failure.reason


def test_a_file_without_calls_is_reported(tmp_path):
    assert only_failure([write(tmp_path / "none.json", "[]")]).reason == "the file holds no calls"


def test_json_list_on_one_line_names_the_bad_item(tmp_path):
    good = {"call_id": "A", "customer_id": "C1", "utterances": [{"speaker": "C", "text": "好"}]}
    items = [good, "not a call", {**good, "call_id": "D"}, {**good, "call_id": "E", "utterances": 3}]
    path = write(tmp_path / "list.json", json.dumps(items))
    calls, failures = split(read_calls([path]))
    assert [c.call_id for c in calls] == ["A", "D"]
    assert [(f.line, f.reason) for f in failures] == [
        (
            1,
            "list item [1]: a call must be a JSON object with call_id and utterances, got str; "
            "the list's other calls are still read",
        ),
        (
            1,
            "list item [3]: call 'E': \"utterances\" must be a list of {speaker, text, start, end} objects; "
            "the list's other calls are still read",
        ),
    ]


def test_a_number_too_large_fails_its_call_not_the_batch(tmp_path):
    good = '{"call_id": "A", "customer_id": "C1", "utterances": [{"speaker": "C", "text": "好"}]}'
    huge = (
        '{"call_id": "B", "customer_id": "C1", "utterances": [{"speaker": "C", "text": "好", "start": 1%s}]}'
    )
    listed = write(tmp_path / "list.json", f"[{good},\n{huge % ('0' * 400)}]")
    calls, failures = split(read_calls([listed]))
    assert [c.call_id for c in calls] == ["A"]
    assert [(f.line, f.reason.split(";")[0]) for f in failures] == [
        (
            2,
            "list item [1]: call 'B', utterances[0]: start <401 digits> is more than 24 hours (86,400 s) into the call",
        )
    ]
    lines = write(tmp_path / "lines.jsonl", f"{huge % ('0' * 5000)}\n{good}\n")
    calls, failures = split(read_calls([lines]))
    assert [c.call_id for c in calls] == ["A"]
    assert [(f.line, f.reason.split(";")[0]) for f in failures] == [
        (1, "invalid JSON: it holds a number too long to read")
    ]


CARD = "6222020200112233445"


@pytest.mark.parametrize("start", [CARD, "86400.5", "25:00:00", "1e300", "inf"])
def test_csv_time_over_24_hours_is_refused_without_echoing_long_numbers(tmp_path, start):
    path = write(
        tmp_path / "t.csv",
        f"call_id,customer_id,speaker,start,text\nA,C1,客户,0,好\nB,C1,客户,{start},好\nC,C1,客户,86400,好\n",
    )
    calls, failures = split(read_calls([path]))
    assert [c.call_id for c in calls] == ["A", "C"]
    [failure] = failures
    assert failure.line == 3
    assert (
        failure.reason.startswith("start ")
        and "is more than 24 hours (86,400 s) into the call" in failure.reason
    )
    assert CARD not in failure.reason and "6222" not in failure.reason


@pytest.mark.parametrize("end", [6.2e18, 86401, 10**30])
def test_json_time_over_24_hours_is_refused(tmp_path, end):
    call = {"call_id": "X", "customer_id": "C", "utterances": [{"speaker": "C", "text": "好", "end": end}]}
    failure = only_failure([write(tmp_path / "x.json", json.dumps(call))])
    assert "utterances[0]: end " in failure.reason and "more than 24 hours" in failure.reason
    assert "1000000000" not in failure.reason


def test_text_time_over_24_hours_is_refused_with_its_line(tmp_path):
    path = write(tmp_path / "t.txt", "坐席：您好\n[24:00:00-24:00:01] 客户：好\n")
    failure = only_failure([path], customer_id="C")
    assert (failure.line, failure.reason.split(";")[0]) == (
        2,
        "end '24:00:01' is more than 24 hours (86,400 s) into the call",
    )


@pytest.mark.parametrize("start", ["-1", "nan", "NaN", "-inf", "soon"])
def test_negative_and_non_numeric_times_are_refused(tmp_path, start):
    path = write(tmp_path / "t.csv", f"call_id,customer_id,speaker,start,text\nA,C1,客户,{start},好\n")
    failure = only_failure([path])
    assert failure.line == 2 and failure.reason.startswith(f"start {start!r} is not a time")


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31T23:59:59", "1969-12-31T23:59:59+08:00"])
def test_implausible_started_at_is_refused_with_its_line(tmp_path, value):
    path = write(
        tmp_path / "t.csv",
        f"call_id,customer_id,started_at,speaker,text\nA,C1,,客户,好\nA,C1,{value},客户,好\n",
    )
    failure = only_failure([path])
    assert (failure.line, failure.reason) == (
        3,
        f"started_at {value!r} is not a plausible call time (years 1970–2099); check the date",
    )
    text = write(tmp_path / "t.txt", f"# customer_id: C1\n# started_at: {value}\n客户：好\n")
    assert only_failure([text]).line == 2
    call = {"call_id": "X", "customer_id": "C", "started_at": value, "utterances": []}
    assert "not a plausible call time" in only_failure([write(tmp_path / "x.json", json.dumps(call))]).reason


def _rows(path: Path, rows: list[dict]) -> Path:
    return write(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


CALL_ROW = {"call_id": "G", "customer_id": "C", "utterances": [{"speaker": "customer", "text": "好"}]}


@pytest.mark.parametrize(
    ("row", "looks_like"),
    [
        ({"id": "d#01", "text": "我只买保本的", "labels": ["preference.risk.guaranteed"]}, "labelled data"),
        ({"call_id": "X", "label": "basic.funds.idle", "quote": "闲钱"}, "is a tag"),
        ({"name": "other"}, "the call has no call_id"),
    ],
)
def test_a_jsonl_file_of_something_else_than_calls_fails_once(tmp_path, row, looks_like):
    failure = only_failure([_rows(tmp_path / "x.jsonl", [row] * 1000)])
    assert "first 20 rows all failed" in failure.reason and "line 1: " in failure.reason
    assert looks_like in failure.reason


def test_bad_rows_of_a_call_file_each_fail_on_their_own(tmp_path):
    bad = {"name": "other"}
    first_bad = _rows(tmp_path / "a.jsonl", [bad] * 3 + [CALL_ROW] + [bad] * 30)
    calls, failures = split(read_calls([first_bad]))
    assert [c.call_id for c in calls] == ["G"] and len(failures) == 33
    assert [f.line for f in failures[:4]] == [1, 2, 3, 5]  # in file order
    calls, failures = split(read_calls([_rows(tmp_path / "b.jsonl", [bad] * 19)]))
    assert calls == [] and [f.line for f in failures] == list(range(1, 20))


# --- CSV and TSV -----------------------------------------------------------------------------------


def test_csv_groups_rows_into_calls_in_file_order(tmp_path):
    path = write(
        tmp_path / "calls.csv",
        "Text,Speaker,Call_ID,customer_id,start,end,started_at,note\n"
        '"您好，华信银行",坐席,B,CUST-2,0,1.5,2026-04-01T09:00:00+08:00,x\n'
        "嗯,客户,A,CUST-1,,,,\n"
        "\n"
        '"我想问问,那个理财",客户,B,,00:01.6,00:03,,\n'
        '"多行\n文本",C,A,CUST-1,,,,\n',
    )
    calls, failures = split(read_calls([path]))
    assert not failures
    b, a = calls
    assert (b.call_id, b.customer_id, b.started_at) == ("B", "CUST-2", datetime(2026, 4, 1, 9, tzinfo=CST))
    assert [(u.index, u.speaker, u.text, u.start, u.end) for u in b.utterances] == [
        (0, "agent", "您好，华信银行", 0.0, 1.5),
        (1, "customer", "我想问问,那个理财", 1.6, 3.0),
    ]
    assert (a.call_id, [u.text for u in a.utterances]) == ("A", ["嗯", "多行\n文本"])


def test_tsv(tmp_path):
    path = write(
        tmp_path / "calls.tsv", "call_id\tcustomer_id\tspeaker\tstart\tend\ttext\nT\tC9\tA\t0\t1\t您好\n"
    )
    assert read_call(path).utterances == [Utterance(0, "agent", "您好", 0.0, 1.0)]


def test_csv_missing_column_names_it_on_line_one():
    failure = only_failure([BAD / "missing_text_column.csv"])
    assert failure.line == 1
    assert failure.reason.startswith("missing column text; the header must name call_id, speaker, text")
    assert "found: call_id, customer_id, speaker, start, end, content" in failure.reason


def test_csv_header_errors(tmp_path):
    assert "the file is empty" in only_failure([write(tmp_path / "e.csv", "\n")]).reason
    repeated = only_failure([write(tmp_path / "r.csv", "call_id,speaker,text,text\n")])
    assert "names column 'text' twice" in repeated.reason


def test_csv_row_errors_fail_their_call_only(tmp_path):
    path = write(
        tmp_path / "rows.csv",
        "call_id,customer_id,speaker,text\n"
        "OK,C1,坐席,您好\n"
        "SPK,C1,主持人,大家好\n"
        "FIELDS,C1,客户,好,多出来的\n"
        "AGREE,C1,客户,好\n"
        "AGREE,C2,客户,不好\n"
        ",C1,客户,没有通话号\n"
        "OK,,客户,你好\n",
    )
    calls, failures = split(read_calls([path]))
    assert [(c.call_id, len(c.utterances)) for c in calls] == [("OK", 2)]
    reasons = {f.line: f.reason for f in failures}
    assert reasons[7] == "the row has no call_id; fill in the call_id column"
    assert reasons[3].startswith("unknown speaker '主持人'")
    assert reasons[4].startswith("the row has 5 fields but the header has 4")
    assert (
        reasons[6] == "call 'AGREE' has customer_id 'C2' here but 'C1' on line 5; rows of one call must agree"
    )


# --- plain-text dialogues --------------------------------------------------------------------------


def test_text_roles_colons_timestamps_and_continuations(tmp_path):
    path = write(
        tmp_path / "CALL-9.txt",
        "# a comment\n"
        "[00:01.2-00:03.5] 坐席：您好，这里是华信银行。\n"
        "\n"
        "客户:嗯，你说。\n"
        "客户经理： 我们有款理财\n"
        "七天可赎回，\n"
        "起购一万。\n"
        "客服: hello\n"
        "world\n"
        "C：\n"
        "延续上一行的空回合\n"
        "[1:02:03-1:02:04.5] A: 好的\n",
    )
    call = read_call(path, customer_id="CUST-9")
    assert (call.call_id, call.customer_id, call.source) == ("CALL-9", "CUST-9", str(path))
    assert [(u.speaker, u.text, u.start, u.end) for u in call.utterances] == [
        ("agent", "您好，这里是华信银行。", 1.2, 3.5),
        ("customer", "嗯，你说。", None, None),
        ("agent", "我们有款理财七天可赎回，起购一万。", None, None),
        ("agent", "hello world", None, None),
        ("customer", "延续上一行的空回合", None, None),
        ("agent", "好的", 3723.0, 3724.5),
    ]
    assert [u.index for u in call.utterances] == list(range(6))


def test_text_header_lines_give_the_metadata(tmp_path):
    path = write(
        tmp_path / "x.txt",
        "# call_id: CALL-7\n# customer-id：CUST-7\n# agent_id: AG-02\n# started_at: 2026-05-01\n坐席：您好\n",
    )
    call = read_call(path)
    assert (call.call_id, call.customer_id, call.agent_id, call.started_at) == (
        "CALL-7",
        "CUST-7",
        "AG-02",
        datetime(2026, 5, 1),
    )


@pytest.mark.parametrize("suffix", [".meta.json", ".meta.yaml", ".meta.yml"])
def test_text_sidecar(tmp_path, suffix):
    path = write(tmp_path / "call.txt", "客户：我有理财经理了\n")
    meta = {"customer_id": "CUST-3", "agent_id": "AG-01", "started_at": "2026-02-01T08:00:00+08:00"}
    text = json.dumps(meta) if suffix == ".meta.json" else "".join(f"{k}: {v}\n" for k, v in meta.items())
    write(tmp_path / f"call{suffix}", text)
    call = read_call(path)
    assert (call.call_id, call.customer_id, call.agent_id) == ("call", "CUST-3", "AG-01")
    assert call.started_at == datetime(2026, 2, 1, 8, tzinfo=CST)


def test_text_sidecar_errors_name_the_sidecar(tmp_path):
    path = write(tmp_path / "a.txt", "客户：好\n")
    sidecar = write(tmp_path / "a.meta.json", '{\n  "customer_id": "C1",\n  "agnet_id": "AG-01"\n}')
    failure = only_failure([path])
    assert failure.source == str(sidecar)
    assert failure.reason.startswith(
        "unknown key 'agnet_id' in the sidecar; allowed keys: call_id, customer_id"
    )

    write(sidecar, '{"customer_id": "C1",,}')
    failure = only_failure([path])
    assert (failure.source, failure.line) == (str(sidecar), 1)
    assert failure.reason.startswith("invalid JSON")

    sidecar.unlink()
    write(tmp_path / "a.meta.yaml", "customer_id: [C1\n")
    assert only_failure([path]).reason.startswith("invalid YAML")

    write(tmp_path / "a.meta.yaml", "- C1\n")
    assert only_failure([path]).reason.startswith("a sidecar must be a mapping")

    write(tmp_path / "a.meta.yml", "customer_id: C1\n")
    assert only_failure([path]).reason == "a.txt has 2 sidecars (a.meta.yaml, a.meta.yml); keep one"


def test_text_header_and_sidecar_must_agree(tmp_path):
    path = write(tmp_path / "b.txt", "# customer_id: C1\n客户：好\n")
    write(tmp_path / "b.meta.yaml", "customer_id: C2\n")
    failure = only_failure([path])
    assert failure.reason == "customer_id is C1 in line 1 of b.txt but C2 in b.meta.yaml; make them agree"
    write(tmp_path / "b.meta.yaml", "customer_id: C1\nstarted_at: 2026-01-02T03:04:05+08:00\n")
    assert read_call(path).customer_id == "C1"


def test_text_without_a_role_prefix():
    failure = only_failure([BAD / "no_role_prefix.txt"], customer_id="CUST-1")
    assert failure.line == 1
    assert failure.reason.startswith("the line has no recognised role prefix")
    assert "坐席：" in failure.reason


def test_text_unknown_role_is_an_error_not_a_continuation():
    failure = only_failure([BAD / "unknown_role.txt"])
    assert (failure.line, failure.reason.split(";")[0]) == (3, "unknown speaker '张经理'")


def test_text_timestamped_line_needs_a_role(tmp_path):
    failure = only_failure([write(tmp_path / "t.txt", "坐席：好\n[00:01-00:02] 就这样\n")], customer_id="C")
    assert (failure.line, failure.reason[:39]) == (2, "the line has no recognised role prefix;")


def test_text_turn_ending_before_it_starts(tmp_path):
    failure = only_failure([write(tmp_path / "t.txt", "坐席：好\n[00:05-00:02] 客户：嗯\n")], customer_id="C")
    assert (failure.line, failure.reason) == (
        2,
        "the turn ends (2 s) before it starts (5 s); check start and end",
    )


def test_a_colon_inside_a_continuation_line_is_text(tmp_path):
    call = read_call(write(tmp_path / "t.txt", "客户：我下午\n3:30 以后有空\n"), customer_id="C")
    assert call.utterances[0].text == "我下午3:30 以后有空"


def test_text_decorated_role_prefixes():
    call = read_call(BAD / "decorated_roles.txt")
    assert [(u.speaker, u.text, u.start, u.end) for u in call.utterances] == [
        ("agent", "您好，这里是华信银行，我是理财经理小李。", None, None),
        ("customer", "嗯，你说。", None, None),
        ("agent", "最近有一款中低风险的理财，年化业绩比较基准 3.2%。", 5.0, None),
        ("customer", "我只买保本的。", None, None),
        ("customer", "别的就不用介绍了。", 12.4, 15.0),
        ("agent", "好的，那我给您留意保本型的产品。3:30 以后有空的话，可以来网点详细聊。", None, None),
    ]


@pytest.mark.parametrize(
    ("line", "speaker", "text", "start", "end"),
    [
        ("客户(王先生)：我只买保本的。", "customer", "我只买保本的。", None, None),
        ("客户（王先生）：我只买保本的", "customer", "我只买保本的", None, None),
        ("客户(王先生)(VIP)：我只买保本的", "customer", "我只买保本的", None, None),
        ("【客户】我只买保本的", "customer", "我只买保本的", None, None),
        ("[客户]：我只买保本的", "customer", "我只买保本的", None, None),
        ("(客户)：我只买保本的", "customer", "我只买保本的", None, None),
        ("坐席(工号1027)：请问", "agent", "请问", None, None),
        ("Agent (Zhang): may I ask", "agent", "may I ask", None, None),
        ("00:01 客户：我只买保本的", "customer", "我只买保本的", 1.0, None),
        ("00:01.2-00:03.5 客户：我只买保本的", "customer", "我只买保本的", 1.2, 3.5),
        ("[00:02] 【C】我只买保本的", "customer", "我只买保本的", 2.0, None),
        ("客户[00:01.2-00:03.5]：我只买保本的", "customer", "我只买保本的", 1.2, 3.5),
        ("客户 00:01：我只买保本的", "customer", "我只买保本的", 1.0, None),
        ("3:30 客户：我只买保本的", "customer", "我只买保本的", 210.0, None),
        ("[1] 客户：我只买保本的", "customer", "我只买保本的", None, None),
        ("坐席1027：请问", "agent", "请问", None, None),
        ("坐席 1027：请问", "agent", "请问", None, None),
        ("坐席1号：请问", "agent", "请问", None, None),
        ("[00:05] 坐席1027：请问", "agent", "请问", 5.0, None),
        ("【坐席1027】请问", "agent", "请问", None, None),
        ("客户13812345678：我只买保本的", "customer", "我只买保本的", None, None),
    ],
)
def test_text_decorated_role_starts_a_turn(tmp_path, line, speaker, text, start, end):
    first = "客户：喂" if speaker == "agent" else "坐席：您好"
    call = read_call(write(tmp_path / "t.txt", f"{first}\n{line}\n"), customer_id="C")
    assert len(call.utterances) == 2, call.utterances
    turn = call.utterances[1]
    assert (turn.speaker, turn.text, turn.start, turn.end) == (speaker, text, start, end)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("王先生(客户)：我只买保本的", "unknown speaker '王先生(客户)'"),
        ("客户（王先生）说：我只买保本的", "unknown speaker '客户（王先生）说'"),
        ("1号坐席：您好", "unknown speaker '1号坐席'"),
        ("[主持人] 大家好", "unknown speaker '主持人'"),
        ("【系统】通话结束", "unknown speaker '系统'"),
        ("(主持人)：大家好", "unknown speaker '主持人'"),
        ("00:01 我只买保本的", "the line has no recognised role prefix"),
        ("09:30 我只买保本的", "the line has no recognised role prefix"),
        ("00:01.2-00:03.5 我只买保本的", "the line has no recognised role prefix"),
        ("[00:01] 客户[00:02]：好", "the line carries two times, one before and one after the role"),
        ("客户[00:01][00:02]：好", "the role '客户[00:01][00:02]' carries 2 times"),
    ],
)
def test_text_line_that_looks_like_a_turn_without_a_known_role_is_an_error(tmp_path, line, reason):
    path = write(tmp_path / "t.txt", f"坐席：您好\n{line}\n客户：好\n")
    failure = only_failure([path], customer_id="C")
    assert (failure.source, failure.line, failure.reason.split(";")[0]) == (str(path), 2, reason)


def test_text_unknown_role_message_shows_how_to_annotate_a_role(tmp_path):
    failure = only_failure([write(tmp_path / "t.txt", "张经理：您好\n")], customer_id="C")
    assert "坐席(张经理)：" in failure.reason


def test_text_staff_number_after_the_role_is_not_kept_as_an_id(tmp_path):
    call = read_call(write(tmp_path / "t.txt", "坐席1027：您好\n客户13812345678：嗯\n"), customer_id="C")
    assert (call.agent_id, [u.text for u in call.utterances]) == (None, ["您好", "嗯"])


def test_text_notes_before_the_first_turn_are_skipped(tmp_path):
    path = write(
        tmp_path / "t.txt",
        "# customer_id: C1\n注意：本录音仅供质检使用\n【通话记录】\n录音编号：A-0001\n坐席：您好\n客户：嗯\n",
    )
    call = read_call(path)
    assert [(u.speaker, u.text) for u in call.utterances] == [("agent", "您好"), ("customer", "嗯")]


def test_text_a_note_after_the_first_turn_is_an_error_with_file_line_and_the_roles(tmp_path):
    path = write(tmp_path / "t.txt", "注意：仅供质检\n坐席：您好\n王先生(13812345678)：你好\n")
    failure = only_failure([path], customer_id="C")
    assert (failure.source, failure.line) == (str(path), 3)
    assert failure.reason.startswith("unknown speaker '王先生(138****5678)'; a turn starts with a role")
    assert "13812345678" not in failure.reason
    assert "坐席/座席/客服/客户经理" in failure.reason and "客户/客戶/用户" in failure.reason
    assert "坐席1027：" in failure.reason and failure.reason.endswith("join it to that line")
    with pytest.raises(InputError, match=r"t\.txt:3: unknown speaker"):
        read_call(path, customer_id="C")


def test_text_with_notes_but_no_turn_is_an_error_at_the_first_note(tmp_path):
    failure = only_failure(
        [write(tmp_path / "t.txt", "# x\n注意：仅供质检\n张经理：您好\n")], customer_id="C"
    )
    assert failure.line == 2
    assert failure.reason.startswith("unknown speaker '注意'")
    assert "no line of this file starts with a known role" in failure.reason


def test_text_plain_line_before_the_first_turn_says_what_may_come_first(tmp_path):
    failure = only_failure([write(tmp_path / "t.txt", "通话记录\n坐席：您好\n")], customer_id="C")
    assert failure.line == 1 and failure.reason.endswith("only comments (# …) and notes (注意：…) may come")


def test_text_a_wrapped_url_continues_the_turn(tmp_path):
    path = write(tmp_path / "t.txt", "坐席：详情见官网\nhttps://www.example-bank.cn/licai\n客户：好的\n")
    turns = read_call(path, customer_id="C").utterances
    assert [(u.speaker, u.text) for u in turns] == [
        ("agent", "详情见官网https://www.example-bank.cn/licai"),
        ("customer", "好的"),
    ]


def test_text_plain_wrapped_lines_still_continue_the_turn(tmp_path):
    path = write(tmp_path / "t.txt", "客户：我下午\n3:30 以后有空，\n10:30以后也行\n（笑）就这样吧\n")
    [turn] = read_call(path, customer_id="C").utterances
    assert (turn.speaker, turn.text) == ("customer", "我下午3:30 以后有空，10:30以后也行（笑）就这样吧")


# --- customer IDs, empty calls, duplicates ---------------------------------------------------------


def test_missing_customer_id_tells_how_to_fix_it(tmp_path):
    path = write(tmp_path / "CALL-5.txt", "坐席：您好\n客户：你好\n")
    failure = only_failure([path])
    assert (failure.source, failure.line) == (str(path), 1)
    assert failure.reason.startswith(
        "call 'CALL-5' has no customer ID; pass --customer-id (customer_id= in Python)"
    )
    assert "CALL-5.meta.json" in failure.reason
    assert read_call(path, customer_id=" CUST-5 ").customer_id == "CUST-5"


@pytest.mark.parametrize(
    ("name", "text", "advice"),
    [
        ("x.json", '{"call_id": "X", "utterances": [{"speaker": "C", "text": "好"}]}', '"customer_id" field'),
        (
            "x.jsonl",
            '{"call_id": "X", "utterances": [{"speaker": "C", "text": "好"}]}\n',
            '"customer_id" field',
        ),
        ("x.csv", "call_id,speaker,text\nX,C,好\n", "a customer_id column"),
        ("x.tsv", "call_id\tspeaker\ttext\nX\tC\t好\n", "a customer_id column"),
    ],
)
def test_missing_customer_id_advice_fits_the_format(tmp_path, name, text, advice):
    reason = only_failure([write(tmp_path / name, text)]).reason
    assert reason.startswith("call 'X' has no customer ID; pass --customer-id (customer_id= in Python) or ")
    assert advice in reason
    assert "sidecar" not in reason and ".meta." not in reason and "# customer_id" not in reason


def test_missing_customer_id_advice_for_a_format_without_a_place_for_it(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))
    register_reader(".rec")(
        lambda path: iter([CallRecord(Call("R", None, [Utterance(0, "customer", "好")]))])
    )
    reason = only_failure([write(tmp_path / "r.rec", "")]).reason
    assert reason == "call 'R' has no customer ID; pass --customer-id (customer_id= in Python)"


def test_customer_id_argument_is_a_fallback_that_never_overrides_the_file(tmp_path):
    named = write(tmp_path / "c.txt", "# customer_id: CUST-1\n客户：好\n")
    unnamed = write(tmp_path / "d.txt", "客户：好\n")
    calls, failures = split(read_calls([tmp_path], customer_id="CUST-2"))
    assert failures == [] and [(c.call_id, c.customer_id) for c in calls] == [
        ("c", "CUST-1"),
        ("d", "CUST-2"),
    ]
    assert read_call(named, customer_id="CUST-1").customer_id == "CUST-1"
    assert read_call(unnamed, customer_id="CUST-1").customer_id == "CUST-1"
    with pytest.raises(InputError, match="customer_id is blank"):
        list(read_calls([named], customer_id="  "))


def test_empty_call(tmp_path):
    failure = only_failure([write(tmp_path / "e.txt", "# only a comment\n\n")], customer_id="C")
    assert failure.reason == "call 'e' is empty: it has no turn with text; check the export"


def test_duplicate_call_id_across_files_keeps_the_first(tmp_path):
    first = write(tmp_path / "a" / "X.txt", "客户：第一通\n")
    second = write(tmp_path / "b" / "X.txt", "客户：第二通\n")
    calls, failures = split(read_calls([first, second], customer_id="C"))
    assert [c.utterances[0].text for c in calls] == ["第一通"]
    assert failures[0].source == str(second)
    assert failures[0].reason.startswith(f"call_id 'X' was already read from {first}:1;")


# --- folders and the batch -------------------------------------------------------------------------


def test_folder_is_read_recursively_in_sorted_order_skipping_non_transcripts(tmp_path):
    write(tmp_path / "b.txt", "# customer_id: CB\n客户：b\n")
    write(
        tmp_path / "a" / "z.jsonl",
        '{"call_id": "z", "customer_id": "CZ", "utterances": [{"speaker": "C", "text": "z"}]}\n',
    )
    write(tmp_path / "a" / "y.txt", "客户：y\n")
    write(tmp_path / "a" / "y.meta.json", '{"customer_id": "CY"}')
    write(tmp_path / "notes.md", "# notes\n")
    write(tmp_path / ".hidden.txt", "客户：hidden\n")
    write(tmp_path / ".git" / "x.txt", "客户：hidden\n")
    scan = scan_paths([tmp_path])
    assert scan.found == [tmp_path / "a" / "y.txt", tmp_path / "a" / "z.jsonl", tmp_path / "b.txt"]
    # hidden folders (.git, …) are not even listed
    assert scan.skipped == [tmp_path / ".hidden.txt", tmp_path / "a" / "y.meta.json", tmp_path / "notes.md"]
    calls, failures = split(read_calls([tmp_path]))
    assert not failures
    assert [(c.call_id, c.customer_id) for c in calls] == [("y", "CY"), ("z", "CZ"), ("b", "CB")]


def test_office_lock_files_in_a_folder_are_skipped(tmp_path):
    good = write(tmp_path / "calls.csv", "call_id,customer_id,speaker,text\nX,C1,客户,好\n")
    excel_lock = tmp_path / "~$calls.csv"
    excel_lock.write_bytes(b"\x05zhang\x00\x00\x00" * 10)  # what Excel writes: the owner's name, padded
    libreoffice_lock = write(tmp_path / ".~lock.calls.csv#", ",zhang,host,06.03.2026 10:00,file:///;\n")
    write(tmp_path / "sub" / "~$other.txt", "客户：锁文件\n")
    scan = scan_paths([tmp_path])
    assert scan.found == [good]
    assert scan.skipped == [libreoffice_lock, tmp_path / "sub" / "~$other.txt", excel_lock]
    calls, failures = split(read_calls([tmp_path]))
    assert ([c.call_id for c in calls], failures) == (["X"], [])


def test_an_office_lock_file_named_directly_is_refused(tmp_path):
    lock = write(tmp_path / "~$calls.csv", "call_id,customer_id,speaker,text\nX,C1,客户,好\n")
    failure = only_failure([lock])
    assert failure.source == str(lock)
    assert failure.reason.startswith("this is a lock file that an office suite leaves while a file is open")


def test_a_file_named_twice_is_read_once(tmp_path):
    path = write(tmp_path / "a.txt", "客户：好\n")
    assert scan_paths([path, tmp_path, str(path)]).found == [path]
    assert len(list(read_calls(path, customer_id="C"))) == 1  # a single path needs no list


def test_bad_paths_become_failures(tmp_path):
    sidecar = write(tmp_path / "x.meta.json", "{}")
    other = write(tmp_path / "x.docx", "")
    empty = tmp_path / "empty"
    empty.mkdir()
    failures = [only_failure([p]) for p in (tmp_path / "missing.txt", sidecar, other, empty)]
    assert [f.reason.split(";")[0] for f in failures] == [
        "no such file or folder",
        "this is a transcript's metadata sidecar",
        "unsupported file type '.docx'",
        f"the folder holds no transcript files ({', '.join(supported_extensions())})",
    ]
    assert [f.source for f in failures] == [
        str(tmp_path / "missing.txt"),
        str(sidecar),
        str(other),
        str(empty),
    ]


def test_the_batch_goes_on_past_bad_files(tmp_path):
    good = write(tmp_path / "good.txt", "客户：好\n")
    items = list(read_calls([BAD / "bad_syntax.json", tmp_path / "missing.csv", good], customer_id="C"))
    assert [type(i).__name__ for i in items] == ["Failure", "Failure", "Call"]
    assert str(items[0]).startswith(f"{BAD / 'bad_syntax.json'}:6: invalid JSON")


def test_read_call_raises_with_file_and_line(tmp_path):
    with pytest.raises(InputError) as error:
        read_call(BAD / "bad_syntax.json")
    assert (error.value.source, error.value.line) == (str(BAD / "bad_syntax.json"), 6)
    assert str(error.value).startswith(f"{BAD / 'bad_syntax.json'}:6: invalid JSON")
    with pytest.raises(InputError, match="holds 2 calls but read_call reads one; use read_calls"):
        read_call(EXAMPLES / "json" / "cust-0004-wealth.json")


# --- encodings -------------------------------------------------------------------------------------

TRANSCRIPT = "# customer_id: CUST-1\n坐席：您好，华信银行。\n客户：我想问问理财的手续费。\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings(tmp_path, encoding):
    call = read_call(write(tmp_path / "enc.txt", TRANSCRIPT, encoding))
    assert [u.text for u in call.utterances] == ["您好，华信银行。", "我想问问理财的手续费。"]


def test_gb18030_whose_first_characters_happen_to_be_valid_utf8(tmp_path):
    raw = "# customer_id: C\nC:去年买的理财亏了，想问问手续费\n".encode("gb18030")
    assert raw[19:21].decode("utf-8") == "ȥ"  # 去 in GB18030 is also a valid UTF-8 character
    path = tmp_path / "gb.txt"
    path.write_bytes(raw)
    assert read_call(path).utterances[0].text == "去年买的理财亏了，想问问手续费"


def test_utf8_bom_before_a_csv_header(tmp_path):
    path = write(tmp_path / "bom.csv", "call_id,customer_id,speaker,text\nX,C,客户,好\n", "utf-8-sig")
    assert read_call(path).call_id == "X"


def test_a_damaged_utf8_file_is_not_decoded_as_gb18030(tmp_path):
    path = tmp_path / "damaged.txt"
    path.write_bytes("坐席：您好\n客户：".encode() + "你好".encode()[:-1] + b"\n")  # a character cut short
    failure = only_failure([path], customer_id="C")
    assert (failure.line, failure.reason) == (
        2,
        "the file is UTF-8 but byte 0xe5 on line 2 is not valid UTF-8 (a damaged or mixed-encoding file); "
        "repair or re-export it",
    )


def test_undecodable_bytes_name_their_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"A: hi\n\xff\xfe\xff oops\n")
    failure = only_failure([path], customer_id="C")
    assert failure.line == 2
    assert failure.reason == (
        "the file is neither UTF-8 nor GB18030 text (byte 0xff on line 2 is not valid in either); "
        "re-save it as UTF-8"
    )


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "audio.txt"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVE")
    assert "NUL bytes" in only_failure([path], customer_id="C").reason


# --- the reader registry ---------------------------------------------------------------------------


def test_readers_are_registered_by_extension(monkeypatch):
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))
    assert {".csv", ".json", ".jsonl", ".tsv", ".txt"} <= set(supported_extensions())  # audio may add more
    assert reader_for(Path("X.JSON")) is reader_for(Path("x.json")) is not None

    def read_fake(path: Path):
        yield CallRecord(Call("F", "CUST-F", [Utterance(0, "customer", path.name)]))

    register_reader("fake", ".FAKE2")(read_fake)
    assert {".fake", ".fake2"} <= set(supported_extensions())
    with pytest.raises(
        ConvmineError, match=r"'\.txt' is already registered \(read_text\); pass replace=True"
    ):
        register_reader(".txt")(read_fake)
    register_reader(".txt", replace=True)(read_fake)
    assert reader_for(Path("a.txt")) is read_fake


def test_a_registered_reader_joins_the_batch(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))

    @register_reader(".rec")
    def read_rec(path: Path):
        yield CallRecord(Call(path.stem, None, [Utterance(0, "customer", "你好")]))

    write(tmp_path / "rec1.rec", "")
    calls, _ = split(read_calls([tmp_path], customer_id="CUST-W"))
    assert [(c.call_id, c.customer_id) for c in calls] == [("rec1", "CUST-W")]


def test_a_reader_missing_its_extra_fails_the_file_naming_the_extra(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))

    @register_reader(".rec")
    def read_rec(path: Path):
        require("convmine_no_such_module", "asr", "decoding audio")
        yield CallRecord(Call(path.stem, None, [Utterance(0, "customer", "你好")]))

    reason = only_failure([write(tmp_path / "r.rec", "")], customer_id="C").reason
    assert "pip install 'convmine[asr]'" in reason and "please report" not in reason


# --- round trip: whatever a writer can express, the reader gives back ------------------------------

_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12
)
_turn = st.tuples(
    st.sampled_from(["agent", "customer", "unknown"]),
    _text.map(str.strip).filter(lambda t: t and not t.startswith("#")),
    st.one_of(st.none(), st.floats(0, 5000, allow_nan=False).map(lambda s: round(s, 1))),
)


@settings(max_examples=40, deadline=None)
@given(
    turns=st.lists(_turn, min_size=1, max_size=6), suffix=st.sampled_from([".json", ".jsonl", ".csv", ".tsv"])
)
def test_round_trip(tmp_path_factory, turns, suffix):
    expected = [
        Utterance(i, s, t, start, None if start is None else start + 1)
        for i, (s, t, start) in enumerate(turns)
    ]
    folder = tmp_path_factory.mktemp("rt")
    path = folder / f"call{suffix}"
    if suffix in (".json", ".jsonl"):
        obj = {
            "call_id": "RT",
            "customer_id": "C",
            "utterances": [
                {"speaker": u.speaker, "text": u.text, "start": u.start, "end": u.end} for u in expected
            ],
        }
        path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t" if suffix == ".tsv" else ",")
            writer.writerow(["call_id", "customer_id", "speaker", "start", "end", "text"])
            writer.writerows(["RT", "C", u.speaker, u.start, u.end, u.text] for u in expected)
    assert read_call(path).utterances == expected


# --- the bundled examples --------------------------------------------------------------------------


def test_every_example_reads_cleanly():
    scan = scan_paths([EXAMPLES])
    assert not [item for item in scan.found if isinstance(item, Failure)]
    calls, failures = split(read_calls([EXAMPLES]))
    assert failures == []
    assert len(calls) >= 12
    assert {p.suffix for p in scan.found if isinstance(p, Path)} == {
        ".json",
        ".jsonl",
        ".csv",
        ".tsv",
        ".txt",
    }
    assert {p.name for p in scan.skipped} == {
        "README.md",
        "CALL-2026-0418-0007.meta.json",
        "CALL-2026-0923-0031.meta.yaml",
    }
    for call in calls:
        assert 6 <= len(call.utterances) <= 30, call.call_id
        assert [u.index for u in call.utterances] == list(range(len(call.utterances)))
        assert {u.speaker for u in call.utterances} == {"agent", "customer"}, call.call_id
        assert (
            call.call_id.startswith("CALL-2026-")
            and call.customer_id
            and call.customer_id.startswith("CUST-")
        )
        assert call.agent_id in {"AG-01", "AG-02", "AG-03", "AG-04"}
        assert call.started_at is not None and call.started_at.year == 2026
    customers = {c.customer_id for c in calls}
    assert len(customers) == 6
    dates = {cid: {c.started_at.date() for c in calls if c.customer_id == cid} for cid in customers}
    assert sum(len(d) >= 2 for d in dates.values()) >= 3


def test_examples_readme_lists_every_example_file():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for path in scan_paths([EXAMPLES]).found:
        assert isinstance(path, Path) and str(path.relative_to(EXAMPLES)) in readme


def test_call_from_dict_parses_one_call_object():
    value = {"call_id": "X", "utterances": [{"speaker": "客户", "text": "好"}]}
    call = call_from_dict(value, source="eval.jsonl")
    assert (call.call_id, call.customer_id, call.source, call.utterances) == (
        "X",
        None,
        "eval.jsonl",
        [Utterance(0, "customer", "好")],
    )
    with pytest.raises(InputError, match=r"call 'X', utterances\[0\]: unknown speaker 'boss'"):
        call_from_dict({"call_id": "X", "utterances": [{"speaker": "boss", "text": "好"}]})


def test_a_reader_that_crashes_fails_its_file_and_the_batch_goes_on(tmp_path):
    from convmine.ingest import register_reader
    from convmine.ingest.registry import _READERS

    @register_reader(".boom")
    def explode(path):
        raise ZeroDivisionError("bug in a reader")
        yield  # a generator, like real readers

    try:
        (tmp_path / "a.boom").write_text("x")
        good = tmp_path / "b.txt"
        good.write_text("# customer_id: C1\n坐席：您好\n客户：你好\n", encoding="utf-8")
        items = list(read_calls([tmp_path]))
    finally:
        del _READERS[".boom"]
    failure, call = items
    assert isinstance(failure, Failure) and "ZeroDivisionError: bug in a reader" in failure.reason
    assert call.call_id == "b"


def test_call_to_dict_is_the_inverse_of_call_from_dict():
    from convmine.ingest import call_from_dict, call_to_dict

    for call in read_calls([EXAMPLES]):
        assert call_from_dict(json.loads(json.dumps(call_to_dict(call)))) == call


# --- text reader: labels holding numbers, line ends, Big5 (QA pass 2, items 19 and 20) -------------


@pytest.mark.parametrize("label", ["王五13812345678", "王五 13812345678", "张经理1027"])
def test_text_a_label_holding_a_number_is_an_unknown_speaker_not_a_continuation(tmp_path, label):
    from convmine.text.pii import mask

    path = write(tmp_path / "t.txt", f"坐席：您好\n客户：好的\n{label}：我的卡号是6222021234567890123\n")
    failure = only_failure([path], customer_id="C")
    assert (failure.line, failure.reason.split(";")[0]) == (3, f"unknown speaker {mask(label)!r}")
    assert "13812345678" not in failure.reason and "6222021234567890123" not in failure.reason


def test_text_roles_with_staff_numbers_and_clock_times_still_read(tmp_path):
    path = write(tmp_path / "t.txt", "客户：喂\n坐席1027：请问\n客户：我下午\n3:30 以后有空\n")
    turns = read_call(path, customer_id="C").utterances
    assert [(u.speaker, u.text) for u in turns] == [
        ("customer", "喂"),
        ("agent", "请问"),
        ("customer", "我下午3:30 以后有空"),
    ]


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_text_lines_may_end_as_on_a_classic_mac_windows_or_unix(tmp_path, end):
    path = write(tmp_path / "t.txt", end.join(["# customer_id: C", "坐席：您好", "客户：我只买保本的", ""]))
    call = read_call(path)
    assert (call.customer_id, [u.text for u in call.utterances]) == ("C", ["您好", "我只买保本的"])
    failure = only_failure([write(tmp_path / "bad.txt", end.join(["坐席：您好", "张经理：你好", ""]))])
    assert (failure.line, failure.reason.split(";")[0]) == (2, "unknown speaker '张经理'")


def test_undecodable_bytes_name_their_line_whatever_the_line_ends(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"A: hi\r\xff\xfe\xff oops\r")
    assert only_failure([path], customer_id="C").line == 2


def test_a_big5_transcript_is_read_as_big5(tmp_path):
    path = write(
        tmp_path / "big5.txt",
        "# customer_id: C\n坐席：您好，請問有什麼需要？\n客戶：我只買保本的理財。\n",
        "cp950",
    )
    turns = read_call(path).utterances
    assert [(u.speaker, u.text) for u in turns] == [
        ("agent", "您好，請問有什麼需要？"),
        ("customer", "我只買保本的理財。"),
    ]


def test_a_gbk_transcript_that_is_also_valid_big5_stays_gbk(tmp_path):
    text = "# customer_id: C\n坐席：您好\n客户：我只买保本的理财\n"
    raw = text.encode("gbk")
    raw.decode("cp950")  # the same bytes are valid Big5, but only as GBK do they name roles
    path = tmp_path / "gbk.txt"
    path.write_bytes(raw)
    assert [u.text for u in read_call(path).utterances] == ["您好", "我只买保本的理财"]


# --- a batch's manifest kept among its inputs -------------------------------------------------------------


def test_files_to_skip_are_not_inputs(tmp_path):
    """A manifest CSV beside the transcripts it describes is not read as a transcript."""
    (tmp_path / "a.txt").write_text("# customer_id: C1\n坐席：您好\n客户：我只买保本的\n", encoding="utf-8")
    manifest = tmp_path / "calls.csv"
    manifest.write_text("path,call_id,customer_id\na.txt,A-1,C1\n", encoding="utf-8")
    assert [p.name for p in scan_paths([tmp_path]).found] == ["a.txt", "calls.csv"]
    assert [p.name for p in scan_paths([tmp_path], skip=[manifest]).found] == ["a.txt"]
    assert [c.call_id for c in read_calls([tmp_path], skip=[str(manifest)])] == ["a"]


def test_failures_are_masked_where_they_quote_a_personal_number(tmp_path):
    """A transcript named after the customer's phone number: the failure names the file, masked."""
    path = tmp_path / "13912345678.txt"
    path.write_text("客户：我有二十万闲着\n", encoding="utf-8")  # no customer ID anywhere
    [failure] = read_calls([path])
    assert isinstance(failure, Failure) and "customer" in failure.reason
    assert "13912345678" not in failure.source + failure.reason
    assert "139****5678" in failure.source


def test_linked_folders_are_followed_once_and_a_link_back_does_not_loop(tmp_path):
    night = tmp_path / "night"
    write(night / "a.txt", "# customer_id: CA\n客户：有\n")
    write(tmp_path / "elsewhere" / "b.txt", "# customer_id: CB\n客户：有\n")
    (night / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (night / "loop").symlink_to(night, target_is_directory=True)
    scan = scan_paths([night])
    assert [p.name for p in scan.found] == ["a.txt", "b.txt"]


def test_a_folder_that_cannot_be_listed_is_a_failure(tmp_path, monkeypatch):
    write(tmp_path / "a.txt", "# customer_id: CA\n客户：有\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    scandir = os.scandir

    def refusing(path):  # as chmod 000 does for a user other than root
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    found = scan_paths([tmp_path]).found
    assert found == [Failure(str(locked), "cannot read the folder: Permission denied"), tmp_path / "a.txt"]


def test_control_characters_in_a_transcript_become_spaces(tmp_path):
    """A terminal escape sequence must not reach `convmine show` or a CSV opened in a spreadsheet."""
    path = write(tmp_path / "esc.txt", "# customer_id: C1\n客户：我只买\x1b[31m保本的\x07\t产品\n")
    [call] = read_calls([path])
    assert call.utterances[0].text == "我只买 [31m保本的 \t产品"
