"""Batch manifests: encodings, where relative paths are looked for, and the manifest among the recordings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from convmine.audio import AudioSettings, load_manifest, transcribe_paths
from convmine.errors import InputError
from convmine.schema import Call, Failure, Utterance

HEADER = "path,call_id,customer_id,agent_id,started_at,agent_channel\n"


class FakeTranscriber:
    """Transcribes every recording as one customer turn, with what the manifest says about it."""

    def transcribe(self, path: Path, *, call_id: str | None = None, customer_id: str | None = None,
                   **known: Any) -> Call:  # fmt: skip
        return Call(
            call_id=call_id or path.stem,
            customer_id=customer_id,
            utterances=[Utterance(index=0, speaker="customer", text="我只买保本的")],
            source=str(path),
        )


@pytest.fixture
def fake_asr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AudioSettings, "transcriber", lambda self: FakeTranscriber())


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_a_manifest_saved_by_excel_in_any_encoding_is_read(tmp_path: Path, encoding: str) -> None:
    manifest = tmp_path / "calls.csv"
    manifest.write_bytes(f"{HEADER}录音一.wav,MC-1,客户甲,AG-9,2026-11-21T20:00,1\n".encode(encoding))
    row = load_manifest(manifest).get(tmp_path / "录音一.wav")
    assert row is not None
    assert (row.call_id, row.customer_id, row.agent_channel, row.line) == ("MC-1", "客户甲", 1, 2)


def test_an_unreadable_manifest_says_so(tmp_path: Path) -> None:
    manifest = tmp_path / "calls.csv"
    manifest.write_bytes(HEADER.encode() + b"\xff\xfe\xff.wav\n")
    with pytest.raises(
        InputError, match=r"cannot read the manifest: the file is neither UTF-8 nor GB18030"
    ) as error:
        load_manifest(manifest)
    assert (error.value.source, error.value.line) == (str(manifest), 2)


def test_rows_know_their_line_even_after_blank_lines(tmp_path: Path) -> None:
    manifest = tmp_path / "calls.csv"
    manifest.write_text(f"{HEADER}\na.wav,A\n\n\nb.wav,B\n", encoding="utf-8")
    assert [row.line for row in load_manifest(manifest).rows.values()] == [3, 6]


def test_a_missing_recording_names_the_manifest_its_line_and_the_folder(tmp_path: Path) -> None:
    recordings = tmp_path / "录音 夜间"
    recordings.mkdir()
    (recordings / "call2.wav").write_bytes(b"RIFF")
    manifest = tmp_path / "man.csv"  # outside the recordings' folder: call2.wav is looked for beside it
    manifest.write_text(f"{HEADER}call2.wav,MC-1,CUST-M1,AG-9,2026-11-21T20:00,1\n", encoding="utf-8")
    (failure,) = load_manifest(manifest).failures()
    assert (failure.source, failure.line) == (str(manifest), 2)
    assert failure.reason.startswith(f"no recording 'call2.wav' in {tmp_path.resolve()}: a relative path")
    assert "read from the manifest's folder" in failure.reason


def test_transcribe_reports_a_missing_recording_once_with_its_manifest_row(
    tmp_path: Path, fake_asr: None
) -> None:
    manifest = tmp_path / "man.csv"
    manifest.write_text(f"{HEADER}call2.wav,MC-1,CUST-M1,,,\n", encoding="utf-8")
    (failure,) = transcribe_paths(manifest=manifest)
    assert isinstance(failure, Failure)
    assert (failure.source, failure.line) == (str(manifest), 2)
    assert str(tmp_path.resolve()) in failure.reason


def test_a_manifest_among_the_recordings_is_no_input(tmp_path: Path, fake_asr: None) -> None:
    recordings = tmp_path / "录音 夜间"
    recordings.mkdir()
    (recordings / "call2.wav").write_bytes(b"RIFF")
    manifest = recordings / "m.csv"
    manifest.write_text(f"{HEADER}call2.wav,MC-1,CUST-M1,AG-9,2026-11-21T20:00,1\n", encoding="gbk")
    results = list(transcribe_paths([recordings], manifest=manifest))
    assert [(type(r).__name__, r.call_id, r.customer_id) for r in results] == [("Call", "MC-1", "CUST-M1")]


class CountingTranscriber(FakeTranscriber):
    """A fake that remembers which recordings it was asked to transcribe."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    def transcribe(self, path: Path, **known: Any) -> Call:  # type: ignore[override]
        self.heard.append(path.name)
        return super().transcribe(path, **known)


@pytest.fixture
def counting_asr(monkeypatch: pytest.MonkeyPatch) -> CountingTranscriber:
    fake = CountingTranscriber()
    monkeypatch.setattr(AudioSettings, "transcriber", lambda self: fake)
    return fake


