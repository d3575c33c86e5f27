"""Score a tagger on labelled data: per-label precision/recall/F1, micro/macro F1, false-tag rate.

Utterance level reads the spec's JSONL rows (``text``, ``labels``, ``context``); call level reads
whole dialogues (``call`` with labelled customer turns and the expected call-level ``profile``) and
compares the set of labels the pipeline finds in each call with that profile.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from convmine.corpus import Dialogue, Example, read_dialogues, read_jsonl
from convmine.errors import InputError
from convmine.pipeline import Pipeline
from convmine.taxonomy import CATEGORIES

VALUE_TOLERANCE = 0.25  # a predicted yield within ±0.25 percentage points counts as right


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int  # gold occurrences
    predicted: int
    true_positives: int


def _prf(tp: int, gold: int, pred: int) -> PRF:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(round(p, 4), round(r, 4), round(f, 4), gold, pred, tp)


@dataclass(slots=True)
class Scores:
    """Scores over a set of items (turns or calls)."""

    items: int
    micro: PRF
    macro_f1: float
    per_label: dict[str, PRF]
    per_category: dict[str, PRF]
    no_label_items: int = 0
    false_tag_rate: float = 0.0  # share of no-label items that got at least one tag
    value_accuracy: float | None = None  # share of gold values predicted within VALUE_TOLERANCE

    @property
    def micro_f1(self) -> float:
        return self.micro.f1

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["micro_f1"] = self.micro.f1
        return data


def score(gold: Sequence[frozenset[str]], predicted: Sequence[frozenset[str]]) -> Scores:
    """Multi-label scores. Macro-F1 averages over labels seen in gold or predictions."""
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    no_label = false_tagged = 0
    for g, p in zip(gold, predicted, strict=True):
        n_gold.update(g)
        n_pred.update(p)
        tp.update(g & p)
        if not g:
            no_label += 1
            false_tagged += bool(p)
    labels = sorted(set(n_gold) | set(n_pred))
    per_label = {lab: _prf(tp[lab], n_gold[lab], n_pred[lab]) for lab in labels}
    per_category = {}
    for cat in CATEGORIES:
        in_cat = [lab for lab in labels if lab.split(".", 1)[0] == cat]
        if in_cat:
            per_category[cat] = _prf(*(sum(c[lab] for lab in in_cat) for c in (tp, n_gold, n_pred)))
    macro = round(sum(s.f1 for s in per_label.values()) / len(per_label), 4) if per_label else 0.0
    return Scores(
        items=len(gold),
        micro=_prf(sum(tp.values()), sum(n_gold.values()), sum(n_pred.values())),
        macro_f1=macro,
        per_label=per_label,
        per_category=per_category,
        no_label_items=no_label,
        false_tag_rate=round(false_tagged / no_label, 4) if no_label else 0.0,
    )


def _gold(labels: Sequence[str]) -> tuple[frozenset[str], dict[str, float]]:
    """Label IDs and values of a labelled row (``preference.return.target=3.5`` carries 3.5)."""
    values = {}
    for label in labels:
        label_id, sep, value = label.partition("=")
        if sep:
            values[label_id] = float(value)
    return frozenset(label.partition("=")[0] for label in labels), values


def evaluate_turns(pipeline: Pipeline, rows: Sequence[Example], *, batch_size: int = 256) -> Scores:
    """Score the pipeline turn by turn on labelled utterances."""
    gold, predicted = [], []
    hits = total = 0
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        for row, preds in zip(chunk, pipeline.predict([r.turn for r in chunk]), strict=True):
            labels, values = _gold(row.labels)
            gold.append(labels)
            predicted.append(frozenset(p.label for p in preds))
            got = {p.label: p.value for p in preds if p.value is not None}
            for label, value in values.items():
                total += 1
                hits += label in got and abs(got[label] - value) <= VALUE_TOLERANCE
    scores = score(gold, predicted)
    scores.value_accuracy = round(hits / total, 4) if total else None
    return scores


def evaluate_calls(pipeline: Pipeline, dialogues: Sequence[Dialogue]) -> Scores:
    """Score call-level profiles: the labels found anywhere in a call against the expected set."""
    tagged = pipeline.pipe(d.call for d in dialogues)
    predicted = [frozenset(t.label for t in result.tags) for result in tagged]
    return score([_gold(d.profile)[0] for d in dialogues], predicted)


def evaluate_file(pipeline: Pipeline, path: str | Path, *, split: str | None = None) -> Scores:
    """Score the pipeline on a labelled JSONL file: utterance rows, or whole dialogues at call level.

    ``split`` keeps only the dialogues of that split (``"test"``): the corpus's dialogues file holds
    the training dialogues too, whose turns a trained model has seen.
    """
    path = Path(path)
    if holds_dialogues(path):
        dialogues = read_dialogues(path, pipeline.taxonomy)
        if split is not None:
            dialogues = [d for d in dialogues if d.split == split]
            if not dialogues:
                raise InputError(f"holds no dialogue of split {split!r}", str(path))
        return evaluate_calls(pipeline, dialogues)
    if split is not None:
        raise InputError(
            "--split picks dialogues of a whole-dialogue file; this file holds turn rows", str(path)
        )
    return evaluate_turns(pipeline, read_jsonl(path, pipeline.taxonomy))


def holds_dialogues(path: str | Path) -> bool:
    """Whether a labelled JSONL file holds whole dialogues (its first record has a ``call``), not turn rows."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as lines:
            first = next((line for line in lines if line.strip()), "")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read labelled data: {exc}", str(path)) from None
    if not first:
        raise InputError("holds no labelled rows", str(path))
    try:
        return "call" in json.loads(first)
    except json.JSONDecodeError:
        return False  # the row reader reports the bad line
