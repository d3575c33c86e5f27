"""The command line, end to end on the bundled examples, through typer's CliRunner."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convmine.cli.main import app
from tests.fakes import write_bank_taxonomy

EXAMPLES = Path(__file__).parent.parent / "examples"
BAD_INPUTS = Path(__file__).parent / "data" / "ingest"
runner = CliRunner()


def personal_numbers() -> set[str]:
    """The fake personal numbers in the examples (a card, an ID, mobiles, one spelled 幺三八…), as written."""
    from convmine.ingest import read_calls
    from convmine.text import Masker

    found = set()
    for call in read_calls([EXAMPLES]):
        for u in call.utterances:
            found.update(u.text[m.start : m.end] for m in Masker().find(u.text))
    return found


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "convmine.db"
    result = run("tag", str(EXAMPLES), "--db", str(path))
    assert result.exit_code == 0, result.output
    return path


def dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as con:
        return list(con.iterdump())


def test_tag_prints_a_summary_and_tags_all_four_categories(db):
    rows = sqlite3.connect(db).execute("SELECT label FROM tags").fetchall()
    assert {label.split(".")[0] for (label,) in rows} == {"basic", "preference", "objection", "feedback"}


def test_the_summary_names_the_tagger_and_the_combination(tmp_path):
    from tests.extras import need

    need("onnxruntime", "onnx")
    result = run("tag", str(EXAMPLES / "json"), "--db", str(tmp_path / "u.db"), "--combine", "union")
    assert result.exit_code == 0 and "default+rules:union@20" in result.output
    other = run("tag", str(EXAMPLES / "json"), "--db", str(tmp_path / "i.db"), "--combine", "intersection")
    assert other.exit_code == 0 and "default+rules:intersection@20" in other.output


def test_tagging_the_same_folder_twice_leaves_identical_rows(db, tmp_path):
    copy = tmp_path / "again.db"
    assert run("tag", str(EXAMPLES), "--db", str(copy)).exit_code == 0
    first = dump(copy)
    result = run("tag", str(EXAMPLES), "--db", str(copy))
    assert result.exit_code == 0 and "calls tagged" in result.output
    assert dump(copy) == first


def test_no_full_personal_number_in_database_output_or_export(db):
    numbers = personal_numbers()
    assert {
        "6217 0000 1234 5678 901",
        "110105195903124527",
        "13912345678",
        "幺三八零幺二三四五六七",
    } <= numbers
    texts = {"db": "\n".join(dump(db))}
    for args in (
        ["export", "--format", "csv"],
        ["export"],
        ["show", "CALL-2026-0715-0019"],
        ["show", "CALL-2026-0305-0001"],
    ):
        texts[" ".join(args)] = run(*args, "--db", str(db)).output
    assert "6217 00** **** ***8 901" in texts["db"] and "139****5678" in texts["db"]  # masked, kept partially
    for where, text in texts.items():
        leaked = [n for n in numbers if n in text or n.replace(" ", "") in text]
        assert not leaked, where


def test_profile_json_lists_tags_with_evidence(db):
    result = run("profile", "CUST-0001", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["customer_id"] == "CUST-0001" and data["tags"]
    for item in data["tags"]:
        assert {"label", "value", "confidence", "observed_at", "stale", "evidence"} <= item.keys()
        assert item["evidence"]["quote"]


def test_profile_all_shows_history_and_table_renders(db):
    current = json.loads(run("profile", "CUST-0001", "--db", str(db), "--json").output)["tags"]
    everything = json.loads(run("profile", "CUST-0001", "--db", str(db), "--json", "--all").output)["tags"]
    assert len(everything) >= len(current)
    table = run("profile", "CUST-0001", "--db", str(db))
    assert table.exit_code == 0 and "CUST-0001" in table.output
    nobody = run("profile", "NOBODY", "--db", str(db))
    assert nobody.exit_code == 1 and "no calls of customer 'NOBODY'" in nobody.output


def test_reading_commands_refuse_a_missing_store(tmp_path):
    missing = tmp_path / "typo.db"
    for args in (
        ["profile", "CUST-0001"],
        ["show", "X"],
        ["export"],
        ["report", "objections", "--out", "r.html"],
    ):
        result = run(*args, "--db", str(missing))
        assert result.exit_code == 1 and "no profile store at" in result.output, args
    assert not missing.exists()


def test_errors_keep_square_brackets_and_export_to_a_bad_folder_is_one_line(db, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the postgres extra were not installed
    result = run("profile", "X", "--db", "postgresql://u@h/db")
    assert result.exit_code == 1 and "convmine[postgres]" in result.output
    bad = run("export", "--db", str(db), "--out", str(tmp_path / "no" / "such" / "x.csv"))
    assert (
        bad.exit_code == 1 and bad.output.startswith("Error: cannot write") and "Traceback" not in bad.output
    )


def test_csv_export_to_a_file_has_a_bom_for_excel(db, tmp_path):
    out = tmp_path / "tags.csv"
    assert run("export", "--format", "csv", "--db", str(db), "--out", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfcall_id,")


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output.startswith("convmine ")


def test_show_prints_the_transcript_with_tags_inline(db):
    call_id = sqlite3.connect(db).execute("SELECT call_id FROM tags LIMIT 1").fetchone()[0]
    result = run("show", call_id, "--db", str(db))
    assert result.exit_code == 0 and "customer" in result.output and "↳" in result.output
    narrower = (
        sqlite3.connect(db)
        .execute(
            "SELECT t.quote FROM tags t JOIN utterances u ON u.call_id = t.call_id AND u.idx = t.utterance_index "
            "WHERE t.call_id = ? AND length(t.quote) < length(u.text)",
            (call_id,),
        )
        .fetchall()
    )
    assert narrower and all(f"「{quote}」" in result.output for (quote,) in narrower)  # the evidence, quoted
    missing = run("show", "NO-SUCH-CALL", "--db", str(db))
    assert missing.exit_code == 1 and "no call 'NO-SUCH-CALL'" in missing.output


def test_export_jsonl_and_csv_agree_with_the_store(db):
    n = sqlite3.connect(db).execute("SELECT count(*) FROM tags").fetchone()[0]
    lines = run("export", "--db", str(db)).output.splitlines()
    assert len(lines) == n and json.loads(lines[0])["label"]
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv", "--db", str(db)).output)))
    assert len(rows) == n and rows[0]["call_id"]


def test_export_to_a_file_for_one_customer(db, tmp_path):
    out = tmp_path / "c1.csv"
    result = run(
        "export", "--format", "csv", "--customer-id", "CUST-0001", "--out", str(out), "--db", str(db)
    )
    assert result.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and {r["customer_id"] for r in rows} == {"CUST-0001"}


def test_bad_inputs_are_reported_and_the_batch_goes_on(tmp_path):
    result = run("tag", str(EXAMPLES), str(BAD_INPUTS), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 1
    assert "failed and were set aside" in result.output and "calls tagged" in result.output
    stored = sqlite3.connect(tmp_path / "x.db").execute("SELECT count(*) FROM calls").fetchone()[0]
    assert stored >= 14


def test_a_plain_text_call_takes_the_customer_id_option(tmp_path):
    path = tmp_path / "call.txt"
    path.write_text("坐席：您好，这边是银行的客户经理\n客户：我已经有理财经理了，不需要\n", encoding="utf-8")
    db = tmp_path / "t.db"
    assert run("tag", str(path), "--db", str(db)).exit_code == 1  # no customer ID anywhere
    result = run("tag", str(path), "--db", str(db), "--customer-id", "C9")
    assert result.exit_code == 0, result.output
    labels = [t["label"] for t in json.loads(run("profile", "C9", "--db", str(db), "--json").output)["tags"]]
    assert "objection.refusal.has_advisor" in labels


def test_evaluate_json(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(
        '{"text": "我已经有理财经理了", "labels": ["objection.refusal.has_advisor"]}\n{"text": "嗯嗯好的", "labels": []}\n',
        encoding="utf-8",
    )
    result = run("evaluate", str(data), "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert {"micro_f1", "macro_f1", "per_label", "false_tag_rate"} <= scores.keys()
    table = run("evaluate", str(data))
    assert table.exit_code == 0 and "micro" in table.output
    against = json.loads(
        run("evaluate", str(data), "--model", "rules", "--against", "rules", "--json").output
    )
    assert against["against"]["delta"] == 0.0 and against["against"]["clear"] is False
    assert against["against"]["items"] == 2 and against["against"]["tagger"].startswith("rules")
    line = run("evaluate", str(data), "--model", "rules", "--against", "rules").output
    assert "rules vs rules: micro-F1 1.000 vs 1.000" in line and "no clear difference" in line


def test_evaluate_writes_the_items_it_got_wrong_masked(tmp_path):
    data = tmp_path / "d.jsonl"
    rows = [
        {"id": "ok", "text": "我已经有理财经理了", "labels": ["objection.refusal.has_advisor"]},
        {"id": "extra", "text": "我电话13812345678，有二十万闲着", "labels": []},
        {"text": "我只买保本的", "labels": ["basic.funds.idle"]},
    ]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = run("evaluate", str(data), "--model", "rules", "--errors", str(tmp_path / "wrong.jsonl"))
    assert result.exit_code == 0 and "Wrote the 2 of 3 items" in result.output
    wrong = [json.loads(line) for line in (tmp_path / "wrong.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [w["item"] for w in wrong] == ["extra", "row 3"]
    assert wrong[0]["extra"] == ["basic.funds.idle"] and wrong[0]["missed"] == []
    assert "13812345678" not in wrong[0]["text"] and "138****5678" in wrong[0]["text"]
    assert wrong[1]["missed"] == ["basic.funds.idle"] and "preference.risk.guaranteed" in wrong[1]["extra"]


def test_taxonomy_show_json_and_validate(tmp_path):
    labels = json.loads(run("taxonomy", "show", "--json").output)
    assert len(labels) == 100
    assert {"id", "name", "category", "dimension", "cardinality", "ttl"} <= labels[0].keys()
    assert "basic.funds.idle" in run("taxonomy", "show").output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nversion: '1'\nextends: default\ndimensions: [{id: basic.funds, cardinality: single}]\n"
    )
    result = run("taxonomy", "validate", str(bad))
    assert result.exit_code == 1 and "cardinality" in result.output
    from convmine.taxonomy import default_taxonomy_path

    assert "100 labels" in run("taxonomy", "validate", str(default_taxonomy_path())).output


def test_library_errors_become_one_line_and_exit_1(tmp_path):
    result = run("evaluate", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 1 and result.output.startswith("Error:")
    assert "Traceback" not in result.output


def _commands(group, prefix=()):
    import typer.main

    click_group = typer.main.get_command(group)
    for name, command in click_group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            for sub, subcommand in command.commands.items():
                yield (*prefix, name, sub), subcommand


def test_every_command_has_help_text():
    commands = list(_commands(app))
    assert len(commands) >= 8
    for path, command in commands:
        assert command.help or command.short_help, path
        result = run(*path, "--help")
        assert result.exit_code == 0 and "Usage" in result.output, path


def test_mask_full_masks_every_digit_of_personal_numbers(tmp_path):
    db = tmp_path / "full.db"
    result = run("tag", str(EXAMPLES / "json"), "--db", str(db), "--mask", "full")
    assert result.exit_code == 0, result.output
    said = (
        "SELECT text FROM utterances UNION ALL SELECT quote FROM tags "
        "UNION ALL SELECT call_id || ' ' || customer_id || ' ' || agent_id FROM calls"
    )
    # what was said and the calls' IDs, not the timestamps, whose digits can hold "6217" by chance
    texts = "\n".join(text for (text,) in sqlite3.connect(db).execute(said))
    assert "**** **** **** **** ***" in texts and "6217" not in texts


def _txt_call(path: Path, customer: str, started_at: str = "2026-11-01T09:30:00") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# customer_id: {customer}\n# started_at: {started_at}\n坐席：您好\n客户：我有理财经理了，不需要\n",
        encoding="utf-8",
    )
    return path


def test_a_call_id_taken_by_another_file_is_not_overwritten_without_replace(tmp_path):
    db = tmp_path / "d.db"
    first = _txt_call(tmp_path / "2026-11-01" / "0001.txt", "D1")
    second = _txt_call(tmp_path / "2026-11-02" / "0001.txt", "D2")
    assert run("tag", str(first), "--db", str(db)).exit_code == 0
    assert run("tag", str(first), "--db", str(db)).exit_code == 0  # the same file again: replaced, fine
    clash = run("tag", str(second), "--db", str(db))
    assert clash.exit_code == 1 and "already stored for customer 'D1'" in clash.output
    assert json.loads(run("profile", "D1", "--db", str(db), "--json").output)["tags"]
    assert run("tag", str(second), "--db", str(db), "--replace").exit_code == 0
    assert run("profile", "D2", "--db", str(db), "--json").exit_code == 0


def test_start_times_without_an_offset_are_china_time_unless_told(tmp_path):
    call = _txt_call(tmp_path / "c.txt", "T1")
    stored = {}
    for offset in ("+08:00", "Z"):
        db = tmp_path / f"{offset[0]}.db"
        assert run("tag", str(call), "--db", str(db), "--utc-offset", offset).exit_code == 0
        stored[offset] = sqlite3.connect(db).execute("SELECT started_at FROM calls").fetchone()[0]
    assert stored["+08:00"].startswith("2026-11-01T01:30:00") and stored["Z"].startswith(
        "2026-11-01T09:30:00"
    )


def test_an_id_that_is_a_personal_number_fails_without_being_printed(tmp_path):
    call = _txt_call(tmp_path / "13912345678.txt", "C1")
    result = run("tag", str(call), "--db", str(tmp_path / "p.db"))
    assert result.exit_code == 1 and "call_id holds a mobile number" in result.output
    assert "13912345678" not in result.output and "139****5678" in result.output


def test_a_bank_taxonomy_tags_with_the_rules_and_says_so(tmp_path):
    bank, call = _bank_taxonomy_and_call(tmp_path)
    db = tmp_path / "b.db"
    result = run("tag", str(call), "--db", str(db), "--taxonomy", str(bank))
    assert result.exit_code == 0 and "Note: tagging with the rules alone" in result.output
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("tokenizers"):
        from convmine.taxonomy import load_taxonomy

        # the real reason, not the onnx extra: the shipped model was trained for another taxonomy
        reason = f"(hash {load_taxonomy().hash}), not for 'bank'"
        assert reason in result.output and "onnx extra" not in result.output
    profile = run("profile", "P1", "--db", str(db), "--taxonomy", str(bank), "--json")
    assert "preference.product.pension" in [t["label"] for t in json.loads(profile.output)["tags"]]
    data = tmp_path / "labelled.jsonl"
    data.write_text(
        '{"text": "我就想买点养老金产品", "labels": ["preference.product.pension"]}\n', encoding="utf-8"
    )
    evaluate = run("evaluate", str(data), "--taxonomy", str(bank), "--json")
    assert evaluate.exit_code == 0 and "Note: tagging with the rules alone" in evaluate.stderr
    assert json.loads(evaluate.stdout)["micro_f1"] == 1.0
    assert "--combine" not in evaluate.stderr
    union = run("evaluate", str(data), "--taxonomy", str(bank), "--combine", "union", "--json")
    assert union.exit_code == 0 and "; --combine union has no model to combine." in union.stderr


def _bank_taxonomy_and_call(tmp_path: Path) -> tuple[Path, Path]:
    bank = write_bank_taxonomy(tmp_path / "bank.yaml")
    call = tmp_path / "c.txt"
    call.write_text("# customer_id: P1\n坐席：您好\n客户：我就想买点养老金产品\n", encoding="utf-8")
    return bank, call


def test_reading_commands_use_the_taxonomy_the_store_was_tagged_with(tmp_path):
    bank, call = _bank_taxonomy_and_call(tmp_path)
    db = str(tmp_path / "b.db")
    assert run("tag", str(call), "--db", db, "--taxonomy", str(bank)).exit_code == 0
    profile = run("profile", "P1", "--db", db, "--json")
    assert profile.exit_code == 0, profile.output
    assert [t["name"] for t in json.loads(profile.output)["tags"]] == ["养老金产品"]
    assert "养老金产品" in run("show", "c", "--db", db).output
    assert "养老金产品" in run("review", "export", "--db", db).output
    report = run("report", "profiles", "--db", db, "--out", str(tmp_path / "p.html"))
    assert report.exit_code == 0, report.output

    from convmine.taxonomy import default_taxonomy_path

    wrong = run("profile", "P1", "--db", db, "--taxonomy", str(default_taxonomy_path()))
    assert wrong.exit_code == 1
    assert "does not know ('preference.product.pension'); it was tagged with taxonomy 'bank'" in wrong.output
    assert "leave out --taxonomy to use the copy the store keeps, or pass --taxonomy FILE" in wrong.output

    other = tmp_path / "d.txt"
    other.write_text("# customer_id: P2\n坐席：您好\n客户：我不需要\n", encoding="utf-8")
    again = run("tag", str(other), "--db", db)
    assert again.exit_code == 0 and "last tagged with taxonomy 'bank'" in again.output
    assert run("profile", "P1", "--db", db).exit_code == 0


def test_a_store_without_a_taxonomy_copy_says_which_taxonomy_to_pass(tmp_path):
    bank, call = _bank_taxonomy_and_call(tmp_path)
    db = tmp_path / "b.db"
    assert run("tag", str(call), "--db", str(db), "--taxonomy", str(bank)).exit_code == 0
    with sqlite3.connect(db) as conn:  # as a store tagged before stores kept taxonomy copies
        conn.execute("DELETE FROM taxonomies")
    for command in (["profile", "P1"], ["report", "profiles", "--out", str(tmp_path / "p.html")]):
        result = run(*command, "--db", str(db))
        assert result.exit_code == 1
        assert "tagged with taxonomy version 'convmine-bank-wealth@1.0.0+bank@1'" in result.output
        assert "pass --taxonomy FILE" in result.output
    assert run("profile", "P1", "--db", str(db), "--taxonomy", str(bank)).exit_code == 0


def test_tag_progress_counts_files_with_a_total_and_calls(tmp_path, monkeypatch):
    from rich.console import Console

    import convmine.cli.main as cli

    for n in range(3):
        _txt_call(tmp_path / "in" / f"{n}.txt", f"F{n}")
    screen = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=screen, force_terminal=True, color_system=None, width=160))
    result = run("tag", str(tmp_path / "in"), "--db", str(tmp_path / "p.db"), "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert "3/3 files · 3 calls" in screen.getvalue()


def test_a_file_the_system_calls_unreadable_does_not_stop_the_batch_before_it_starts(tmp_path, monkeypatch):
    """click's readable check would refuse the whole command line; reading fails that file alone."""
    import os

    one = EXAMPLES / "json" / "CALL-2026-0305-0001.json"
    access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: str(path) != str(one) and access(path, mode, **kw)
    )
    result = run("tag", str(one), str(EXAMPLES / "txt"), "--db", str(tmp_path / "u.db"), "--model", "rules")
    assert result.exit_code == 0, result.output
    assert "Invalid value" not in result.output


