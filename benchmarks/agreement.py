"""How far two independent annotators agree with the corpus's test labels, and where the tagger stands.

    python benchmarks/agreement.py [--model DIR] [--json OUT]

Data: ``benchmarks/data/second_annotation.jsonl``: rows of ``taxonomy/corpus/test.jsonl``, each labelled
twice more (``first``, ``second``), blind to the corpus's labels, to each other and to every tagger
(see ``benchmarks/data/README.md``): 400 rows drawn at random (``sample: random``) and 400 drawn from
the rows without a label (``sample: no_label``), to measure false tags. The tagger is the model (the
shipped one unless ``--model``) with the rules and the clause check, as ``convmine tag`` runs it.

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


Sources = dict[str, list[frozenset[str]]]


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
    annotated = [json.loads(line) for line in ANNOTATION.open(encoding="utf-8")]
    random = [record for record in annotated if record["sample"] == "random"]
    sources = _sources(test, random)
    results = {
        "pairwise_micro_f1": _pairwise(sources),
        "against_corpus": _against_corpus(sources, [_first_round(r["id"]) for r in random]),
        "false_tags": _false_tags(_sources(test, annotated)),
        "tagger_on_test": _by_round(test),
    }
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _sources(test: Predicted, records: list[dict]) -> Sources:
    """The corpus's labels, the tagger's and each annotation's, for these annotated rows."""
    position = {key: n for n, key in enumerate(test.keys)}
    rows = [position[record["id"]] for record in records]
    return {"corpus": [test.gold[n] for n in rows], "tagger": [test.predicted[n] for n in rows]} | {
        name: [frozenset(label.partition("=")[0] for label in record[name]) for record in records]
        for name in ANNOTATIONS
    }


def _pairwise(sources: Sources) -> dict[str, float]:
    names = list(sources)
    no_label = sum(not labels for labels in sources["corpus"])
    print(
        f"micro-F1 between sources on {len(sources['corpus'])} random test rows ({no_label} without a label):"
    )
    print(" " * 8 + "".join(f"{name:>8}" for name in names))
    pairs = {}
    for i, a in enumerate(names):
        f1 = {b: score(sources[a], sources[b]).micro_f1 for b in names if b != a}
        print(f"{a:8}" + "".join(f"{f1[b]:8.3f}" if b != a else f"{'-':>8}" for b in names))
        pairs |= {f"{a}~{b}": f1[b] for b in names[i + 1 :]}
    return pairs


def _against_corpus(sources: Sources, first: list[bool]) -> dict[str, dict[str, object]]:
    """Each source scored against the corpus's labels, on all rows and by round; the tagger minus each
    annotation with a paired-bootstrap interval."""
    print(
        f"\nagainst the corpus's labels:  micro  macro  first round ({sum(first)})  later ({first.count(False)})"
    )
    against: dict[str, dict[str, object]] = {}
    for name in ("tagger", *ANNOTATIONS):
        whole = score(sources["corpus"], sources[name])
        parts = [
            score(*(_where(sources[s], first, part) for s in ("corpus", name))).micro_f1
            for part in (True, False)
        ]
        against[name] = {
            "micro_f1": whole.micro_f1,
            "macro_f1": whole.macro_f1,
            "first_round": parts[0],
            "later_rounds": parts[1],
        }
        print(f"  {name:27} {whole.micro_f1:6.3f} {whole.macro_f1:6.3f} {parts[0]:16.3f} {parts[1]:11.3f}")
    print("\ntagger minus annotation, micro-F1 against the corpus's labels (95 % paired bootstrap):")
    tagged = Predicted(gold=sources["corpus"], predicted=sources["tagger"])
    for name in ANNOTATIONS:
        d = compare(tagged, Predicted(gold=sources["corpus"], predicted=sources[name]))
        print(
            f"  minus {name:8} {d.delta:+.3f}  [{d.low:+.3f}, {d.high:+.3f}]  {'clear' if d.clear else 'not clear'}"
        )
        against["tagger"][f"minus_{name}"] = d.to_dict()
    return against


def _false_tags(sources: Sources) -> dict[str, dict[str, float]]:
    """Rows without a corpus label that each source tags; McNemar of the tagger against each annotation."""
    no_label = [not labels for labels in sources["corpus"]]
    tags = {
        name: [bool(labels) for labels in _where(found, no_label, True)]
        for name, found in sources.items()
        if name != "corpus"
    }
    rows = sum(no_label)
    print(f"\nfalse tags on the {rows} annotated rows without a corpus label:")
    figures: dict[str, dict[str, float]] = {}
    for name, flags in tags.items():
        figures[name] = {"rows": sum(flags), "rate": round(sum(flags) / rows, 4)}
        line = f"  {name:8} {sum(flags):4} ({sum(flags) / rows:.1%})"
        if name != "tagger":
            only_tagger = sum(t and not a for t, a in zip(tags["tagger"], flags, strict=True))
            only_this = sum(a and not t for t, a in zip(tags["tagger"], flags, strict=True))
            p = _mcnemar(only_tagger, only_this)
            figures[name] |= {
                "only_tagger": only_tagger,
                "only_annotation": only_this,
                "mcnemar_p": round(p, 4),
            }
            line += f"   tagger only {only_tagger}, {name} only {only_this}, McNemar p = {p:.3f}"
        print(line)
    both = sum(a and b for a, b in zip(*(tags[name] for name in ANNOTATIONS), strict=True))
    figures["both_annotations"] = {"rows": both, "rate": round(both / rows, 4)}
    print(f"  both annotations tag {both} ({both / rows:.1%})")
    return figures


def _by_round(test: Predicted) -> dict[str, dict[str, float]]:
    """The tagger on every row of test.jsonl, on the first round's rows and on the later rounds'."""
    print(f"\nthe tagger on all {len(test.keys)} rows of test.jsonl:      micro  macro  false tags")
    first = [_first_round(key) for key in test.keys]
    figures = {}
    for part, name in ((None, "all"), (True, "first round"), (False, "later rounds")):
        gold, predicted = (
            (test.gold, test.predicted)
            if part is None
            else (_where(x, first, part) for x in (test.gold, test.predicted))
        )
        scores = score(gold, predicted)
        figures[name] = {
            "rows": len(gold),
            "micro_f1": scores.micro_f1,
            "macro_f1": scores.macro_f1,
            "false_tag_rate": scores.false_tag_rate,
        }
        print(
            f"  {name:13} {len(gold):5} rows {scores.micro_f1:20.3f} {scores.macro_f1:6.3f} {scores.false_tag_rate:10.1%}"
        )
    return figures


def _where(items: list, mask: list[bool], value: bool) -> list:
    """The items whose mask entry equals ``value``."""
    return [item for item, flag in zip(items, mask, strict=True) if flag == value]


def _first_round(row_id: str) -> bool:
    """Whether a row (or a dialogue turn, ``dlg-019#05``) was written in the corpus's first round."""
    prefix, _, number = row_id.partition("#")[0].rpartition("-")
    return prefix == "nl" or int(number) < SECOND_ROUND_STARTS[prefix]


def _mcnemar(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for ``b`` and ``c`` discordant pairs."""
    n = b + c
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(comb(n, k) for k in range(min(b, c) + 1)) / 2**n)


if __name__ == "__main__":
    main()
