"""What the commands print and write: user data shown as written (no Rich markup), personal numbers masked."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from typer.testing import CliRunner

import convmine.audio
from convmine.cli.main import app
from convmine.schema import Call, Failure, Utterance

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def _tagged_store(tmp_path: Path, customer: str) -> Path:
    call = tmp_path / "b.txt"
    call.write_text(f"# customer_id: {customer}\n坐席：您好\n客户：我只买保本的\n", encoding="utf-8")
    db = tmp_path / "br.db"
    result = run("tag", str(call), "--db", str(db), "--model", "rules")
    assert result.exit_code == 0, result.output
    return db


def test_square_brackets_in_ids_and_paths_are_printed_as_written(tmp_path):
    db = _tagged_store(tmp_path, "C[red]X")
    profile = run("profile", "C[red]X", "--db", str(db))
    assert profile.exit_code == 0 and "Customer profile C[red]X" in profile.output
    folder = tmp_path / "[bold]"
    folder.mkdir()
    export = run("export", "--db", str(db), "--out", str(folder / "e.csv"))
    assert export.exit_code == 0 and f"to {folder / 'e.csv'}." in export.output
    missing = run("profile", "D[red]Y", "--db", str(db))
    assert missing.exit_code == 1 and "no calls of customer 'D[red]Y'" in missing.output


def test_a_missing_extra_keeps_its_install_hint(tmp_path, monkeypatch):
    recording = tmp_path / "rec[asr].wav"
    recording.write_bytes(b"RIFF")
    monkeypatch.setitem(sys.modules, "av", None)  # the asr extra is not installed
    result = run("transcribe", str(recording), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "pip install 'convmine[asr]'" in result.output


def _fake_recognition(monkeypatch, results: list[Call | Failure]) -> None:
    """``transcribe_paths`` yields these calls and failures instead of recognising speech."""

    def transcribe_paths(paths, **options) -> Iterator[Call | Failure]:  # type: ignore[no-untyped-def]
        yield from results

    monkeypatch.setattr(convmine.audio, "transcribe_paths", transcribe_paths)


def _recorded(source: str, call_id: str, text: str) -> Call:
    return Call(
        call_id=call_id,
        customer_id="C-1",
        source=source,
        utterances=[
            Utterance(index=0, speaker="agent", text="您好"),
            Utterance(index=1, speaker="customer", text=text),
        ],
    )


def test_transcribe_masks_what_it_writes_and_prints(tmp_path, monkeypatch):
    _fake_recognition(
        monkeypatch,
        [
            _recorded(
                "rec/13912345678-20261122.wav", "CALL-1", "我的卡号是6222020200112340128，手机13812345678"
            ),
            _recorded("other/13912345678-20261122.wav", "CALL-2", "嗯"),  # the same masked name
            _recorded("rec/13712345678.wav", "13712345678", "嗯"),  # ID from the file name: a phone number
            Failure("rec[asr]/13612345678.wav", "zero-byte file", stage="transcribe"),
        ],
    )
    out = tmp_path / "out"
    result = run("transcribe", "x.wav", "--out", str(out))
    assert result.exit_code == 1
    for number in ("13912345678", "13812345678", "13712345678", "13612345678", "6222020200112340128"):
        assert number not in result.output
    assert sorted(path.name for path in out.iterdir()) == [
        "139****5678-20261122-1.json",
        "139****5678-20261122.json",
    ]
    written = json.loads((out / "139****5678-20261122.json").read_text(encoding="utf-8"))
    assert written["call_id"] == "CALL-1" and written["source"] == "rec/139****5678-20261122.wav"
    assert written["utterances"][1]["text"] == "我的卡号是622202*********0128，手机138****5678"
    assert "failed rec/137****5678.wav: call_id holds a mobile number" in result.output
    assert "--manifest row" in result.output
    assert "failed rec[asr]/136****5678.wav: zero-byte file" in result.output
    assert "2 transcribed, 2 failed" in result.output


def test_transcribe_mask_full_masks_every_digit(tmp_path, monkeypatch):
    _fake_recognition(monkeypatch, [_recorded("rec/13912345678.wav", "CALL-1", "手机13812345678")])
    out = tmp_path / "out"
    assert run("transcribe", "x.wav", "--out", str(out), "--mask", "full").exit_code == 0
    (written,) = out.iterdir()
    assert written.name == "***********.json"
    assert json.loads(written.read_text(encoding="utf-8"))["utterances"][1]["text"] == "手机***********"