def test_an_error_quoting_a_personal_number_typed_as_an_id_masks_it(db):
    result = run("profile", "13812345678", "--db", str(db))
    assert result.exit_code == 1
    assert "13812345678" not in result.output and "138****5678" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["report", "objections", "-o", "r.html"],
            "--since (2026-06-12T15:40+08:00) must come before --until",
        ),
        (["review", "export"], "--since (2026-06-12T15:40+08:00) must come before --until (2026-06-12T10:00"),
        (["export-training"], "--since (2026-06-12T15:40+08:00) must come before --until"),
    ],
)
def test_a_date_range_that_ends_before_it_starts_is_refused_with_its_times(db, tmp_path, args, message):
    args = [a if a != "r.html" else str(tmp_path / "r.html") for a in args]
    result = run(*args, "--db", str(db), "--since", "2026-06-12T15:40", "--until", "2026-06-12T10:00")
    assert result.exit_code == 1 and message in " ".join(result.output.split())


def test_the_profiles_report_names_as_of_when_since_comes_after_it(db, tmp_path):
    out = str(tmp_path / "p.html")
    result = run(
        "report", "profiles", "-o", out, "--db", str(db), "--as-of", "2026-04-01", "--since", "2026-06-01"
    )
    assert (
        result.exit_code == 1 and "--since (2026-06-01T00:00+08:00) must come before --as-of" in result.output
    )


