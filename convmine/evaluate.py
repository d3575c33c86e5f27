"""Score a tagger on labelled data: per-label precision/recall/F1, micro/macro F1, false-tag rate.

Utterance level reads the spec's JSONL rows (``text``, ``labels``, ``context``); call level reads
whole dialogues (``call`` with labelled customer turns and the expected call-level ``profile``) and
compares the set of labels the pipeline finds in each call with that profile. :func:`compare` says
whether one tagger is ahead of another beyond chance (a paired bootstrap over the same items).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from convmine.corpus import Dialogue, Example, read_dialogues, read_jsonl
from convmine.errors import InputError
from convmine.extras import require
from convmine.pipeline import Pipeline
from convmine.taxonomy import category_order
from convmine.text.pii import mask

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
    for cat in category_order(lab.split(".", 1)[0] for lab in labels):
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


@dataclass(slots=True)
class Predicted:
    """Gold and predicted label sets item by item (turns or calls), and how many gold yields were read
    right (within :data:`VALUE_TOLERANCE`). ``keys`` name the items (row or dialogue IDs); ``texts`` hold
    each turn as the tagger read it (masked), and stay empty for whole calls."""

    gold: list[frozenset[str]] = field(default_factory=list)
    predicted: list[frozenset[str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    values_right: int = 0
    values: int = 0

    def scores(self) -> Scores:
        scores = score(self.gold, self.predicted)
        scores.value_accuracy = round(self.values_right / self.values, 4) if self.values else None
        return scores

    def errors(self) -> list[dict[str, object]]:
        """The items where tagger and labels differ: what was missed and what was added (keys masked, as the
        texts are: a row ID can hold a number)."""
        keys = [mask(key) for key in self.keys] or [f"item {n}" for n in range(1, len(self.gold) + 1)]
        texts = self.texts or [""] * len(self.gold)
        return [
            {"item": key}
            | ({"text": text} if text else {})
            | {"gold": sorted(g), "predicted": sorted(p), "missed": sorted(g - p), "extra": sorted(p - g)}
            for key, text, g, p in zip(keys, texts, self.gold, self.predicted, strict=True)
            if g != p
        ]


def predict_turns(pipeline: Pipeline, rows: Sequence[Example], *, batch_size: int = 256) -> Predicted:
    """Tag labelled utterance rows (each with its context) turn by turn."""
    result = Predicted()
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        for offset, (row, preds) in enumerate(
            zip(chunk, pipeline.predict([r.turn for r in chunk]), strict=True)
        ):
            labels, values = _gold(row.labels)
            result.gold.append(labels)
            result.predicted.append(frozenset(p.label for p in preds))
            result.keys.append(row.id or f"row {start + offset + 1}")
            result.texts.append(pipeline.prepare(row.text))
            got = {p.label: p.value for p in preds if p.value is not None}
            for label, value in values.items():
                result.values += 1
                result.values_right += label in got and abs(got[label] - value) <= VALUE_TOLERANCE
    return result


def predict_calls(pipeline: Pipeline, dialogues: Sequence[Dialogue]) -> Predicted:
    """Tag whole dialogues: the labels found anywhere in a call, against its expected profile."""
    tagged = pipeline.pipe(d.call for d in dialogues)
    return Predicted(
        gold=[_gold(d.profile)[0] for d in dialogues],
        predicted=[frozenset(t.label for t in result.tags) for result in tagged],
        keys=[d.dialogue_id for d in dialogues],
    )


def predict_file(pipeline: Pipeline, path: str | Path, *, split: str | None = None) -> Predicted:
    """Tag a labelled JSONL file: utterance rows turn by turn, or whole dialogues at call level.

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
        return predict_calls(pipeline, dialogues)
    if split is not None:
        raise InputError(
            "--split picks dialogues of a whole-dialogue file; this file holds turn rows", str(path)
        )
    return predict_turns(pipeline, read_jsonl(path, pipeline.taxonomy))


def evaluate_file(pipeline: Pipeline, path: str | Path, *, split: str | None = None) -> Scores:
    """Score the pipeline on a labelled JSONL file (see :func:`predict_file`)."""
    return predict_file(pipeline, path, split=split).scores()


@dataclass(frozen=True, slots=True)
class Difference:
    """Micro-F1 of one tagger minus another's on the same items, with a paired bootstrap interval."""

    first: float
    second: float
    delta: float
    low: float  # the interval's bounds
    high: float
    level: float  # the interval's coverage, 0.95 by default
    items: int
    rounds: int

    @property
    def clear(self) -> bool:
        """Whether the interval leaves out zero: one tagger is ahead beyond resampling noise."""
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self) | {"clear": self.clear}


def compare(
    first: Predicted, second: Predicted, *, rounds: int = 2000, level: float = 0.95, seed: int = 0
) -> Difference:
    """Paired bootstrap of the micro-F1 difference ``first - second``: the items are resampled with
    replacement ``rounds`` times, both taggers scored on each resample, and the central ``level`` share
    of the differences is the interval. Both must be predictions for the same gold items."""
    if first.gold != second.gold:
        raise ValueError("compare needs predictions for the same labelled items, in the same order")
    n = len(first.gold)
    if n == 0:
        raise ValueError("compare needs at least one labelled item")
    np = require("numpy", "onnx", "the paired bootstrap of a comparison")
    gold = np.array([len(g) for g in first.gold], dtype=np.int64)
    counts = [
        (
            np.array([len(g & p) for g, p in zip(first.gold, side.predicted, strict=True)], dtype=np.int64),
            np.array([len(p) for p in side.predicted], dtype=np.int64),
        )
        for side in (first, second)
    ]
    generator = np.random.default_rng(seed)
    deltas = []
    per_chunk = max(1, 2_000_000 // n)  # keep the index matrix to a few MB however many items
    for done in range(0, rounds, per_chunk):
        index = generator.integers(0, n, size=(min(per_chunk, rounds - done), n))
        f1 = [
            _micro(tp[index].sum(1), predicted[index].sum(1), gold[index].sum(1)) for tp, predicted in counts
        ]
        deltas.append(f1[0] - f1[1])
    spread = np.concatenate(deltas)
    tail = (1 - level) / 2
    whole = [float(_micro(tp.sum(), predicted.sum(), gold.sum())) for tp, predicted in counts]
    return Difference(
        first=round(whole[0], 4),
        second=round(whole[1], 4),
        delta=round(whole[0] - whole[1], 4),
        low=round(float(np.quantile(spread, tail)), 4),
        high=round(float(np.quantile(spread, 1 - tail)), 4),
        level=level,
        items=n,
        rounds=rounds,
    )


def _micro(tp, predicted, gold):  # type: ignore[no-untyped-def]  # ints or arrays alike
    np = require("numpy", "onnx")
    denominator = predicted + gold
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def holds_dialogues(path: str | Path) -> bool:
    """Whether a labelled JSONL file holds whole dialogues (its first record has a ``call``), not turn rows."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as lines:
            first = next((line for line in lines if line.strip()), "")
    except OSError as exc:
        raise InputError(f"cannot read labelled data: {exc.strerror or exc}", str(path)) from None
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text; re-save it as UTF-8", str(path)) from None
    if not first:
        raise InputError("holds no labelled rows", str(path))
    try:
        record = json.loads(first)
    except json.JSONDecodeError:
        return False  # the row reader reports the bad line
    return isinstance(record, dict) and "call" in record  # the row reader reports a line not an object
