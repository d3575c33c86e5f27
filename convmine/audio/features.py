"""Kaldi-style log-mel filterbank features, computed in a stream (numpy only).

The settings are FunASR's ``WavFrontend`` for FSMN-VAD: 16 kHz, 25 ms Hamming frames every 10 ms,
DC removed, pre-emphasis 0.97, 512-point FFT power spectrum, 80 mel bins from 20 Hz to 8 kHz,
natural log, samples scaled to the int16 range. :class:`FbankStream` turns audio blocks of any size
into the same frames the whole signal would give.
"""

from __future__ import annotations

from functools import cache

import numpy as np

RATE = 16000
FRAME = 400  # 25 ms
SHIFT = 160  # 10 ms
FFT = 512
MELS = 80
LOW_HZ = 20.0
PREEMPHASIS = 0.97
_EPSILON = float(np.finfo(np.float32).eps)


def _mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(hz) / 700.0)


@cache
def mel_banks() -> np.ndarray:
    """Kaldi's triangular mel filters as a ``(257, 80)`` matrix over the power-spectrum bins."""
    bins = FFT // 2
    low, high = _mel(LOW_HZ), _mel(RATE / 2)
    delta = (high - low) / (MELS + 1)
    freqs = _mel(np.arange(bins) * RATE / FFT)
    banks = np.zeros((bins + 1, MELS), np.float32)
    for m in range(MELS):
        left, centre, right = low + m * delta, low + (m + 1) * delta, low + (m + 2) * delta
        up = (freqs - left) / (centre - left)
        down = (right - freqs) / (right - centre)
        banks[:bins, m] = np.clip(np.minimum(up, down), 0.0, None)
    return banks


@cache
def _window() -> np.ndarray:
    return np.hamming(FRAME).astype(np.float32)


def fbank(frames: np.ndarray) -> np.ndarray:
    """Log-mel features ``(n, 80)`` of ``(n, 400)`` frames of int16-scaled samples."""
    frames = frames - frames.mean(axis=1, keepdims=True)
    emphasised = np.empty_like(frames)
    emphasised[:, 1:] = frames[:, 1:] - PREEMPHASIS * frames[:, :-1]
    emphasised[:, 0] = frames[:, 0] * (1.0 - PREEMPHASIS)
    power = np.abs(np.fft.rfft(emphasised * _window(), FFT)) ** 2
    return np.log(np.maximum(power.astype(np.float32) @ mel_banks(), _EPSILON))


class FbankStream:
    """Feed 16 kHz float audio in blocks; get the log-mel frames that are complete so far."""

    def __init__(self) -> None:
        self._rest = np.zeros(0, np.float32)
        self.frames = 0  # frames produced so far

    def feed(self, audio: np.ndarray) -> np.ndarray:
        samples = np.concatenate([self._rest, audio.astype(np.float32) * 32768.0])
        count = 0 if len(samples) < FRAME else 1 + (len(samples) - FRAME) // SHIFT
        if count == 0:
            self._rest = samples
            return np.zeros((0, MELS), np.float32)
        index = np.arange(FRAME)[None, :] + SHIFT * np.arange(count)[:, None]
        features = fbank(samples[index])
        self._rest = samples[count * SHIFT :]
        self.frames += count
        return features