def tag(*args: str) -> Any:
    from typer.testing import CliRunner

    from convmine.cli.main import app

    return CliRunner().invoke(app, ["tag", *args, "--model", "rules"])


def test_tag_names_the_manifest_row_of_a_missing_recording(tmp_path: Path, fake_asr: None) -> None:
    recordings = tmp_path / "录音 夜间"
    recordings.mkdir()
    (recordings / "call1.wav").write_bytes(b"RIFF")
    manifest = tmp_path / "man.csv"  # outside the recordings' folder: paths are read from its folder
    manifest.write_text(f"{HEADER}录音 夜间/call1.wav,MC-1,CUST-M1,,,\ncall2.wav,MC-2,CUST-M1,,,\n", "utf-8")
    result = tag("--manifest", str(manifest), "--db", str(tmp_path / "m.db"))
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert f"{manifest}:3: [read] no recording 'call2.wav' in {tmp_path.resolve()}: a relative path" in output
    assert "no such file" not in output
    assert re.search(r"calls tagged \W+ 1 ", output)  # the recording that is there is tagged all the same


def test_a_recording_named_after_a_phone_number_is_refused_before_transcribing(
    tmp_path: Path, counting_asr: CountingTranscriber
) -> None:
    for name in ("13912345678.wav", "good.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    results = list(transcribe_paths([tmp_path], customer_id="C-1"))
    assert counting_asr.heard == ["good.wav"]
    refused, call = results
    assert isinstance(refused, Failure) and isinstance(call, Call) and call.call_id == "good"
    assert refused.reason.startswith("call_id holds a mobile number; convmine never stores personal numbers")
    assert refused.reason.endswith("set it in a --manifest row (path, call_id, customer_id, agent_id)")

    counting_asr.heard.clear()
    result = tag(str(tmp_path), "--db", str(tmp_path / "t.db"), "--customer-id", "C-1")
    assert result.exit_code == 1 and counting_asr.heard == ["good.wav"]
    output = " ".join(result.output.split())
    assert "139****5678.wav: [read] call_id holds a mobile number" in output
    assert re.search(r"calls tagged \W+ 1 ", output)
    assert "13912345678" not in output


def test_a_personal_number_as_customer_id_is_refused_before_any_recording_is_transcribed(
    tmp_path: Path, counting_asr: CountingTranscriber
) -> None:
    (tmp_path / "good.wav").write_bytes(b"RIFF")
    result = tag(str(tmp_path), "--db", str(tmp_path / "t.db"), "--customer-id", "13912345678")
    assert result.exit_code == 1 and counting_asr.heard == []
    assert "customer_id holds a mobile number" in result.output and "13912345678" not in result.output


def test_paths_and_manifest_are_one_batch_each_recording_heard_once(
    tmp_path: Path, counting_asr: CountingTranscriber
) -> None:
    tonight, elsewhere = tmp_path / "tonight", tmp_path / "elsewhere"
    for folder, name in ((tonight, "a.wav"), (tonight, "b.wav"), (elsewhere, "c.wav")):
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(b"RIFF")
    manifest = tonight / "m.csv"  # names one recording of the folder and one outside it
    manifest.write_text(f"{HEADER}a.wav,MC-A,CUST-1,,,\n../elsewhere/c.wav,MC-C,CUST-2,,,\n", "utf-8")
    calls = list(transcribe_paths([tonight], manifest=manifest, customer_id="CUST-9"))
    assert sorted((c.call_id, c.customer_id) for c in calls if isinstance(c, Call)) == [
        ("MC-A", "CUST-1"), ("MC-C", "CUST-2"), ("b", "CUST-9")
    ]  # fmt: skip
    assert sorted(counting_asr.heard) == ["a.wav", "b.wav", "c.wav"]

    counting_asr.heard.clear()
    args = [str(tonight), "--manifest", str(manifest), "--customer-id", "CUST-9"]
    result = tag(*args, "--db", str(tmp_path / "t.db"))
    assert result.exit_code == 0, result.output
    assert sorted(counting_asr.heard) == ["a.wav", "b.wav", "c.wav"]
    assert re.search(r"calls tagged \W+ 3 ", " ".join(result.output.split()))


class MonoTranscriber(FakeTranscriber):
    """A fake for mono recordings: an agent_channel from the manifest does not fit them."""

    def transcribe(self, path: Path, *, agent_channel: int | None = None, **known: Any) -> Call:  # type: ignore[override]
        from convmine.audio import BadAudioError

        if agent_channel is not None:
            raise BadAudioError("bad-manifest", "agent_channel is set but the recording is mono", str(path))
        return super().transcribe(path, **known)


def test_a_manifest_mistake_names_its_line_and_quarantines_no_good_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AudioSettings, "transcriber", lambda self: MonoTranscriber())
    (tmp_path / "mono.wav").write_bytes(b"RIFF")
    manifest = tmp_path / "man.csv"
    manifest.write_text(f"{HEADER}mono.wav,MC-1,CUST-M1,,,1\n", encoding="utf-8")
    (failure,) = transcribe_paths([tmp_path / "mono.wav"], manifest=manifest, quarantine=tmp_path / "bad")
    assert isinstance(failure, Failure)
    assert f"agent_channel is set on line 2 of {manifest}" in failure.reason
    assert not (tmp_path / "bad").exists()


