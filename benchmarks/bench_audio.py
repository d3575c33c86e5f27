"""Speech front end benchmark (needs the asr extra): run from the repository root.

    python benchmarks/bench_audio.py [--threads 2] [--long-minutes 120]

Prints, on the committed calls (tests/data/audio):
* real-time factor per stage (decode, VAD, ASR, roles, tagging, store) and of the whole pipeline;
* the pipeline against plain faster-whisper (same model, same decoding options, on the mono mix of
  the same audio) in the same run: overhead in %, and per recognised character, since plain
  faster-whisper skips turns;
* CER on the 16 kHz calls, the 8 kHz calls, and the 16 kHz calls sent through an 8 kHz μ-law line;
* role accuracy (time-weighted) on stereo and mono calls, and per mono method;
* peak memory (max RSS) transcribing one long recording built by repeating the mono calls.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convmine.audio.decode import decode_blocks, probe  # noqa: E402
from convmine.audio.evaluate import character_error_rate, dropped_turns, role_accuracy  # noqa: E402
from convmine.audio.roles import Piece, attribute_mono  # noqa: E402
from convmine.audio.transcriber import Transcriber  # noqa: E402
from tests.audio_files import AUDIO_DIR, REFERENCES, write_audio  # noqa: E402


def decoded(path: Path, rate: int = 16000) -> np.ndarray:
    return np.concatenate(list(decode_blocks(probe(path, max_duration=10 * 3600), rate=rate)), axis=1)


def reference_text(name: str) -> str:
    return "".join(u["text"] for u in REFERENCES[name]["utterances"])


def stage_table(transcriber: Transcriber) -> dict[str, float]:
    """Real-time factor per transcription stage so far."""
    return {k: round(v, 4) for k, v in transcriber.times.real_time_factors().items()}


def mono_methods(transcriber: Transcriber) -> dict[str, float]:
    """Role accuracy of each mono method, from the pieces the pipeline recognised."""
    scores: dict[str, list[float]] = {"auto": [], "acoustic": [], "text": []}
    for name, reference in REFERENCES.items():
        if reference["channels"] != 1:
            continue
        pieces: list[Piece] = []
        original = transcriber._recognise

        def keep(channels, original=original, pieces=pieces) -> None:
            original(channels)
            pieces[:] = channels[0].pieces

        transcriber._recognise = keep  # type: ignore[method-assign]
        transcriber.transcribe(AUDIO_DIR / name)
        transcriber._recognise = original  # type: ignore[method-assign]
        for method in scores:
            from convmine.schema import Utterance

            speakers = attribute_mono(pieces, method=method)
            utterances = [
                Utterance(n, s, p.text, p.start, p.end)
                for n, (p, s) in enumerate(zip(pieces, speakers, strict=True))
            ]
            scores[method].append(role_accuracy(reference["utterances"], utterances))
    return {method: round(float(np.mean(values)), 3) for method, values in scores.items()}


def long_recording(minutes: float, folder: Path) -> Path:
    parts = [decoded(AUDIO_DIR / n).mean(axis=0) for n, r in REFERENCES.items() if r["channels"] == 1]
    loop = np.concatenate(parts)
    repeats = int(np.ceil(minutes * 60 * 16000 / len(loop)))
    path = folder / "long.flac"
    write_audio(path, np.tile(loop, repeats)[None, : int(minutes * 60 * 16000)], 16000, "flac")
    return path


def peak_memory(path: Path, threads: int) -> dict[str, float]:
    """Transcribe ``path`` in a fresh process; its peak RSS and real-time factor.

    The peak is the process's own ``VmHWM``: on Linux ``ru_maxrss`` keeps the high-water mark of the
    parent that forked it (this process, holding the long recording), across ``exec``.
    """
    code = (
        "import resource,sys,time,json;sys.path.insert(0,sys.argv[3]);"
        "from convmine.audio.transcriber import Transcriber;"
        "t=Transcriber(threads=int(sys.argv[2]));s=time.perf_counter();c=t.transcribe(sys.argv[1]);"
        "h=[int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')];"
        "print(json.dumps({'seconds':time.perf_counter()-s,'audio':t.times.audio,'utterances':len(c.utterances),"
        "'max_rss_mb':(h[0] if h else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)/1024}))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path), str(threads), str(ROOT)],
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    result["rtf"] = result["seconds"] / result["audio"]
    return {k: round(v, 3) for k, v in result.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--long-minutes", type=float, default=120.0, help="0 skips the memory run")
    parser.add_argument("--memory-only", action="store_true", help="only the long-recording memory run")
    args = parser.parse_args()
    if args.memory_only and args.long_minutes <= 0:
        parser.error("--memory-only needs a recording: give --long-minutes more than 0")
    if args.memory_only:
        with tempfile.TemporaryDirectory() as tmp:
            memory = peak_memory(long_recording(args.long_minutes, Path(tmp)), args.threads)
        print(json.dumps({"long_recording": {"minutes": args.long_minutes, **memory}}, indent=1))
        return

    import convmine
    from convmine.store import open_store

    transcriber = Transcriber(threads=args.threads)
    transcriber.transcribe(AUDIO_DIR / "mono_16k_aac.m4a")  # warm up
    transcriber.times = type(transcriber.times)()
    recognizer = transcriber.recognizer
    calls = {name: transcriber.transcribe(AUDIO_DIR / name, customer_id="BENCH") for name in REFERENCES}
    cer, roles, plain_seconds, plain_cer = {}, {}, 0.0, {}
    characters = {"pipeline": 0, "plain_faster_whisper": 0}  # what each recognised: plain skips turns
    dropped: dict[str, dict[str, int]] = {}
    for name in REFERENCES:
        turns = REFERENCES[name]["utterances"]
        hypothesis = "".join(u.text for u in calls[name].utterances)
        cer[name] = round(character_error_rate(reference_text(name), hypothesis), 3)
        roles[name] = round(role_accuracy(turns, calls[name].utterances), 3)
        mix = decoded(AUDIO_DIR / name).mean(axis=0)
        begin = time.perf_counter()
        segments, _ = recognizer.model.transcribe(mix, **recognizer.options())
        plain = "".join(segment.text for segment in segments)
        plain_seconds += time.perf_counter() - begin
        characters["pipeline"] += len(hypothesis)
        characters["plain_faster_whisper"] += len(plain)
        plain_cer[name] = round(character_error_rate(reference_text(name), plain), 3)
        dropped[name] = {
            "reference_turns": len(turns),
            "pipeline": dropped_turns(turns, hypothesis),
            "plain_faster_whisper": dropped_turns(turns, plain),
        }
    audio_seconds = transcriber.times.audio
    asr_pipeline = sum(transcriber.times.seconds.values())
    stages = stage_table(transcriber)
    pipeline = convmine.load()
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "bench.db") as store:
        begin = time.perf_counter()
        tagged = list(pipeline.pipe(calls.values()))
        tagging = time.perf_counter() - begin
        begin = time.perf_counter()
        store.save(tagged, tagger=pipeline.version, taxonomy_version=pipeline.taxonomy.version)
        saved = time.perf_counter() - begin
    with tempfile.TemporaryDirectory() as tmp:
        telephone = {}
        for name, reference in REFERENCES.items():
            if reference["sample_rate"] == 16000:
                path = write_audio(
                    Path(tmp) / f"{Path(name).stem}.wav",
                    decoded(AUDIO_DIR / name, rate=8000),
                    8000,
                    "pcm_mulaw",
                )
                call = transcriber.transcribe(path)
                telephone[name] = round(
                    character_error_rate(reference_text(name), "".join(u.text for u in call.utterances)), 3
                )
        memory = (
            peak_memory(long_recording(args.long_minutes, Path(tmp)), args.threads)
            if args.long_minutes
            else {}
        )
    rate = {n: r["sample_rate"] for n, r in REFERENCES.items()}
    stages.update(tagging=round(tagging / audio_seconds, 4), store=round(saved / audio_seconds, 4))
    stages["total"] = round(sum(v for k, v in stages.items() if k != "total"), 4)
    report = {
        "audio_seconds": round(audio_seconds, 1),
        "rtf_per_stage": stages,
        "pipeline_transcription_rtf": round(asr_pipeline / audio_seconds, 4),
        "plain_faster_whisper_rtf": round(plain_seconds / audio_seconds, 4),
        "pipeline_overhead_vs_plain_percent": round(100 * (asr_pipeline / plain_seconds - 1), 1),
        "recognised_characters": characters,
        "pipeline_overhead_vs_plain_per_character_percent": round(
            100
            * (
                asr_pipeline / characters["pipeline"] / (plain_seconds / characters["plain_faster_whisper"])
                - 1
            ),
            1,
        ),
        "dropped_turns": dropped,
        "dropped_turns_total": {
            who: sum(d[who] for d in dropped.values())
            for who in ("reference_turns", "pipeline", "plain_faster_whisper")
        },
        "cer": cer,
        "cer_plain_faster_whisper": plain_cer,
        "cer_mean_16k": round(float(np.mean([c for n, c in cer.items() if rate[n] == 16000])), 3),
        "cer_mean_8k": round(float(np.mean([c for n, c in cer.items() if rate[n] == 8000])), 3),
        "cer_16k_calls_through_8k_mulaw": telephone,
        "cer_mean_16k_calls_through_8k_mulaw": round(float(np.mean(list(telephone.values()))), 3),
        "role_accuracy": roles,
        "role_accuracy_mono_methods": mono_methods(transcriber),
        "long_recording": {"minutes": args.long_minutes, **memory},
        "bench_process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
