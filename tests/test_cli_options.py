"""What an operator meets around the commands: help text, Ctrl-C during ``tag``, the times exports
write, ``train`` without its extra."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convmine.cli.main import app
from convmine.tagging.rules import RuleTagger

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def _calls(folder: Path, n: int, started: str = "2026-05-01T09:30:00") -> Path:
    """``n`` one-call transcripts in ``folder``, each with a customer turn, started at ``started`` (local)."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        (folder / f"{k}.txt").write_text(
            f"# customer_id: C{k}\n# started_at: {started}\n坐席：您好\n客户：我只买保本的\n",
            encoding="utf-8",
        )
    return folder


@pytest.mark.parametrize("command", [["tag"], ["export"], ["review", "export"], ["train"], []])
def test_help_shows_no_value_placeholder_after_flags(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_options_that_take_a_value_still_show_its_type():
    help_text = run("tag", "--help").output
    assert "--replace" in help_text and "<str>" in help_text and "<path>" in help_text


def test_ctrl_c_during_tag_says_how_far_it_got_and_exits_130(tmp_path, monkeypatch):
    inputs, db = _calls(tmp_path / "in", 3), tmp_path / "t.db"
    predict = RuleTagger.predict
    batches: list[int] = []

    def interrupted_at_the_third_batch(self, turns):  # type: ignore[no-untyped-def]
        batches.append(len(turns))
        if len(batches) == 3:
            raise KeyboardInterrupt
        return predict(self, turns)

    monkeypatch.setattr(RuleTagger, "predict", interrupted_at_the_third_batch)
    result = run("tag", str(inputs), "--db", str(db), "--model", "rules", "--batch-size", "1")
    assert result.exit_code == 130
    assert (
        "Interrupted after 1 of 3 files; the store is consistent: run the same command again to finish."
        in " ".join(result.output.split())
    )
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone() == (2,)
    monkeypatch.setattr(RuleTagger, "predict", predict)
    assert run("tag", str(inputs), "--db", str(db), "--model", "rules").exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone() == (3,)


@pytest.fixture
def tagged(tmp_path) -> Path:
    db = tmp_path / "t.db"
    result = run("tag", str(_calls(tmp_path / "in", 1)), "--db", str(db), "--model", "rules")
    assert result.exit_code == 0, result.output
    return db


def test_exports_write_times_with_the_local_offset_the_reports_use(tagged, tmp_path):
    jsonl = [json.loads(line) for line in run("export", "--db", str(tagged)).output.splitlines()]
    assert {row["observed_at"] for row in jsonl} == {"2026-05-01T09:30:00+08:00"}
    out = tmp_path / "e.csv"
    result = run("export", "--db", str(tagged), "-f", "csv", "-o", str(out), "--utc-offset", "-05:00")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert {row["observed_at"] for row in rows} == {"2026-04-30T20:30:00-05:00"}


def test_review_files_write_local_times_and_read_back(tagged, tmp_path):
    out = tmp_path / "review.csv"
    result = run("review", "export", "--db", str(tagged), "-o", str(out), "--customer-id", "C0")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows and {row["observed_at"] for row in rows} == {"2026-05-01T09:30:00+08:00"}
    for row in rows:
        row["verdict"] = "confirm"
    with out.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run("review", "import", str(out), "--db", str(tagged), "--reviewer", "王审核")
    assert result.exit_code == 0 and f"stored {len(rows)} new verdicts" in result.output, result.output


def test_review_export_filters_by_customer_id_and_still_takes_the_old_name(tagged):
    assert run("review", "export", "--db", str(tagged), "--customer-id", "nobody").output.count("\n") == 1
    old = run("review", "export", "--db", str(tagged), "--customer", "C0")
    assert old.exit_code == 0 and "2026-05-01T09:30:00+08:00" in old.output
    assert "--customer is now called --customer-id" in old.output
    assert "--customer " not in run("review", "export", "--help").output  # hidden


def test_train_without_its_extra_draws_no_progress_bar(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # the train extra is not installed
    result = run("train", "--data", str(tmp_path), "--out", str(tmp_path / "m"))
    assert result.exit_code == 1
    assert "pip install 'convmine[train]'" in result.output
    assert "epoch" not in result.output


def test_profile_shows_local_dates_and_times(tmp_path):
    db = tmp_path / "early.db"
    early = _calls(tmp_path / "early", 1, started="2026-05-01T03:00:00")  # 2026-04-30 19:00 UTC
    assert run("tag", str(early), "--db", str(db), "--model", "rules").exit_code == 0
    table = run("profile", "C0", "--db", str(db)).output
    assert "2026-05-01" in table and "2026-04-30" not in table
    assert "2026-04-30" in run("profile", "C0", "--db", str(db), "--utc-offset", "+00:00").output
    data = json.loads(run("profile", "C0", "--db", str(db), "--json").output)
    assert {tag["observed_at"] for tag in data["tags"]} == {"2026-05-01T03:00:00+08:00"}
    assert data["generated_at"].endswith("+08:00")
