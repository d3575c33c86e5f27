"""How far two independent annotators agree with the corpus's test labels, and where the tagger stands.

    python benchmarks/agreement.py [--model DIR] [--json OUT]

Data: ``benchmarks/data/second_annotation.jsonl``: rows of ``taxonomy/corpus/test.jsonl``, each labelled
twice more (``first``, ``second``), blind to the corpus's labels, to each other and to every tagger
(see ``benchmarks/data/README.md``): 400 rows drawn at random (``sample: random``) and 400 drawn from
the rows without a label (``sample: no_label``), to measure false tags. The tagger is the default
one, model + rules + clause check, as ``convmine tag`` runs it.

Prints micro-F1 between every pair of the four sources on the random rows (micro-F1 is symmetric, so
either side can be read as the reference); each source against the corpus's labels (micro, macro, and
on the first round's rows and the later rounds' apart); the tagger's difference from each annotation
with a 95 % paired-bootstrap interval; false tags on every annotated row without a corpus label, with
an exact McNemar test of tagger against annotation; and the tagger on all of test.jsonl by round.
Needs the ``onnx`` extra.
"""

from __future__ import annotations

import argparse
import json
from math import comb
from pathlib import Path

from convmine.corpus import read_jsonl
from convmine.evaluate import Predicted, compare, predict_turns, score
from convmine.pipeline import Pipeline
from convmine.tagging.model import CombinedTagger, load_model_tagger, shipped_model
from convmine.tagging.rules import RuleTagger
from convmine.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TEST = ROOT / "taxonomy" / "corpus" / "test.jsonl"
ANNOTATION = ROOT / "benchmarks" / "data" / "second_annotation.jsonl"
ANNOTATIONS = ("first", "second")
#: The first ids of the corpus's second round of writing (DATASHEET, "Collection and labelling process"):
#: rows below them (and every ``nl-`` row) are the first round's, written before any model existed;
#: later rounds were aimed at the weak spots of the model of their day.
SECOND_ROUND_STARTS = {"bo": 2424, "pr": 1952, "fb": 2373, "dlg": 74}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", type=Path, default=None, help="saved model directory (default: the shipped one)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    tagger = CombinedTagger(load_model_tagger(args.model or shipped_model(), taxonomy), RuleTagger(taxonomy))
    test = predict_turns(Pipeline(tagger), read_jsonl(TEST, taxonomy))
    position = {key: n for n, key in enumerate(test.keys)}
    annotated = [json.loads(line) for line in ANNOTATION.open(encoding="utf-8")]
    results: dict[str, object] = {}

    random = [record for record in annotated if record["sample"] == "random"]
    sources = _sources(test, position, random)
    names = list(sources)
    no_label = sum(not labels for labels in sources["corpus"])
    print(f"micro-F1 between sources on {len(random)} random test rows ({no_label} without a label):")
    print(" " * 8 + "".join(f"{name:>8}" for name in names))
    pairs = {}
    for a in names:
        cells = []
        for b in names:
            f1 = score(sources[a], sources[b]).micro_f1
            cells.append(f"{f1:8.3f}" if a != b else f"{'-':>8}")
            if names.index(a) < names.index(b):
                pairs[f"{a}~{b}"] = f1
        print(f"{a:8}" + "".join(cells))
    results["pairwise_micro_f1"] = pairs

    first = [_first_round(record["id"]) for record in random]
    print(
        f"\nagainst the corpus's labels:  micro  macro  first round ({sum(first)})  later ({len(first) - sum(first)})"
    )
    against = {}
    for name in ("tagger", *ANNOTATIONS):
        whole = score(sources["corpus"], sources[name])
        parts = [
            score(
                *(
                    [labels for labels, keep in zip(sources[s], first, strict=True) if keep == part]
                    for s in ("corpus", name)
                )
            ).micro_f1
            for part in (True, False)
        ]
        against[name] = {
            "micro_f1": whole.micro_f1,
            "macro_f1": whole.macro_f1,
            "first_round": parts[0],
            "later_rounds": parts[1],
        }
        print(f"  {name:27} {whole.micro_f1:6.3f} {whole.macro_f1:6.3f} {parts[0]:16.3f} {parts[1]:11.3f}")
    results["against_corpus"] = against

    print("\ntagger minus annotation, micro-F1 against the corpus's labels (95 % paired bootstrap):")
    tagged = Predicted(gold=sources["corpus"], predicted=sources["tagger"])
    for name in ANNOTATIONS:
        d = compare(tagged, Predicted(gold=sources["corpus"], predicted=sources[name]))
        verdict = "clear" if d.clear else "not clear"
        print(f"  minus {name:8} {d.delta:+.3f}  [{d.low:+.3f}, {d.high:+.3f}]  {verdict}")
        results[f"tagger_minus_{name}"] = d.to_dict()

    unlabelled = _sources(test, position, annotated)
    keep = [not labels for labels in unlabelled["corpus"]]
    tagged_any = {
        name: [bool(labels) for labels, k in zip(unlabelled[name], keep, strict=True) if k]
        for name in names[1:]
    }
    rows = sum(keep)
    print(f"\nfalse tags on the {rows} annotated rows without a corpus label:")
    false_tags = {}
    for name, flags in tagged_any.items():
        false_tags[name] = {"rows": sum(flags), "rate": round(sum(flags) / rows, 4)}
        line = f"  {name:8} {sum(flags):4} ({sum(flags) / rows:.1%})"
        if name != "tagger":
            only_tagger = sum(t and not a for t, a in zip(tagged_any["tagger"], flags, strict=True))
            only_this = sum(a and not t for t, a in zip(tagged_any["tagger"], flags, strict=True))
            p = _mcnemar(only_tagger, only_this)
            false_tags[name] |= {
                "only_tagger": only_tagger,
                "only_annotation": only_this,
                "mcnemar_p": round(p, 4),
            }
            line += f"   tagger only {only_tagger}, {name} only {only_this}, McNemar p = {p:.3f}"
        print(line)
    both = sum(a and b for a, b in zip(*(tagged_any[name] for name in ANNOTATIONS), strict=True))
    false_tags["both_annotations"] = {"rows": both, "rate": round(both / rows, 4)}
    print(f"  both annotations tag {both} ({both / rows:.1%})")
    results["false_tags"] = false_tags

    print(f"\nthe tagger on all {len(test.keys)} rows of test.jsonl:      micro  macro  false tags")
    by_round = {}
    for part, name in ((None, "all"), (True, "first round"), (False, "later rounds")):
        chosen = [n for n, key in enumerate(test.keys) if part is None or _first_round(key) == part]
        scores = score([test.gold[n] for n in chosen], [test.predicted[n] for n in chosen])
        by_round[name] = {
            "rows": len(chosen),
            "micro_f1": scores.micro_f1,
            "macro_f1": scores.macro_f1,
            "false_tag_rate": scores.false_tag_rate,
        }
        print(
            f"  {name:13} {len(chosen):5} rows {scores.micro_f1:20.3f} {scores.macro_f1:6.3f} {scores.false_tag_rate:10.1%}"
        )
    results["tagger_on_test"] = by_round
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _sources(
    test: Predicted, position: dict[str, int], records: list[dict]
) -> dict[str, list[frozenset[str]]]:
    """The corpus's labels, the tagger's and each annotation's, for these annotated rows."""
    rows = [position[record["id"]] for record in records]
    return {"corpus": [test.gold[n] for n in rows], "tagger": [test.predicted[n] for n in rows]} | {
        name: [frozenset(label.partition("=")[0] for label in record[name]) for record in records]
        for name in ANNOTATIONS
    }


def _first_round(row_id: str) -> bool:
    """Whether a row (or a dialogue turn, ``dlg-019#05``) was written in the corpus's first round."""
    prefix, _, number = row_id.partition("#")[0].rpartition("-")
    return prefix == "nl" or int(number) < SECOND_ROUND_STARTS[prefix]


def _mcnemar(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for ``b`` and ``c`` discordant pairs."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


if __name__ == "__main__":
    main()