def test_evaluate_refuses_to_write_its_errors_over_the_data(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "我有闲钱", "labels": ["basic.funds.idle"]}\n', encoding="utf-8")
    result = run("evaluate", str(data), "--model", "rules", "--errors", str(data))
    assert result.exit_code == 1 and "is the labelled data itself" in " ".join(result.output.split())
    assert "basic.funds.idle" in data.read_text(encoding="utf-8")
    folder = run("evaluate", str(data), "--model", "rules", "--errors", str(tmp_path))
    assert folder.exit_code == 1 and "is a folder" in folder.output


def test_files_in_a_folder_that_no_reader_takes_get_a_note(tmp_path):
    folder = tmp_path / "night"
    folder.mkdir()
    (folder / "call.json").write_bytes((EXAMPLES / "json" / "CALL-2026-0305-0001.json").read_bytes())
    for name in (
        "export.xlsx",
        "old.xlsx",
        "call.json.bak",
        ".DS_Store",
        "README.md",
        "call.meta.yaml",
        "~$x.xlsx",
    ):
        (folder / name).write_text("x")
    result = run("tag", str(folder), "--db", str(tmp_path / "n.db"), "--model", "rules")
    assert result.exit_code == 0, result.output
    assert (
        "passed over 3 file(s) in the folders that are not transcripts or recordings (.xlsx ×2, .bak ×1)"
        in (" ".join(result.output.split()))
    )


