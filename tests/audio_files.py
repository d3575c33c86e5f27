"""Writing test recordings, good and bad (needs the asr extra: PyAV and numpy)."""

from __future__ import annotations

import json
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

AUDIO_DIR = Path(__file__).parent / "data" / "audio"
REFERENCES: dict[str, dict] = json.loads((AUDIO_DIR / "references.json").read_text(encoding="utf-8"))
LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad"}


def write_audio(path: Path, samples: np.ndarray, rate: int, codec: str = "pcm_s16le") -> Path:
    """Encode ``samples`` ``(channels, n)`` (floats in [-1, 1]) with ``codec``."""
    layout = LAYOUTS[samples.shape[0]]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = layout
        resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=rate)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, np.float32), format="fltp", layout=layout
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def tone(seconds: float, rate: int = 16000, hz: float = 220.0, level: float = 0.3) -> np.ndarray:
    return (level * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate))[None]


def bad_recordings(folder: Path) -> dict[str, Path]:
    """One file per bad-audio case, named by the ``kind`` convmine should report."""
    folder.mkdir(parents=True, exist_ok=True)
    wav = write_audio(folder / "base.wav", tone(3.0), 16000).read_bytes()
    (folder / "base.wav").unlink()
    files = {
        "zero-byte": folder / "zero.wav",
        "header-only": folder / "header.wav",
        "truncated": folder / "cut.wav",
        "corrupt": folder / "cut.flac",
        "not-audio": folder / "notes.mp3",
        "unsupported-codec": folder / "codec.wav",
        "too-many-channels": folder / "surround.wav",
        "silent": folder / "silent.wav",
        "clipped": folder / "clipped.wav",
        "too-long": folder / "long.flac",
    }
    files["zero-byte"].write_bytes(b"")
    files["header-only"].write_bytes(wav[:44])
    files["truncated"].write_bytes(wav[: len(wav) // 3])
    flac = write_audio(folder / "whole.flac", tone(12.0), 16000, "flac").read_bytes()
    (folder / "whole.flac").unlink()
    files["corrupt"].write_bytes(flac[: len(flac) // 3])
    files["not-audio"].write_text("call_id,speaker,text\n1,agent,您好\n", encoding="utf-8")
    header = bytearray(wav[:44])
    header[20:22] = struct.pack("<H", 0x9999)  # a WAVE format tag no decoder knows
    files["unsupported-codec"].write_bytes(bytes(header) + wav[44:])
    write_audio(files["too-many-channels"], np.repeat(tone(1.0), 3, axis=0), 16000)
    write_audio(files["silent"], np.zeros((1, 16000 * 3)), 16000)
    write_audio(files["clipped"], np.clip(4 * tone(12.0), -1, 1), 16000)
    write_audio(files["too-long"], tone(30.0, level=0.01), 16000, "flac")
    return files
