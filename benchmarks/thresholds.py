"""How many dev positives a label needs before it gets a threshold of its own, by cross-validation on dev.

    python benchmarks/thresholds.py [--model DIR] [--repeats 10]

:func:`~convmine.tagging.model.labels.tune_thresholds` gives each label with at least ``min_support``
positives on dev its own threshold and lets the others share one. Here dev is split in two halves at
random: thresholds tuned on one half score the other (and the other way round), ``--repeats`` times,
with the model's bare scores (no rules, no clause check). A half holds about half of each label's
positives, so the half is tuned with ``min_support / 2``, standing for ``min_support`` on the whole of
dev. Test data is not read. Needs the ``onnx`` extra.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from convmine.corpus import read_jsonl
from convmine.tagging.model import load_model_tagger, shipped_model
from convmine.tagging.model.labels import MIN_SUPPORT, tune_thresholds
from convmine.tagging.model.training import scores_at
from convmine.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
SUPPORTS = (1, 6, 20, MIN_SUPPORT, 10_000)  # 1: every label its own; 10,000: one threshold for all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="saved model (default: the shipped one)")
    parser.add_argument("--repeats", type=int, default=10, help="random halvings of dev")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    tagger = load_model_tagger(args.model or shipped_model(), taxonomy)
    space = tagger.space
    dev = read_jsonl(ROOT / "taxonomy" / "corpus" / "dev.jsonl", taxonomy)
    probabilities = tagger.scores([row.turn for row in dev])
    gold = space.targets([list(row.label_ids) for row in dev])[0]

    def scored(rows: np.ndarray, thresholds: np.ndarray) -> tuple[float, float, float]:
        s = scores_at(space, probabilities[rows], thresholds, [dev[i] for i in rows])
        return s.micro_f1, s.macro_f1, s.false_tag_rate

    rng = np.random.default_rng(0)
    results: dict[int, list[tuple[float, float, float]]] = {k: [] for k in SUPPORTS}
    for _ in range(args.repeats):
        order = rng.permutation(len(dev))
        halves = order[: len(dev) // 2], order[len(dev) // 2 :]
        for tuned, held in (halves, halves[::-1]):
            for k in SUPPORTS:
                thresholds = tune_thresholds(
                    space, probabilities[tuned], gold[tuned], min_support=max(1, k // 2)
                )
                results[k].append(scored(held, thresholds))
    own = {k: int((gold.sum(axis=0) >= k).sum()) for k in SUPPORTS}
    print(
        f"dev: {len(dev)} turns; thresholds tuned on one half, scored on the other ({2 * args.repeats} runs)"
    )
    print(f"{'min_support':>11} {'own':>4} {'micro':>6} {'macro':>6} {'false':>6}")
    for k, rows in results.items():
        micro, macro, false = np.mean(rows, axis=0)
        mark = "  (default)" if k == MIN_SUPPORT else ""
        print(f"{k:>11} {own[k]:>4} {micro:6.3f} {macro:6.3f} {false:6.3f}{mark}")
    print("own: labels with at least min_support positives on the whole of dev (their own threshold)")


if __name__ == "__main__":
    main()
