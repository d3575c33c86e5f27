"""Accuracy of the rule tagger, the model and their combinations, side by side.

    python benchmarks/model_accuracy.py [--model DIR] [--json OUT]

Data: ``taxonomy/corpus/{dev,test}.jsonl``, the dev and test dialogues (turn level and call level, and
their calls pooled), and ``benchmarks/data/fresh_phrasings.jsonl`` and ``fresh_dialogues.jsonl`` (turns
and whole calls written apart from the corpus and never trained on, to check that the model was not tuned
to our own test data). Ends with the default combination's micro-F1 difference from the rules on each data set, with a 95 % paired-bootstrap
interval. Needs the ``onnx`` extra.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from convmine.corpus import read_dialogues
from convmine.evaluate import Predicted, compare, predict_calls, predict_file, predict_turns
from convmine.pipeline import Pipeline
from convmine.tagging.model import CombinedTagger, load_model_tagger, shipped_model
from convmine.tagging.model.combine import DEFAULT_MODE, MODES
from convmine.tagging.rules import RuleTagger
from convmine.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "taxonomy" / "corpus"
FRESH = ROOT / "benchmarks" / "data" / "fresh_phrasings.jsonl"
FRESH_DIALOGUES = ROOT / "benchmarks" / "data" / "fresh_dialogues.jsonl"
#: The default combination without the model's clause check (every label kept, whole-turn spans).
UNCHECKED = f"model+rules:{DEFAULT_MODE}:unchecked"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", type=Path, default=None, help="saved model directory (default: the shipped one)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    rules = RuleTagger(taxonomy)
    model = load_model_tagger(args.model or shipped_model(), taxonomy)
    taggers = {"rules": rules} | {f"model+rules:{mode}": CombinedTagger(model, rules, mode) for mode in MODES}
    unchecked = load_model_tagger(args.model or shipped_model(), taxonomy, clause_check=False)
    taggers[UNCHECKED] = CombinedTagger(unchecked, rules)
    results: dict[str, dict[str, dict[str, float | None]]] = {}
    predicted: dict[str, dict[str, Predicted]] = {}
    print(f"{'tagger':28} {'data':16} {'micro':>6} {'macro':>6} {'false':>6} {'value':>6}")
    for name, tagger in taggers.items():
        predicted[name] = _predict(Pipeline(tagger), taxonomy)
        for data, outcome in predicted[name].items():
            scores = outcome.scores()
            row = {
                "micro_f1": scores.micro_f1,
                "macro_f1": scores.macro_f1,
                "false_tag_rate": scores.false_tag_rate,
                "value_accuracy": scores.value_accuracy,
            }
            results.setdefault(name, {})[data] = row
            value = "-" if scores.value_accuracy is None else f"{scores.value_accuracy:.3f}"
            false = f"{scores.false_tag_rate:.3f}" if scores.no_label_items else "-"  # every call has a label
            print(f"{name:28} {data:16} {scores.micro_f1:6.3f} {scores.macro_f1:6.3f} {false:>6} {value:>6}")
    default = f"model+rules:{DEFAULT_MODE}"
    for other in ("rules", UNCHECKED):
        print(f"\n{default} minus {other}, micro-F1 (95 % paired-bootstrap interval):")
        for data, outcome in predicted[default].items():
            d = compare(outcome, predicted[other][data])
            verdict = "clear" if d.clear else "not clear"
            print(f"  {data:16} {d.delta:+.3f}  [{d.low:+.3f}, {d.high:+.3f}]  {d.items:5} items  {verdict}")
            results[default][data][f"minus_{other}"] = d.delta
            results[default][data][f"minus_{other}_interval"] = [d.low, d.high]  # type: ignore[assignment]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _predict(pipeline: Pipeline, taxonomy) -> dict[str, Predicted]:  # type: ignore[no-untyped-def]
    """Held-out data only: the dialogues of the train split are left out (their turns are training rows)."""
    dialogues = read_dialogues(CORPUS / "dialogues.jsonl", taxonomy)
    held_out = {split: [d for d in dialogues if d.split == split] for split in ("dev", "test")}
    fresh = read_dialogues(FRESH_DIALOGUES, taxonomy)
    return {
        "dev": predict_file(pipeline, CORPUS / "dev.jsonl"),
        "test": predict_file(pipeline, CORPUS / "test.jsonl"),
        **{
            f"{split} dlg turns": predict_turns(pipeline, [row for d in chosen for row in d.examples()])
            for split, chosen in held_out.items()
        },
        **{f"{split} dlg calls": predict_calls(pipeline, chosen) for split, chosen in held_out.items()},
        "all dlg calls": predict_calls(pipeline, held_out["dev"] + held_out["test"]),  # pooled
        "fresh phrasings": predict_file(pipeline, FRESH),
        "fresh dlg turns": predict_turns(pipeline, [row for d in fresh for row in d.examples()]),
        "fresh dlg calls": predict_calls(pipeline, fresh),
    }


if __name__ == "__main__":
    main()
