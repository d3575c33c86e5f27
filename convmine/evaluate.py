"""Score a tagger on labelled data: per-label precision/recall/F1, micro/macro F1, false-tag rate.

Utterance level reads the spec's JSONL rows (``text``, ``labels``, ``context``); call level reads
whole dialogues (``call`` with labelled customer turns and the expected call-level ``profile``) and
compares the set of labels the pipeline finds in each call with that profile.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from convmine.errors import ConvmineError, InputError
from convmine.ingest import call_from_dict
from convmine.pipeline import Pipeline
from convmine.schema import Call, Turn
from convmine.taxonomy import CATEGORIES, Taxonomy

VALUE_TOLERANCE = 0.25  # a predicted yield within ±0.25 percentage points counts as right


@dataclass(frozen=True, slots=True)
class LabelledTurn:
    """One labelled customer turn: gold label IDs, gold values by label, and its context."""

    text: str
    labels: frozenset[str]
    values: dict[str, float] = field(default_factory=dict)
    context: tuple[str, ...] = ()
    id: str = ""


@dataclass(frozen=True, slots=True)
class LabelledCall:
    """A whole call and the label IDs a reader expects in its call-level profile."""

    call: Call
    profile: frozenset[str]
    id: str = ""


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


def evaluate_turns(pipeline: Pipeline, rows: Iterable[LabelledTurn], *, batch_size: int = 256) -> Scores:
    """Score the pipeline turn by turn on labelled utterances."""
    rows = list(rows)
    predicted: list[frozenset[str]] = []
    hits = total = 0
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        for row, preds in zip(chunk, pipeline.predict([Turn(r.text, r.context) for r in chunk]), strict=True):
            predicted.append(frozenset(p.label for p in preds))
            got = {p.label: p.value for p in preds if p.value is not None}
            for label, value in row.values.items():
                total += 1
                hits += label in got and abs(got[label] - value) <= VALUE_TOLERANCE
    scores = score([r.labels for r in rows], predicted)
    scores.value_accuracy = round(hits / total, 4) if total else None
    return scores


def evaluate_calls(pipeline: Pipeline, calls: Iterable[LabelledCall]) -> Scores:
    """Score call-level profiles: the labels found anywhere in a call against the expected set."""
    calls = list(calls)
    tagged = pipeline.pipe(c.call for c in calls)
    predicted = [frozenset(t.label for t in result.tags) for result in tagged]
    return score([c.profile for c in calls], predicted)


def read_labelled(path: str | Path, taxonomy: Taxonomy) -> list[LabelledTurn] | list[LabelledCall]:
    """Read labelled JSONL: utterance rows (the spec's format) or whole dialogues (``call`` + ``profile``).

    Every label is checked against ``taxonomy``; errors name the file and line.
    """
    path = Path(path)
    turns: list[LabelledTurn] = []
    calls: list[LabelledCall] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read labelled data: {exc}", str(path)) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if "call" in row:
                call = call_from_dict(row["call"])
                calls.append(
                    LabelledCall(
                        call, _labels(row.get("profile", []), taxonomy)[0], row.get("dialogue_id", "")
                    )
                )
            else:
                labels, values = _labels(row["labels"], taxonomy)
                context = tuple(row.get("context") or ())
                turns.append(LabelledTurn(row["text"], labels, values, context, str(row.get("id", ""))))
        except (json.JSONDecodeError, KeyError, TypeError, ConvmineError) as exc:
            reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InputError(f"bad labelled row: {reason}", str(path), number) from None
    if turns and calls:
        raise InputError("mixes utterance rows and whole dialogues; keep them in separate files", str(path))
    if not (turns or calls):
        raise InputError("holds no labelled rows", str(path))
    return calls or turns


def _labels(entries: list[str], taxonomy: Taxonomy) -> tuple[frozenset[str], dict[str, float]]:
    labels: set[str] = set()
    values: dict[str, float] = {}
    for entry in entries:
        label, value = taxonomy.parse_label(entry)
        labels.add(label)
        if value is not None:
            values[label] = value
    return frozenset(labels), values


def evaluate_file(pipeline: Pipeline, path: str | Path) -> Scores:
    """Read labelled data and score the pipeline on it, at utterance or call level as the file holds."""
    items = read_labelled(path, pipeline.taxonomy)
    if isinstance(items[0], LabelledCall):
        return evaluate_calls(pipeline, items)  # type: ignore[arg-type]
    return evaluate_turns(pipeline, items)  # type: ignore[arg-type]
