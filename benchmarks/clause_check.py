"""The model's clause check: where its spans point, what it keeps, and what it costs.

    python benchmarks/clause_check.py [--model DIR] [--pairs 600]

Spans. The corpus has no gold spans, so test rows of ``taxonomy/corpus/test.jsonl`` are said two at a time
as one turn (as :func:`~convmine.tagging.model.training.joined_turns` builds training rows): for a label
that only one of the two rows carries, the right evidence lies inside that row's text. For each tagger,
with the check and without: how many such labels it finds, how many of those have a span narrower than
the turn, and how many spans lie inside the right row. ``chance`` is what picking one of the turn's
clauses at random would get right. Rows are masked and normalised, as ``convmine tag`` reads them.
``check`` is ``off``, ``on`` (the default: clauses scored where a label below ``CERTAIN`` is to be
checked) or ``spans`` (``clause_spans=True``: also where every label to check is near certain).

Speed: each tagger on the corpus dialogues' customer turns (with their context), in the three ways,
side by side (best of two runs each). Accuracy with and without the check on every data set is
in ``benchmarks/model_accuracy.py``. Needs the ``onnx`` extra.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from convmine.corpus import Example, read_dialogues, read_jsonl
from convmine.pipeline import Pipeline
from convmine.tagging.model import CombinedTagger, load_model_tagger, shipped_model
from convmine.tagging.model.training import TrainSettings, joined_turns
from convmine.tagging.rules import RuleTagger
from convmine.taxonomy import load_taxonomy
from convmine.text import clauses

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "taxonomy" / "corpus"
#: The model's (clause_check, clause_spans) in each way compared.
CHECKS = {"off": (False, False), "on": (True, False), "spans": (True, True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="saved model (default: the shipped one)")
    parser.add_argument("--pairs", type=int, default=600, help="joined test turns to check")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    model = load_model_tagger(args.model or shipped_model(), taxonomy)
    taggers = {"model": model, "model+rules": CombinedTagger(model, RuleTagger(taxonomy))}

    rows = [row for row in read_jsonl(CORPUS / "test.jsonl", taxonomy) if row.labels]
    by_id = {row.id: row for row in rows}
    settings = TrainSettings(joined_turns=args.pairs / len(rows), seed=7)
    pairs = []
    for joined in joined_turns(rows, taxonomy, settings):
        first, second = (by_id[i] for i in str(joined.id).split("+"))
        if not set(first.label_ids) & set(second.label_ids):
            pairs.append((joined, first, second))
    print(
        f"{len(pairs)} joined test turns, two labelled rows each with no label in common; labels that one row"
    )
    print("carries: found, found with a span narrower than the turn, and with a span inside the right row\n")
    print(f"{'tagger':12} {'check':>5} {'found':>6} {'narrow':>7} {'right':>6} {'chance':>7}")
    for name, tagger in taggers.items():
        for check in CHECKS:
            model.clause_check, model.clause_spans = CHECKS[check]
            _spans(f"{name:12} {check:>5}", Pipeline(tagger), pairs)

    turns = [row.turn for d in read_dialogues(CORPUS / "dialogues.jsonl", taxonomy) for row in d.examples()]
    print(f"\nturns/s on the {len(turns)} customer turns of the corpus dialogues, with their context:")
    print(f"{'tagger':12} {'off':>6} {'on':>6} {'spans':>6} {'on/off':>7} {'spans/off':>9}")
    for name, tagger in taggers.items():
        tagger.predict(turns[:64])  # warm up
        speed: dict[str, list[float]] = {check: [] for check in CHECKS}
        for check in [*CHECKS, *CHECKS]:
            model.clause_check, model.clause_spans = CHECKS[check]
            started = time.perf_counter()
            tagger.predict(turns)
            speed[check].append(len(turns) / (time.perf_counter() - started))
        off, on, spans = (max(speed[check]) for check in CHECKS)
        print(f"{name:12} {off:6.0f} {on:6.0f} {spans:6.0f} {on / off:7.2f} {spans / off:9.2f}")


def _spans(row: str, pipeline: Pipeline, pairs: list[tuple[Example, Example, Example]]) -> None:
    turns = [replace(joined, text=pipeline.prepare(joined.text)).turn for joined, _, _ in pairs]
    carried = found = narrow = right = 0
    chance = 0.0
    for (joined, first, second), predictions in zip(pairs, pipeline.predict(turns), strict=True):
        parts = {label: (0, len(first.text)) for label in first.label_ids}
        parts |= {
            label: (len(joined.text) - len(second.text), len(joined.text)) for label in second.label_ids
        }
        carried += len(parts)
        cut = clauses(joined.text)
        for p in predictions:
            if p.label not in parts or p.span is None:
                continue
            found += 1
            if p.span == (0, len(joined.text)):
                continue
            low, high = parts[p.label]
            narrow += 1
            right += low <= p.span[0] and p.span[1] <= high
            chance += sum(low <= a and b <= high for a, b in cut) / max(len(cut), 1)
    print(
        f"{row} {found / carried:6.1%} {narrow / carried:7.1%} {right / carried:6.1%} {chance / carried:7.1%}"
    )


if __name__ == "__main__":
    main()
