"""The model tagger: the :class:`~convmine.tagging.base.Tagger` protocol over a scorer (ONNX or torch)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from convmine.schema import Prediction, TagSource, Turn
from convmine.tagging.model.inputs import InputSettings, encode
from convmine.tagging.model.labels import LabelSpace
from convmine.tagging.model.runtime import Scorer
from convmine.taxonomy import Taxonomy
from convmine.text import clauses, find_rates

VALUE_LABEL = "preference.return.target"
#: The agent has just asked for a yield, so a bare number ("四吧") is one.
_ASKS_FOR_RATE = re.compile(r"收益|利率|年化|利息|几个点|多少个点|回报")


class ModelTagger:
    """Scores each customer turn (read with its context) and keeps labels above their thresholds.

    Spans: a yield target's is the number found by :func:`convmine.text.find_rates`. Any other label
    found in a turn of several clauses is located by :meth:`narrow`: its span is the clause that
    carries it on its own. Otherwise (one clause, or a label no clause carries alone) the span is the
    whole turn. ``locate=False`` skips this, saving a scoring pass over the clauses of tagged turns.
    """

    source: TagSource = "model"

    def __init__(
        self,
        scorer: Scorer,
        tokenizer,  # type: ignore[no-untyped-def]  # tokenizers.Tokenizer
        space: LabelSpace,
        thresholds: np.ndarray,
        settings: InputSettings,
        taxonomy: Taxonomy,
        *,
        name: str = "model",
        version: str = "",
        batch_size: int = 1,
        locate: bool = True,
    ):
        self.scorer = scorer
        self.tokenizer = tokenizer
        self.space = space
        self.thresholds = np.asarray(thresholds, dtype=np.float32)
        self.settings = settings
        self.taxonomy = taxonomy
        self.name = name
        self.version = version
        self.batch_size = batch_size
        self.locate = locate

    def scores(self, turns: Sequence[Turn]) -> np.ndarray:
        """Probabilities ``(turns, labels)``. With ``batch_size`` 1 (the default) each turn is scored
        alone, so its scores never depend on the turns around it; larger batches group turns of
        similar length, so padding stays short."""
        order = sorted(
            range(len(turns)), key=lambda i: len(turns[i].text) + len("".join(turns[i].context[-1:]))
        )
        chunks = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        batches = [encode(self.tokenizer, [turns[i] for i in chunk], self.settings) for chunk in chunks]
        result = np.zeros((len(turns), len(self.space.labels)), dtype=np.float32)
        for chunk, probabilities in zip(chunks, self.scorer(batches), strict=True):
            result[chunk] = probabilities
        return result

    def predict(self, turns: Sequence[Turn], *, locate: bool | None = None) -> list[list[Prediction]]:
        """Predictions per turn; ``locate`` (default: the tagger's setting) narrows their spans with
        :meth:`narrow`."""
        if not turns:
            return []
        decoded = self.space.decode(self.scores(turns), self.thresholds)
        predictions = [
            [self._prediction(turn, index, confidence) for index, confidence in hits]
            for turn, hits in zip(turns, decoded, strict=True)
        ]
        return self.narrow(turns, predictions) if (self.locate if locate is None else locate) else predictions

    def narrow(
        self, turns: Sequence[Turn], predictions: Sequence[list[Prediction]]
    ) -> list[list[Prediction]]:
        """Give each whole-turn prediction of a turn of several clauses the span of the clause that scores
        highest for its label on its own, if that clause alone passes the label's threshold: one extra
        scoring pass over the clauses of such turns, each read without context (the context would
        double the cost and barely moves the choice, see ``benchmarks/span_accuracy.py``)."""
        index = {label: i for i, label in enumerate(self.space.labels)}
        whole = [(0, len(turn.text)) for turn in turns]
        pending = {
            n: cut
            for n, found in enumerate(predictions)
            if any(p.span == whole[n] and p.label in index for p in found)
            and len(cut := clauses(turns[n].text)) > 1
        }
        pieces = [(n, span) for n, cut in pending.items() for span in cut]
        alone = self.scores([Turn(turns[n].text[start:end]) for n, (start, end) in pieces])
        best: dict[tuple[int, str], tuple[float, tuple[int, int]]] = {}
        for row, (n, span) in enumerate(pieces):
            for label in (p.label for p in predictions[n] if p.span == whole[n] and p.label in index):
                score = float(alone[row, index[label]])
                if score >= self.thresholds[index[label]] and score > best.get((n, label), (-1.0,))[0]:
                    best[(n, label)] = (score, span)
        return [
            [
                replace(p, span=best[(n, p.label)][1]) if p.span == whole[n] and (n, p.label) in best else p
                for p in found
            ]
            for n, found in enumerate(predictions)
        ]

    def _prediction(self, turn: Turn, index: int, confidence: float) -> Prediction:
        label, confidence, whole = self.space.labels[index], round(confidence, 4), (0, len(turn.text))
        if label != VALUE_LABEL:
            return Prediction(label, confidence, whole)
        asked = bool(turn.context) and _ASKS_FOR_RATE.search(turn.context[-1]) is not None
        rates = find_rates(turn.text, expect_rate=asked)
        if not rates:
            return Prediction(VALUE_LABEL, confidence, whole)
        rate = rates[0]
        return Prediction(VALUE_LABEL, confidence, (rate.start, rate.end), rate.value)
