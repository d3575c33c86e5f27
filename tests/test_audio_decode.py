"""Decoding, resampling, streaming features and FSMN-VAD on the committed recordings, and every
kind of bad recording detected before recognition."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.extras import need

np = need("numpy", "asr")
need("av", "asr")
need("onnxruntime", "asr")

from convmine.audio.decode import LevelStats, decode_blocks, probe
from convmine.audio.errors import BadAudioError
from convmine.audio.features import FbankStream, fbank
from convmine.audio.vad import FsmnVad
from tests.audio_files import AUDIO_DIR, REFERENCES, bad_recordings, tone, write_audio

HOUR = 3600.0


def _decode(path: Path, block_seconds: float = 10.0) -> np.ndarray:
    return np.concatenate(
        list(decode_blocks(probe(path, max_duration=HOUR), block_seconds=block_seconds)), axis=1
    )


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_every_committed_format_decodes_to_16k_with_its_channels(name: str) -> None:
    reference = REFERENCES[name]
    info = probe(AUDIO_DIR / name, max_duration=HOUR)
    audio = _decode(AUDIO_DIR / name)
    assert info.channels == reference["channels"] == audio.shape[0]
    assert audio.dtype == np.float32
    assert audio.shape[1] / 16000 == pytest.approx(reference["duration"], abs=0.15)


def test_8k_audio_is_resampled_not_relabelled(tmp_path) -> None:
    path = write_audio(tmp_path / "tone.wav", tone(2.0, rate=8000, hz=1000.0), 8000, "pcm_mulaw")
    audio = _decode(path)[0]
    assert len(audio) == pytest.approx(32000, abs=200)
    spectrum = np.abs(np.fft.rfft(audio[4000:20000]))
    assert np.fft.rfftfreq(16000, 1 / 16000)[spectrum.argmax()] == pytest.approx(1000.0, abs=2)


def test_blocks_are_bounded_and_add_up_to_the_whole(tmp_path) -> None:
    path = AUDIO_DIR / "mono_16k.flac"
    blocks = list(
        decode_blocks(probe(path, max_duration=HOUR), block_seconds=2.0, stats=(stats := LevelStats()))
    )
    assert max(b.shape[1] for b in blocks) < 2.5 * 16000
    assert np.array_equal(np.concatenate(blocks, axis=1), _decode(path, block_seconds=60.0))
    assert 0.3 < stats.peak <= 1.0 and stats.clipped_share == 0.0


def test_streamed_fbank_equals_fbank_of_the_whole_signal() -> None:
    audio = _decode(AUDIO_DIR / "mono_16k.flac")[0][: 16000 * 3]
    stream = FbankStream()
    streamed = np.concatenate([stream.feed(audio[i : i + 1234]) for i in range(0, len(audio), 1234)])
    frames = 1 + (len(audio) - 400) // 160
    index = np.arange(400)[None, :] + 160 * np.arange(frames)[:, None]
    assert np.allclose(streamed, fbank(audio[index] * 32768.0), atol=1e-3)


@pytest.fixture(scope="module")
def vad() -> FsmnVad:
    return FsmnVad()


@pytest.mark.parametrize("name", ["stereo_16k_opus.ogg", "stereo_8k_mulaw.wav"])
def test_fsmn_vad_finds_each_speakers_turns_on_their_channel(vad: FsmnVad, name: str) -> None:
    reference = REFERENCES[name]
    audio = _decode(AUDIO_DIR / name)
    for channel in (0, 1):
        speaker = "agent" if channel == reference["agent_channel"] else "customer"
        turns = [u for u in reference["utterances"] if u["speaker"] == speaker]
        stream = vad.stream()
        segments = [
            s for block in np.array_split(audio[channel], 7) for s in stream.feed(block)
        ] + stream.flush()
        assert len(segments) == len(turns)
        for segment, turn in zip(segments, turns, strict=True):
            assert segment.start == pytest.approx(turn["start"], abs=0.35)
            assert segment.end == pytest.approx(turn["end"], abs=0.35)
            assert segment.spectrum.shape == (80,)


def test_vad_lets_old_audio_go(vad: FsmnVad) -> None:
    audio = _decode(AUDIO_DIR / "mono_16k.flac")[0]
    stream = vad.stream()
    stream.feed(audio)
    assert stream.keep_from() > len(audio) / 16000 - 3.0
    assert not stream.feed(np.zeros(16000, np.float32)) or stream.keep_from() > 0


def test_vad_finds_nothing_in_silence(vad: FsmnVad) -> None:
    stream = vad.stream()
    assert stream.feed(np.zeros(16000 * 3, np.float32)) + stream.flush() == []


BEFORE_DECODING = [
    "zero-byte",
    "header-only",
    "truncated",
    "not-audio",
    "unsupported-codec",
    "too-many-channels",
]


@pytest.mark.parametrize("kind", BEFORE_DECODING)
def test_bad_files_are_refused_when_probed(tmp_path, kind: str) -> None:
    path = bad_recordings(tmp_path)[kind]
    with pytest.raises(BadAudioError) as caught:
        probe(path, max_duration=HOUR)
    assert caught.value.kind == kind and caught.value.source == str(path)


def test_too_long_and_corrupt_recordings_are_refused(tmp_path) -> None:
    files = bad_recordings(tmp_path)
    with pytest.raises(BadAudioError, match="too-long: it lasts 0:00:30, over the 0:00:20 limit"):
        probe(files["too-long"], max_duration=20.0)
    with pytest.raises(BadAudioError, match="corrupt"):
        list(decode_blocks(probe(files["corrupt"], max_duration=HOUR)))
