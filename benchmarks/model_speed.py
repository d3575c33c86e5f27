"""Speed, memory and accuracy of one tagger model on three runtimes, side by side.

    python benchmarks/model_speed.py [--model DIR] [--threads 2] [--batch 64] [--repeat 3]

``DIR`` is a saved model directory, e.g. ``models/default``. Each runtime runs in its own process so peak
memory is its own: PyTorch fp32, ONNX Runtime fp32 (a fresh export) and ONNX Runtime int8 (``model.onnx``),
in batches of ``--batch``, and int8 one turn at a time (``onnx-int8-b1``: the default inference path,
whose scores never depend on the other turns). ONNX Runtime runs ``--threads`` single-threaded sessions
side by side; PyTorch runs one with ``--threads`` threads.
The fp32 weights come from ``model.safetensors`` where ``convmine train`` left it; a directory with only
``model.onnx`` (the shipped default) gives its dequantised int8 weights, which run at fp32 speed but
score like the int8 weights, so its accuracy column then shows the cost of int8 activations only.
Turns are the customer turns of ``taxonomy/corpus/dialogues.jsonl`` with their preceding turn
(realistic lengths), tagged in batches of ``--batch``, without the clause check (its extra pass is the
same on every runtime; ``benchmarks/clause_check.py`` times it); accuracy is on
``taxonomy/corpus/test.jsonl``. Needs the ``train`` and ``onnx`` extras.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "taxonomy" / "corpus"
RUNTIMES = ("torch-fp32", "onnx-fp32", "onnx-int8", "onnx-int8-b1")
#: The default inference path scores each turn alone (int8 activation scales are per run).
ALONE = "onnx-int8-b1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds over the runtimes; the best is reported"
    )
    parser.add_argument("--runtime", choices=RUNTIMES, help=argparse.SUPPRESS)  # one child process
    parser.add_argument("--onnx", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--accuracy", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.threads, args.batch) < 1:
        parser.error("--threads and --batch must be at least 1")
    if args.export:
        _export_fp32(args.model, args.export)
        return
    if args.runtime:
        print(json.dumps(_measure(args)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "fp32.onnx"
        subprocess.run(
            [sys.executable, __file__, "--model", str(args.model), "--export", str(fp32)], check=True
        )
        results: dict[str, dict] = {}
        for round_ in range(args.repeat):  # runtimes take turns, so a busy moment hurts all of them alike
            for runtime in RUNTIMES:
                command = [sys.executable, __file__, "--model", str(args.model), "--runtime", runtime]
                command += ["--threads", str(args.threads), "--batch", str(args.batch)]
                command += ["--onnx", str(fp32 if runtime == "onnx-fp32" else args.model / "model.onnx")]
                command += ["--accuracy"] if round_ == 0 else []
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode:
                    sys.exit(f"{runtime} failed:\n{done.stderr.strip()}")
                row = json.loads(done.stdout.strip().splitlines()[-1])
                kept = results.setdefault(runtime, row)
                kept["turns_per_s"] = max(kept["turns_per_s"], row["turns_per_s"])
                kept["peak_mb"] = max(kept["peak_mb"], row["peak_mb"])
        rows = [results[runtime] for runtime in RUNTIMES]
    base = rows[0]["turns_per_s"]
    print(
        f"{rows[0]['turns']} turns (mean {rows[0]['mean_chars']:.1f} chars + context), batch {args.batch}, "
        f"{args.threads} threads"
    )
    print(
        f"{'runtime':11} {'turns/s':>8} {'vs torch':>8} {'peak MB':>8} {'micro':>6} {'macro':>6} {'false':>6}"
    )
    for row in rows:
        print(
            f"{row['runtime']:11} {row['turns_per_s']:8.0f} {row['turns_per_s'] / base:7.2f}x "
            f"{row['peak_mb']:8.0f} {row['micro_f1']:6.3f} {row['macro_f1']:6.3f} {row['false_tag_rate']:6.3f}"
        )


def _export_fp32(model: Path, path: Path) -> Path:
    from convmine.tagging.model.export import export_onnx
    from convmine.tagging.model.storage import ModelConfig, load_network

    return export_onnx(load_network(model, ModelConfig.read(model)), path)


def _measure(args: argparse.Namespace) -> dict[str, object]:
    from convmine.corpus import read_dialogues, read_jsonl
    from convmine.evaluate import score
    from convmine.tagging.model import load_model_tagger
    from convmine.tagging.model.runtime import OnnxScorer
    from convmine.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    if args.runtime == "torch-fp32":
        import torch

        torch.set_num_threads(args.threads)
        tagger = load_model_tagger(args.model, taxonomy, backend="torch", batch_size=args.batch)
    else:  # a model directory holding only the graph to run, so torch is never imported
        view = Path(tempfile.mkdtemp())
        atexit.register(shutil.rmtree, view, True)
        for name in ("config.json", "tokenizer.json"):
            (view / name).symlink_to(args.model.resolve() / name)
        (view / "model.onnx").symlink_to(args.onnx.resolve())
        batch = 1 if args.runtime == ALONE else args.batch
        tagger = load_model_tagger(view, taxonomy, backend="onnx", batch_size=batch)
        tagger.scorer = None  # one set of sessions alive at a time, so the peak is this runtime's own
        gc.collect()
        tagger.scorer = OnnxScorer(view / "model.onnx", workers=args.threads)
        assert "torch" not in sys.modules
    tagger.clause_check = False  # the runtimes' scoring alone; benchmarks/clause_check.py times the check
    turns = [row.turn for d in read_dialogues(CORPUS / "dialogues.jsonl", taxonomy) for row in d.examples()]
    tagger.predict(turns[: args.batch])  # warm up
    started = time.perf_counter()
    tagger.predict(turns)
    elapsed = time.perf_counter() - started
    row: dict[str, object] = {
        "runtime": args.runtime,
        "turns": len(turns),
        "mean_chars": sum(len(t.text) for t in turns) / len(turns),
        "turns_per_s": len(turns) / elapsed,
        "peak_mb": _peak_mb(),
    }
    if args.accuracy:
        test = read_jsonl(CORPUS / "test.jsonl", taxonomy)
        predicted = [frozenset(p.label for p in turn) for turn in tagger.predict([row.turn for row in test])]
        scores = score([frozenset(row.label_ids) for row in test], predicted)
        row |= {
            "micro_f1": scores.micro_f1,
            "macro_f1": scores.macro_f1,
            "false_tag_rate": scores.false_tag_rate,
        }
    return row


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