@pytest.mark.parametrize(
    "args",
    [
        ["tag", str(EXAMPLES / "json"), "--db", "{db}"],
        ["evaluate", str(EXAMPLES.parent / "taxonomy" / "corpus" / "dev.jsonl"), "--model", "rules"],
        ["report", "objections", "-o", "{out}", "--db", "{db}"],
    ],
)
def test_a_core_install_runs_the_everyday_commands(tmp_path, args):
    """Without the extras (no numpy, onnxruntime, tokenizers or torch) convmine tags with its rules."""
    import subprocess
    import sys

    db = tmp_path / "core.db"
    if args[0] != "tag":
        assert run("tag", str(EXAMPLES / "json"), "--db", str(db), "--model", "rules").exit_code == 0
    argv = [a.format(db=db, out=tmp_path / "r.html") for a in args]
    script = (
        "import sys\n"
        "for name in ('numpy', 'onnxruntime', 'tokenizers', 'torch'): sys.modules[name] = None\n"
        "from convmine.cli.main import app\n"
        f"sys.argv = ['convmine', *{argv!r}]\n"
        "app()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_mistyped_label_filter_writes_no_review_file(db, tmp_path):
    out = tmp_path / "typo.csv"
    result = run("review", "export", "--db", str(db), "--labels", "objections", "-o", str(out))
    assert result.exit_code == 1 and "did you mean 'objection'" in " ".join(result.output.split())
    assert not out.exists()


def test_a_saved_model_named_like_a_built_in_tagger_gets_a_note(tmp_path, monkeypatch):
    """`--model rules` in a folder holding ./rules/ (a saved model) runs the rules, and says how to get it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "config.json").write_text("{}")
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "我有闲钱", "labels": ["basic.funds.idle"]}\n', encoding="utf-8")
    result = run("evaluate", str(data), "--model", "rules")
    assert result.exit_code == 0
    assert "--model rules is the built-in tagger; for the saved model in ./rules, pass --model ./rules" in (
        " ".join(result.output.split())
    )


def test_the_quick_start_on_a_postgresql_store_reads_as_on_sqlite(db, postgres_url):
    """`--db postgresql://…`: tag, re-tag, profile, show, export and the reading commands' refusal."""
    assert run("profile", "CUST-0001", "--db", postgres_url).exit_code == 1  # no store there yet
    for _ in range(2):  # tagging again changes nothing
        result = run("tag", str(EXAMPLES), "--db", postgres_url)
        assert result.exit_code == 0 and "calls tagged" in result.output, result.output
    for args in (
        ["profile", "CUST-0001", "--json", "--all"],
        ["show", "CALL-2026-0612-0014"],
        ["export", "--format", "csv"],
        ["export"],
    ):
        on_sqlite = run(*args, "--db", str(db))
        on_postgresql = run(*args, "--db", postgres_url)
        assert on_sqlite.exit_code == on_postgresql.exit_code == 0, on_postgresql.output
        assert _undated(on_postgresql.output) == _undated(on_sqlite.output), args


def test_a_password_in_the_store_url_is_never_printed(postgres_url):
    with_password = postgres_url.replace("postgresql://postgres:@", "postgresql://postgres:s3cret@")
    assert "s3cret" in with_password  # the test server trusts local users, so any password connects
    assert run("tag", str(EXAMPLES / "json"), "--db", with_password).exit_code == 0
    for args in (["profile", "NOBODY"], ["show", "NO-SUCH-CALL"]):
        result = run(*args, "--db", with_password)
        assert "s3cret" not in result.output and "postgresql://postgres@" in result.output, result.output


def test_taggers_run_at_once_into_one_postgresql_store_store_each_call_once(postgres_url, tmp_path):
    """The README's recipe: one `convmine tag` per folder, in parallel, overlapping folders included."""
    import subprocess

    folders = [EXAMPLES, EXAMPLES / "json", EXAMPLES / "jsonl", EXAMPLES]
    taggers = [
        subprocess.Popen(
            [sys.executable, "-c", "from convmine.cli.main import app; app()", "tag", str(folder),
             "--db", postgres_url, "--model", "rules"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for folder in folders
    ]  # fmt: skip
    for tagger in taggers:
        output, _ = tagger.communicate(timeout=300)
        assert tagger.returncode == 0, output[-2000:]
    once = tmp_path / "once.db"
    assert run("tag", str(EXAMPLES), "--db", str(once), "--model", "rules").exit_code == 0
    for args in (["export", "--format", "csv"], ["profile", "CUST-0001", "--json", "--all"]):
        assert _undated(run(*args, "--db", postgres_url).output) == _undated(
            run(*args, "--db", str(once)).output
        )


def _undated(output: str) -> str:
    """The output without the moment it was made at (a profile's generated_at)."""
    return re.sub(r'"generated_at": "[^"]+"', "", output)


def test_calls_no_store_can_keep_fail_alone_and_the_rest_are_stored(store_url, tmp_path):
    """An ID holding NUL or 3,000 characters fails its call; a lone surrogate in a turn becomes U+FFFD."""

    def call(call_id: str, customer: str, agent: str = "A1", text: str = "我手头有点闲钱") -> str:
        turns = [{"speaker": "agent", "text": "您好"}, {"speaker": "customer", "text": text}]
        return json.dumps(
            {"call_id": call_id, "customer_id": customer, "agent_id": agent, "utterances": turns}
        )

    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        "\n".join([
            call("OK-1", "C1"),
            call("NUL-AGENT", "C1", agent="A\u0000B"),
            call("LONG-ID", "C" * 3000),
            call("SURROGATE", "C2", text="我有\ud800闲钱"),
            call("OK-2", "C2"),
        ]),
        encoding="utf-8",
        errors="surrogatepass",
    )  # fmt: skip
    result = run("tag", str(folder), "--db", store_url, "--model", "rules")
    assert result.exit_code == 1, result.output
    failures = " ".join(result.output.split())
    assert "agent_id holds a control character" in failures and "3000 characters long" in failures
    exported = run("export", "--format", "csv", "--db", store_url).output
    assert {row["call_id"] for row in csv.DictReader(io.StringIO(exported))} == {"OK-1", "OK-2", "SURROGATE"}
    assert "我有\ufffd闲钱" in run("show", "SURROGATE", "--db", store_url).output
