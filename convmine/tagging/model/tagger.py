"""The model tagger: the :class:`~convmine.tagging.base.Tagger` protocol over a scorer (ONNX or torch)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from convmine.schema import Prediction, TagSource, Turn
from convmine.tagging.model.inputs import InputSettings, encode
from convmine.tagging.model.labels import LabelSpace
from convmine.tagging.model.runtime import Scorer
from convmine.taxonomy import Taxonomy
from convmine.text import find_rates

VALUE_LABEL = "preference.return.target"
#: The agent has just asked for a yield, so a bare number ("四吧") is one.
_ASKS_FOR_RATE = re.compile(r"收益|利率|年化|利息|几个点|多少个点|回报")


class ModelTagger:
    """Scores each customer turn (read with its context) and keeps labels above their thresholds.

    Every prediction's span is the whole turn, except a yield target's, which is the number found
    by :func:`convmine.text.find_rates`; a target with no number found keeps the whole turn and no value.
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

    def predict(self, turns: Sequence[Turn]) -> list[list[Prediction]]:
        if not turns:
            return []
        decoded = self.space.decode(self.scores(turns), self.thresholds)
        return [self._predictions(turn, hits) for turn, hits in zip(turns, decoded, strict=True)]

    def _predictions(self, turn: Turn, hits: list[tuple[int, float]]) -> list[Prediction]:
        whole = (0, len(turn.text))
        predictions = []
        for index, confidence in hits:
            label = self.space.labels[index]
            if label == VALUE_LABEL:
                predictions.append(self._with_value(turn, round(confidence, 4)))
            else:
                predictions.append(Prediction(label, round(confidence, 4), whole))
        return predictions

    def _with_value(self, turn: Turn, confidence: float) -> Prediction:
        asked = bool(turn.context) and _ASKS_FOR_RATE.search(turn.context[-1]) is not None
        rates = find_rates(turn.text, expect_rate=asked)
        if not rates:
            return Prediction(VALUE_LABEL, confidence, (0, len(turn.text)))
        rate = rates[0]
        return Prediction(VALUE_LABEL, confidence, (rate.start, rate.end), rate.value)
