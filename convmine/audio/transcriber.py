"""Recording in, :class:`~convmine.schema.Call` out: decode → VAD → ASR → roles, as a stream.

Audio is decoded in blocks; each channel's VAD closes segments as the stream goes, their audio is
cut out of a small rolling buffer, and the segments of all channels are recognised together, in
time order, in batches of about ``batch_seconds`` of speech; nothing holds the whole recording, so
a two-hour call runs in bounded memory. Roles come last, from the recognised segments
(:mod:`convmine.audio.roles`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from convmine.audio.backends import Recognizer, create_recognizer
from convmine.audio.decode import (
    MAX_CLIPPED,
    SILENCE_PEAK,
    TARGET_RATE,
    LevelStats,
    decode_blocks,
    probe,
)
from convmine.audio.errors import BadAudioError
from convmine.audio.roles import Piece, attribute_mono, detect_agent_channel, same_speech
from convmine.audio.vad import FsmnVad, Segment, VadStream
from convmine.audio.vocabulary import Vocabulary
from convmine.schema import Call, Speaker, Utterance

DEFAULT_MAX_HOURS = 4.0
#: Clipping is judged once this much audio has been heard (and again at the end).
CLIP_CHECK_SECONDS = 10.0


@dataclass(slots=True)
class StageTimes:
    """Seconds spent per stage (decode, vad, asr, roles) and seconds of audio processed."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    audio: float = 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - begin

    def real_time_factors(self) -> dict[str, float]:
        """Processing time over audio time, per stage."""
        return {name: spent / self.audio for name, spent in self.seconds.items()} if self.audio else {}


class _Channel:
    """One channel's VAD and the audio it may still need: a rolling buffer from ``offset``."""

    def __init__(self, vad: VadStream):
        self.vad = vad
        self.audio = np.zeros(0, np.float32)
        self.offset = 0  # sample index of audio[0]
        self.waiting: list[tuple[Segment, np.ndarray]] = []
        self.pieces: list[Piece] = []

    def add(self, block: np.ndarray, segments: list[Segment]) -> None:
        self.audio = np.concatenate([self.audio, block])
        for segment in segments:
            begin = max(int(segment.start * TARGET_RATE) - self.offset, 0)
            end = int(segment.end * TARGET_RATE) - self.offset
            self.waiting.append((segment, self.audio[begin:end].copy()))
        keep = int(self.vad.keep_from() * TARGET_RATE)
        if keep > self.offset:
            self.audio = self.audio[keep - self.offset :]
            self.offset = keep

    @property
    def waiting_seconds(self) -> float:
        return sum(len(clip) for _, clip in self.waiting) / TARGET_RATE


