"""How fast the text path tags customer turns, stage by stage, measured side by side in one run.

    python benchmarks/bench_tagging.py [--turns 20000] [--json out.json]

Stages: PII masking, normalisation, the rule tagger's ``predict``, the whole rules pipeline
(``convmine.load("rules")``: mask + normalise + tag + evidence) and the whole job into a SQLite store
(``tag_paths`` minus file reading). The model's speed is ``benchmarks/model_speed.py``'s. Turns come from the labelled corpus (or the examples when the corpus is absent), repeated
to ``--turns``. Prints utterances per second for each stage.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from itertools import cycle, islice
from pathlib import Path

import convmine
from convmine.ingest import read_calls
from convmine.schema import Call, Turn, Utterance
from convmine.store import open_store
from convmine.text import mask, normalize

ROOT = Path(__file__).resolve().parent.parent


def corpus_turns() -> list[Turn]:
    path = ROOT / "taxonomy" / "corpus" / "test.jsonl"
    if path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [Turn(r["text"], tuple(r.get("context") or ())) for r in rows]
    calls = [c for c in read_calls([ROOT / "examples"]) if isinstance(c, Call)]
    return [Turn(u.text) for c in calls for u in c.customer_turns()]


def rate(n: int, fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.turns < 1:
        parser.error("--turns must be at least 1")

    base = corpus_turns()
    turns = list(islice(cycle(base), args.turns))
    texts = [t.text for t in turns]
    nlp = convmine.load("rules")
    prepared = [Turn(normalize(mask(t.text)), tuple(normalize(mask(c)) for c in t.context)) for t in turns]
    calls = [
        Call(
            f"bench-{i}",
            "CUST-B",
            [Utterance(0, "agent", "您好，请问您最近有闲置资金吗？"), Utterance(1, "customer", text)],
        )
        for i, text in enumerate(texts)
    ]

    def store_job() -> None:
        with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "bench.db") as store:
            for start in range(0, len(calls), 256):
                store.save(list(nlp.pipe(calls[start : start + 256], batch_size=256)))

    figures = {
        "turns": len(turns),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "mask_per_s": rate(len(texts), lambda: [mask(t) for t in texts]),
        "normalize_per_s": rate(len(texts), lambda: [normalize(t) for t in texts]),
        "rules_predict_per_s": rate(len(turns), lambda: nlp.tagger.predict(prepared)),
        "pipeline_per_s": rate(
            len(turns), lambda: [nlp.predict(turns[i : i + 256]) for i in range(0, len(turns), 256)]
        ),
        "calls_to_store_per_s": rate(len(calls), store_job, repeat=1),
    }
    for key, value in figures.items():
        print(f"{key:>22}: {value:,.0f}" if key.endswith("_per_s") else f"{key:>22}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