def test_an_unknown_backend_is_refused_once_before_the_batch(tmp_path: Path) -> None:
    from convmine.audio.backends import recognizer_names
    from convmine.audio.batch import BUILT_IN_BACKENDS

    assert sorted(BUILT_IN_BACKENDS) == recognizer_names()  # the list checked without importing them
    for name in ("a.wav", "b.wav"):  # once for the batch, not once a recording
        (tmp_path / name).write_bytes(b"RIFF")
    result = tag(str(tmp_path), "--backend", "foo", "--db", str(tmp_path / "t.db"))
    assert result.exit_code == 1
    assert result.output.count("unknown ASR backend 'foo'; choose one of funasr, whisper") == 1


def test_transcribe_refuses_an_out_that_is_a_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from convmine.cli.main import app

    (tmp_path / "a.wav").write_bytes(b"RIFF")
    (tmp_path / "afile").write_text("x")
    result = CliRunner().invoke(
        app, ["transcribe", str(tmp_path / "a.wav"), "--out", str(tmp_path / "afile")]
    )
    assert result.exit_code == 1 and "is a file; name a folder" in " ".join(result.output.split())


def test_bad_manifest_rows_fail_each_on_its_own_line_and_the_batch_goes_on(
    tmp_path: Path, counting_asr: CountingTranscriber
) -> None:
    for name in ("good.wav", "date.wav", "twice.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    manifest = tmp_path / "man.csv"
    manifest.write_text(
        f"{HEADER}good.wav,MC-1,C-1,,,\ndate.wav,MC-2,C-1,,22/11/2026 9:15,\n,MC-3,C-1,,,\n"
        "twice.wav,MC-4,C-1,,,\ntwice.wav,MC-5,C-1,,,right\n",
        encoding="utf-8",
    )
    results = list(transcribe_paths(manifest=manifest))
    assert counting_asr.heard == ["good.wav"]  # nothing is transcribed for a bad row
    calls = [r for r in results if isinstance(r, Call)]
    failures = sorted(str(f) for f in results if isinstance(f, Failure))
    assert [c.call_id for c in calls] == ["MC-1"]
    assert failures[0].startswith(f"{tmp_path / 'date.wav'}: line 3 of {manifest}: started_at")
    assert failures[1].startswith(f"{manifest}:4: the row has no path")
    assert failures[2].startswith(f"{tmp_path / 'twice.wav'}: line 5 of {manifest}: ")
    assert "listed more than once (lines 5 and 6)" in failures[2]


def test_tag_refuses_a_recording_without_a_customer_before_transcribing_it(
    tmp_path: Path, counting_asr: CountingTranscriber
) -> None:
    for name in ("named.wav", "nameless.wav"):
        (tmp_path / name).write_bytes(b"RIFF")
    manifest = tmp_path / "man.csv"
    manifest.write_text(f"{HEADER}named.wav,MC-1,CUST-M1,,,\n", encoding="utf-8")
    result = tag(str(tmp_path), "--manifest", str(manifest), "--db", str(tmp_path / "t.db"))
    assert result.exit_code == 1 and counting_asr.heard == ["named.wav"]
    assert "nameless.wav: [read] the recording has no customer ID" in " ".join(result.output.split())
    with_fallback = tag(
        str(tmp_path), "--manifest", str(manifest), "--customer-id", "C-9", "--db", str(tmp_path / "u.db")
    )
    assert with_fallback.exit_code == 0 and counting_asr.heard[-2:] == ["named.wav", "nameless.wav"]


def test_tag_passes_the_recogniser_options_transcribe_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, dict[str, Any]]] = []

    def transcriber(self: AudioSettings) -> FakeTranscriber:
        seen.append((self.model, self.options))
        return FakeTranscriber()

    monkeypatch.setattr(AudioSettings, "transcriber", transcriber)
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    args = ["--customer-id", "C-1", "--asr-model", str(tmp_path), "--term", "朝朝宝", "--term", "招行"]
    result = tag(
        str(tmp_path / "a.wav"), *args, "--threads", "1", "--max-hours", "2", "--db", str(tmp_path / "t.db")
    )
    assert result.exit_code == 0, result.output
    model, options = seen[0]
    assert model == tmp_path and options == {
        "extra_terms": ("朝朝宝", "招行"),
        "threads": 1,
        "max_hours": 2.0,
    }