class Transcriber:
    """Loads the VAD and a recogniser once; :meth:`transcribe` turns one recording into a call.

    ``backend`` names a recogniser (``"whisper"``, ``"funasr"``); ``model`` is its model directory
    (default for whisper: Whisper base from the wheels); ``extra_terms`` are bank and product names
    for the recogniser's prompt or hotwords; other keyword options go to the recogniser. Speech is
    recognised in batches of ``batch_seconds`` (ten Whisper windows: the half-empty last window and
    the retry window are paid once a batch; the batch's audio takes 18 MB).
    """

    def __init__(
        self,
        backend: str = "whisper",
        *,
        model: str | Path | None = None,
        extra_terms: tuple[str, ...] = (),
        max_hours: float = DEFAULT_MAX_HOURS,
        block_seconds: float = 30.0,
        batch_seconds: float = 280.0,
        recognizer: Recognizer | None = None,
        **backend_options: Any,
    ):
        self.vad = FsmnVad()
        self.recognizer = recognizer or create_recognizer(
            backend, model=model, vocabulary=Vocabulary.build(extra_terms=extra_terms), **backend_options
        )
        self.max_duration = max_hours * 3600
        self.block_seconds = block_seconds
        self.batch_seconds = batch_seconds
        self.times = StageTimes()

    def transcribe(
        self,
        path: str | Path,
        *,
        call_id: str | None = None,
        customer_id: str | None = None,
        agent_id: str | None = None,
        started_at: datetime | None = None,
        agent_channel: int | None = None,
    ) -> Call:
        """The call in the recording at ``path``; raises :class:`BadAudioError` for a bad recording."""
        path = Path(path)
        source = str(path)
        with self.times.stage("decode"):
            info = probe(path, max_duration=self.max_duration)
        if agent_channel is not None and info.channels != 2:
            raise BadAudioError("bad-manifest", "agent_channel is set but the recording is mono", source)
        stereo = info.channels == 2
        channels = [
            _Channel(self.vad.stream(min_silence=0.5 if stereo else 0.3)) for _ in range(info.channels)
        ]
        stats = LevelStats()
        blocks = decode_blocks(info, block_seconds=self.block_seconds, stats=stats)
        while True:
            with self.times.stage("decode"):
                block = next(blocks, None)
            if block is None:
                break
            self.times.audio += block.shape[1] / TARGET_RATE
            for channel, samples in zip(channels, block, strict=True):
                with self.times.stage("vad"):
                    channel.add(samples, channel.vad.feed(samples))
            if sum(channel.waiting_seconds for channel in channels) >= self.batch_seconds:
                self._recognise(channels)
            if stats.samples >= CLIP_CHECK_SECONDS * TARGET_RATE * info.channels:
                _check_clipping(stats, source)
        for channel in channels:
            with self.times.stage("vad"):
                channel.add(np.zeros(0, np.float32), channel.vad.flush())
        self._recognise(channels)
        _check_levels(stats, source)
        _check_clipping(stats, source)
        with self.times.stage("roles"):
            utterances = _utterances(channels, agent_channel)
        if not utterances:
            raise BadAudioError(
                "no-speech", "speech was detected but no words were recognised; check the language and audio",
                source,
            )  # fmt: skip
        return Call(
            call_id=call_id or path.stem,
            customer_id=customer_id,
            utterances=utterances,
            agent_id=agent_id,
            started_at=started_at,
            source=source,
        )

    def _recognise(self, channels: list[_Channel]) -> None:
        """Recognise the waiting clips of all channels in one batch, in time order: a stereo call's
        two sides share Whisper's windows (fewer encoder passes) and read as one conversation."""
        waiting = sorted(
            ((channel, segment, clip) for channel in channels for segment, clip in channel.waiting),
            key=lambda item: item[1].start,
        )
        if not waiting:
            return
        with self.times.stage("asr"):
            texts = self.recognizer.transcribe([clip for _, _, clip in waiting])
        for (channel, segment, _), text in zip(waiting, texts, strict=True):
            channel.pieces.append(Piece(segment.start, segment.end, text, segment.spectrum))
        for channel in channels:
            channel.waiting = []


def _check_levels(stats: LevelStats, source: str) -> None:
    if stats.peak < SILENCE_PEAK:
        level = 20 * np.log10(max(stats.peak, 1e-10))
        raise BadAudioError(
            "silent", f"the recording is silent (peak {level:.0f} dBFS); check the recorder's input", source
        )


def _check_clipping(stats: LevelStats, source: str) -> None:
    if stats.clipped_share > MAX_CLIPPED:
        raise BadAudioError(
            "clipped",
            f"{stats.clipped_share:.1%} of the samples are at full scale, too distorted to transcribe "
            "reliably; lower the recording gain",
            source,
        )


def _utterances(channels: list[_Channel], agent_channel: int | None) -> list[Utterance]:
    """Recognised pieces with speakers, in time order, consecutive pieces of one speaker joined. A stereo
    recording whose channels carry the same speech is attributed as mono (else every turn would come
    twice, once as each side)."""
    if len(channels) == 2 and same_speech(channels[0].pieces, channels[1].pieces):
        channels = channels[:1]
    if len(channels) == 2:
        agent = (
            agent_channel if agent_channel is not None else detect_agent_channel([c.pieces for c in channels])
        )
        labelled = [
            (piece, "agent" if n == agent else "customer")
            for n, c in enumerate(channels)
            for piece in c.pieces
        ]
    else:
        pieces = channels[0].pieces
        labelled = list(zip(pieces, attribute_mono(pieces), strict=True))
    labelled = sorted(((p, s) for p, s in labelled if p.text), key=lambda item: item[0].start)
    utterances: list[Utterance] = []
    for piece, speaker in labelled:
        last = utterances[-1] if utterances else None
        if (
            last is not None
            and last.speaker == speaker
            and last.end is not None
            and piece.start - last.end < 1.0
        ):
            last.text += piece.text
            last.end = round(piece.end, 2)
        else:
            utterances.append(Utterance(len(utterances), _speaker(speaker), piece.text,
                                        round(piece.start, 2), round(piece.end, 2)))  # fmt: skip
    return utterances


def _speaker(value: str) -> Speaker:
    return "agent" if value == "agent" else "customer"
