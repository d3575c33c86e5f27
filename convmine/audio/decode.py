"""Decoding recordings with PyAV (FFmpeg's codecs inside the wheel; no system ffmpeg needed).

:func:`probe` checks a file before any work is spent on it; :func:`decode_blocks` streams it as
float32 blocks of shape ``(channels, samples)`` at the target rate, resampled by libswresample
(never relabelled), so a two-hour call never sits in memory whole. Every way a recording can be
bad raises :class:`BadAudioError` with its ``kind`` and a reason that says what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convmine.audio.errors import BadAudioError
from convmine.extras import require

TARGET_RATE = 16000
MAX_CHANNELS = 2
#: A sample this close to full scale counts as clipped.
CLIP_LEVEL = 0.98
#: Share of clipped samples above which a recording is refused.
MAX_CLIPPED = 0.01
#: Peak level (linear; about -50 dBFS) below which a recording is silent.
SILENCE_PEAK = 0.003
#: A file whose header promises this much more audio than it holds is truncated.
TRUNCATION_TOLERANCE = 0.9
#: A file this small that starts like an audio file but cannot be opened is a bare header.
HEADER_ONLY_BYTES = 1024
AUDIO_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3\x03", b"ID3\x04", b"FORM")


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the container says about a recording. ``duration`` is in seconds, ``None`` if unknown."""

    path: Path
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


@dataclass(slots=True)
class LevelStats:
    """Running level statistics of a decoded recording: samples, clipped samples, peak."""

    samples: int = 0
    clipped: int = 0
    peak: float = 0.0
    channels_peak: list[float] = field(default_factory=list)

    def add(self, block: np.ndarray) -> None:
        magnitude = np.abs(block)
        self.samples += block.size
        self.clipped += int(np.count_nonzero(magnitude >= CLIP_LEVEL))
        peaks = magnitude.max(axis=1).tolist() if block.shape[1] else [0.0] * block.shape[0]
        self.channels_peak = [max(a, b) for a, b in zip(self.channels_peak or peaks, peaks, strict=True)]
        self.peak = max(self.channels_peak)

    @property
    def clipped_share(self) -> float:
        return self.clipped / self.samples if self.samples else 0.0


def _av():
    return require("av", "asr", "decoding audio")


def probe(path: Path, *, max_duration: float) -> AudioInfo:
    """Check that ``path`` is a recording convmine can read; raises :class:`BadAudioError` if not."""
    av = _av()
    source = str(path)
    if path.stat().st_size == 0:
        raise BadAudioError("zero-byte", "the file is empty (0 bytes); re-export the recording", source)
    _check_wav_length(path)
    try:
        container = av.open(source)
    except av.error.FFmpegError as exc:
        if path.stat().st_size <= HEADER_ONLY_BYTES and path.read_bytes()[:4] in AUDIO_MAGIC:
            raise BadAudioError(
                "header-only", "the file holds an audio header but no audio; re-export the recording", source
            ) from None
        raise BadAudioError(
            "not-audio",
            f"not a readable audio file ({exc.strerror or exc}); check that it is a recording and not "
            "a renamed document or a damaged download",
            source,
        ) from None
    with container:
        if not container.streams.audio:
            raise BadAudioError("not-audio", "the file has no audio stream", source)
        stream = container.streams.audio[0]
        codec = stream.codec_context
        if codec is None or codec.codec is None or not codec.codec.is_decoder:
            raise BadAudioError(
                "unsupported-codec",
                "its audio codec cannot be decoded; convert it to WAV, FLAC or MP3 first",
                source,
            )
        channels = codec.channels or 0
        rate = codec.sample_rate or 0
        if channels > MAX_CHANNELS:
            raise BadAudioError(
                "too-many-channels",
                f"it has {channels} channels; convmine reads mono recordings and stereo ones with one speaker "
                "per channel: export those two channels, or a mono mix",
                source,
            )
        if channels < 1 or rate <= 0:
            raise BadAudioError(
                "header-only", "the header names no channels or sample rate; re-export the recording", source
            )
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        if duration is not None and duration > max_duration:
            raise BadAudioError(
                "too-long",
                f"it lasts {_clock(duration)}, over the {_clock(max_duration)} limit; split it "
                "or raise the limit (max_hours= / --max-hours)",
                source,
            )
        return AudioInfo(path, codec.name, rate, channels, duration)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _check_wav_length(path: Path) -> None:
    """A WAV file whose ``data`` chunk promises more bytes than the file holds was cut short."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    position = 12
    while position + 8 <= len(head):
        chunk, size = (
            head[position : position + 4],
            int.from_bytes(head[position + 4 : position + 8], "little"),
        )
        if chunk == b"data":
            available = path.stat().st_size - position - 8
            if 0 < size < 0xFFFFFFFF and available < TRUNCATION_TOLERANCE * size:
                raise BadAudioError(
                    "truncated",
                    f"the header promises {size} bytes of audio but the file holds {max(available, 0)}; "
                    "the copy is incomplete: copy or export it again",
                    str(path),
                )
            return
        position += 8 + size + (size & 1)


def decode_blocks(
    info: AudioInfo,
    *,
    rate: int = TARGET_RATE,
    block_seconds: float = 10.0,
    stats: LevelStats | None = None,
) -> Iterator[np.ndarray]:
    """The recording as float32 blocks ``(channels, n)`` at ``rate``, about ``block_seconds`` each.

    Fills ``stats`` as it goes and raises :class:`BadAudioError` for a recording that turns out to
    be empty, truncated or corrupt while decoding.
    """
    av = _av()
    source = str(info.path)
    layout = "mono" if info.channels == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
    block_size = int(block_seconds * rate)
    pending: list[np.ndarray] = []
    held = 0
    decoded = 0

    with av.open(source) as container:
        stream = container.streams.audio[0]
        try:
            for array in _frames(container, stream, resampler):
                pending.append(array.astype(np.float32, copy=False))
                held += array.shape[1]
                if held >= block_size:
                    block = np.concatenate(pending, axis=1)
                    pending, held = [], 0
                    decoded += block.shape[1]
                    if stats is not None:
                        stats.add(block)
                    yield block
        except av.error.FFmpegError as exc:
            raise BadAudioError(
                "corrupt",
                f"decoding failed ({exc.strerror or exc}); the file is damaged or truncated",
                source,
            ) from None
    if pending:
        block = np.concatenate(pending, axis=1)
        decoded += block.shape[1]
        if stats is not None:
            stats.add(block)
        yield block
    if decoded == 0:
        raise BadAudioError("header-only", "the file holds no audio samples; re-export the recording", source)
    seconds = decoded / rate
    if info.duration is not None and seconds < TRUNCATION_TOLERANCE * info.duration:
        raise BadAudioError(
            "truncated",
            f"the header promises {info.duration:.1f} s but only {seconds:.1f} s could be decoded; "
            "the copy is incomplete: copy or export it again",
            source,
        )


def _frames(container, stream, resampler) -> Iterator[np.ndarray]:
    """Decoded, resampled frames as ``(channels, n)`` float32 arrays, the resampler flushed at the end."""
    for frame in container.decode(stream):
        frame.pts = None
        for out in resampler.resample(frame):
            yield out.to_ndarray()
    for out in resampler.resample(None):
        yield out.to_ndarray()
