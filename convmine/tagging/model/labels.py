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

    def decode(self, probabilities: np.ndarray, thresholds: np.ndarray) -> list[list[tuple[int, float]]]:
        """Per row, the ``(label index, probability)`` pairs that pass their threshold.

        In a single group only the most probable value may pass.
        """
        passed = probabilities >= thresholds
        for group in self.groups:
            columns = list(group)
            best = probabilities[:, columns].argmax(axis=1)
            keep = np.zeros((len(probabilities), len(columns)), dtype=bool)
            keep[np.arange(len(probabilities)), best] = True
            passed[:, columns] &= keep
        return [
            [(int(i), float(row[i])) for i in np.flatnonzero(mask)]
            for row, mask in zip(probabilities, passed, strict=True)
        ]


def tune_thresholds(
    space: LabelSpace, probabilities: np.ndarray, gold: np.ndarray, *, min_support: int = MIN_SUPPORT
) -> np.ndarray:
    """Per-label thresholds that maximise F1 on held-out data.

    Labels with fewer than ``min_support`` positives get one shared threshold, tuned on all such
    labels together (micro-F1), so a dozen dev rows does not set a label's threshold by chance: tuned on
    one half of dev and scored on the other, a label's own threshold from that few rows did no better
    than the shared one.
    """
    grid = np.round(np.arange(0.1, 0.91, 0.05), 2)
    thresholds = np.full(len(space.labels), DEFAULT_THRESHOLD, dtype=np.float32)
    support = gold.sum(axis=0)
    rare = support < min_support
    if rare.any():
        thresholds[rare] = _best(grid, probabilities[:, rare], gold[:, rare])
    for i in np.flatnonzero(~rare):
        thresholds[i] = _best(grid, probabilities[:, [i]], gold[:, [i]])
    return thresholds


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
