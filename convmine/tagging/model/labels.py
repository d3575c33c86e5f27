"""The tagger's output layout over a taxonomy, and turning scores into labels (numpy only).

Every label has one output score. Labels of a ``multi`` dimension are independent (sigmoid);
the labels of a ``single`` dimension share a softmax with one extra "none of them" logit, so at
most one value of the dimension is predicted. Logits are ``[one per label] + [one "none" per
single dimension]``; the network turns them into one probability per label.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from convmine.taxonomy import Taxonomy

DEFAULT_THRESHOLD = 0.5
#: Labels with fewer dev positives than this share one threshold (``benchmarks/thresholds.py``).
MIN_SUPPORT = 30


@dataclass(frozen=True, slots=True)
class LabelSpace:
    """Label order and the single-choice groups (indices into ``labels``)."""

    labels: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]
    #: Each label's column in the scores.
    column: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column", {label: i for i, label in enumerate(self.labels)})

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy) -> LabelSpace:
        labels = tuple(taxonomy.label_ids)
        index = {label: i for i, label in enumerate(labels)}
        groups = tuple(
            tuple(index[label.id] for label in members)
            for members in taxonomy.dimensions().values()
            if members[0].cardinality == "single"
        )
        return cls(labels, groups)

    @property
    def n_logits(self) -> int:
        return len(self.labels) + len(self.groups)

    @property
    def grouped(self) -> frozenset[int]:
        return frozenset(i for group in self.groups for i in group)

    def targets(self, rows: Sequence[Iterable[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Training targets: a 0/1 matrix over labels, and per single group the class (0 = none, k = k-th)."""
        multi = np.zeros((len(rows), len(self.labels)), dtype=np.float32)
        single = np.zeros((len(rows), len(self.groups)), dtype=np.int64)
        for r, row in enumerate(rows):
            for label in row:
                multi[r, self.column[label]] = 1.0
            for g, group in enumerate(self.groups):
                hits = [k for k, i in enumerate(group) if multi[r, i]]
                single[r, g] = hits[0] + 1 if hits else 0
        return multi, single

    def soft_targets(
        self, multi: np.ndarray, single: np.ndarray, teacher: np.ndarray | None = None, weight: float = 0.5
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Targets as probabilities: the gold labels, mixed ``weight : 1 - weight`` with a teacher's
        probabilities (distillation) when ``teacher`` is given.

        Returns the ``(rows, labels)`` matrix for the sigmoid labels and, per single group, a
        ``(rows, 1 + group size)`` distribution over ["none", its values].
        """
        distributions = [
            np.eye(len(group) + 1, dtype=np.float32)[single[:, g]] for g, group in enumerate(self.groups)
        ]
        if teacher is None:
            return multi, distributions
        mixed = [
            (1 - weight) * gold + weight * _group_distribution(teacher[:, list(group)])
            for gold, group in zip(distributions, self.groups, strict=True)
        ]
        return ((1 - weight) * multi + weight * teacher).astype(np.float32), mixed

    def passing(self, probabilities: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        """Which labels pass their threshold, ``(rows, labels)``; in a single group only the most
        probable value may pass."""
        passed = probabilities >= thresholds
        for group in self.groups:
            columns = list(group)
            best = probabilities[:, columns].argmax(axis=1)
            keep = np.zeros((len(probabilities), len(columns)), dtype=bool)
            keep[np.arange(len(probabilities)), best] = True
            passed[:, columns] &= keep
        return passed

    def decode(self, probabilities: np.ndarray, thresholds: np.ndarray) -> list[list[tuple[int, float]]]:
        """Per row, the ``(label index, probability)`` pairs that pass (:meth:`passing`)."""
        return [
            [(int(i), float(row[i])) for i in np.flatnonzero(mask)]
            for row, mask in zip(probabilities, self.passing(probabilities, thresholds), strict=True)
        ]


#: Thresholds tried: 0.1 to 0.9 by 0.05 for F1; :func:`limit_false_tags` may raise one up to 0.99.
GRID = np.round(np.arange(0.1, 0.91, 0.05), 2)
RAISED = np.concatenate([GRID, [0.95, 0.98, 0.99]])


def tune_thresholds(
    space: LabelSpace,
    probabilities: np.ndarray,
    gold: np.ndarray,
    *,
    min_support: int = MIN_SUPPORT,
    max_false_tags: float | None = None,
) -> np.ndarray:
    """Per-label thresholds that maximise F1 on held-out data; with ``max_false_tags``, then raised by
    :func:`limit_false_tags` until at most that share of the rows without a label gets one.

    Labels with fewer than ``min_support`` positives get one shared threshold, tuned on all such
    labels together (micro-F1), so a dozen dev rows does not set a label's threshold by chance: tuned on
    one half of dev and scored on the other, a label's own threshold from that few rows did no better
    than the shared one.
    """
    thresholds = np.full(len(space.labels), DEFAULT_THRESHOLD, dtype=np.float32)
    support = gold.sum(axis=0)
    rare = support < min_support
    if rare.any():
        thresholds[rare] = _best(GRID, probabilities[:, rare], gold[:, rare])
    for i in np.flatnonzero(~rare):
        thresholds[i] = _best(GRID, probabilities[:, [i]], gold[:, [i]])
    if max_false_tags is None:
        return thresholds
    return limit_false_tags(space, probabilities, gold, thresholds, max_false_tags)


def limit_false_tags(
    space: LabelSpace, probabilities: np.ndarray, gold: np.ndarray, thresholds: np.ndarray, target: float
) -> np.ndarray:
    """Raise thresholds until at most ``target`` of the rows without a gold label get a label, one label
    at a time: each step takes the raise (to a value of :data:`RAISED`) that clears the most such rows
    per point of micro-F1 it costs. Stops early when no single raise clears a row: each row left has a
    label scored above 0.99, or several labels (raising one of them alone clears nothing).
    """
    thresholds = np.asarray(thresholds, dtype=np.float32).copy()
    positives = gold > 0.5
    empty = ~positives.any(axis=1)
    if not empty.any():
        return thresholds
    while True:
        passed = space.passing(probabilities, thresholds)
        tags = passed[empty].sum(axis=1)
        if (tags > 0).mean() <= target:
            return thresholds
        tp, predicted, total = (passed & positives).sum(), passed.sum(), positives.sum()
        f1 = 2 * tp / (predicted + total)
        best: tuple[float, int, float] | None = None
        for i in range(len(thresholds)):
            for higher in RAISED[RAISED > thresholds[i] + 1e-6]:
                dropped = passed[:, i] & (probabilities[:, i] < higher)
                cleared = int((dropped[empty] & (tags == 1)).sum())  # rows whose only label it was
                if not cleared:
                    continue
                after = 2 * (tp - (dropped & positives[:, i]).sum()) / (predicted - dropped.sum() + total)
                value = cleared / max(f1 - after, 1e-9)
                if best is None or value > best[0]:
                    best = (value, i, float(higher))
        if best is None:
            return thresholds
        thresholds[best[1]] = best[2]


def _best(grid: np.ndarray, probabilities: np.ndarray, gold: np.ndarray) -> float:
    best, best_f1 = DEFAULT_THRESHOLD, -1.0
    positives = gold > 0.5
    for threshold in grid:
        predicted = probabilities >= threshold
        tp = float((predicted & positives).sum())
        denominator = float(predicted.sum() + positives.sum())
        f1 = 2 * tp / denominator if denominator else 0.0
        # prefer the threshold nearest the default on ties, so unseen labels stay at 0.5
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(threshold - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(threshold), f1
    return best


def _group_distribution(probabilities: np.ndarray) -> np.ndarray:
    """A single group's value probabilities with "none" (what they leave) in front, summing to one."""
    none = np.clip(1.0 - probabilities.sum(axis=1, keepdims=True), 0.0, 1.0)
    joined = np.concatenate([none, probabilities], axis=1)
    return (joined / joined.sum(axis=1, keepdims=True)).astype(np.float32)
