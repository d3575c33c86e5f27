"""The model tagger: the :class:`~convmine.tagging.base.Tagger` protocol over a scorer (ONNX or torch)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import numpy as np

from convmine.schema import Prediction, TagSource, Turn
from convmine.tagging.model.inputs import InputSettings, encode
from convmine.tagging.model.labels import LabelSpace
from convmine.tagging.model.runtime import Scorer
from convmine.taxonomy import Taxonomy
from convmine.text import clauses, find_rates

VALUE_LABEL = "preference.return.target"
#: A label scored at least this high on the whole turn is kept even when no clause carries it alone
#: (chosen on dev: such labels are mostly right, those below mostly wrong).
CERTAIN = 0.99
#: The agent has just asked for a yield, so a bare number ("四吧") is one.
_ASKS_FOR_RATE = re.compile(r"收益|利率|年化|利息|几个点|多少个点|回报")


class ModelTagger:
    """Scores each customer turn (read with its context) and keeps labels above their thresholds.

    Spans: a yield target's is the number found by :func:`convmine.text.find_rates`. In a turn of
    several clauses, every other label the model is not near certain of (:data:`CERTAIN`) must be
    carried by one clause on its own (:meth:`supported`): its span is that clause, and a label no clause
    carries is dropped. Near-certain labels stand either way and take their clause's span when the
    turn's clauses are scored for another label; ``clause_spans=True`` scores them for near-certain
    labels too, so every label of such a turn gets its clause. Other labels span the whole turn.
    ``clause_check=False`` skips the check (every label kept, spans the whole turn), saving a scoring pass
    over the clauses of tagged turns. ``model_version`` is the saved model's; ``version`` adds
    ``:clauses`` while the check runs, since it changes what is tagged (tags keep it as provenance).
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
        clause_check: bool = True,
        clause_spans: bool = False,
    ):
        self.scorer = scorer
        self.tokenizer = tokenizer
        self.space = space
        self.thresholds = np.asarray(thresholds, dtype=np.float32)
        self.settings = settings
        self.taxonomy = taxonomy
        self.name = name
        self.model_version = version
        self.batch_size = batch_size
        self.clause_check = clause_check
        self.clause_spans = clause_spans

    @property
    def version(self) -> str:
        return f"{self.model_version}:clauses" if self.clause_check else self.model_version

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

    def predict(self, turns: Sequence[Turn], *, clause_check: bool | None = None) -> list[list[Prediction]]:
        """Predictions per turn; ``clause_check`` (default: the tagger's setting) applies :meth:`supported`."""
        if not turns:
            return []
        decoded = self.space.decode(self.scores(turns), self.thresholds)
        predictions = [
            [self._prediction(turn, index, confidence) for index, confidence in hits]
            for turn, hits in zip(turns, decoded, strict=True)
        ]
        check = self.clause_check if clause_check is None else clause_check
        return self.supported(turns, predictions) if check else predictions

    def unread(self, turn: Turn) -> int:
        """Where the part of ``turn.text`` the model reads ends (it reads the first characters only)."""
        return len(turn.text) - len(turn.text.lstrip()) + self.settings.max_text_chars

    def supported(
        self,
        turns: Sequence[Turn],
        predictions: Sequence[list[Prediction]],
        exempt: Sequence[Collection[str]] = (),
    ) -> list[list[Prediction]]:
        """The clause check for predictions whose span is a whole turn of several clauses: each clause is
        scored on its own, with the turn's context; a prediction takes the span of the clause scoring
        highest for its label among those that pass the label's threshold. If none does, it is dropped
        (labels that only the clauses together suggest are mostly false: ``benchmarks/model_accuracy.py``)
        unless its confidence reaches :data:`CERTAIN`. A turn whose labels to check all reach it is left
        unscored (they stand with the whole turn as span) unless ``clause_spans`` is set. Predictions with
        a narrower span (a yield's number) and the labels ``exempt[n]`` of turn ``n`` (those the rules
        found) are kept as they are."""
        whole = [(0, len(turn.text)) for turn in turns]
        exempt = list(exempt) or [()] * len(turns)
        to_check = [
            {
                p.label: p.confidence
                for p in found
                if p.span == whole[n] and p.label in self.space.column and p.label not in exempt[n]
            }
            for n, found in enumerate(predictions)
        ]
        pending = {
            n: cut
            for n, labels in enumerate(to_check)
            if labels
            and (self.clause_spans or min(labels.values()) < CERTAIN)
            and len(cut := clauses(turns[n].text)) > 1
        }
        best = self.carriers(turns, pending, to_check)

        def outcome(n: int, p: Prediction) -> Prediction | None:
            if n not in pending or p.label not in to_check[n]:
                return p
            if (n, p.label) in best:
                return replace(p, span=best[(n, p.label)])
            return p if p.confidence >= CERTAIN else None

        return [[q for p in found if (q := outcome(n, p)) is not None] for n, found in enumerate(predictions)]

    def carriers(
        self,
        turns: Sequence[Turn],
        cuts: Mapping[int, Sequence[tuple[int, int]]],
        labels: Sequence[Collection[str]],
    ) -> dict[tuple[int, str], tuple[int, int]]:
        """Which clause carries each label: for turn ``n`` cut into the clauses ``cuts[n]``, each clause
        is scored on its own with the turn's context, and each label of ``labels[n]`` maps ``(n, label)``
        to the clause scoring highest for it among those that pass its threshold (no entry if none does).
        """
        pieces = [(n, span) for n, cut in cuts.items() for span in cut]
        alone = self.scores([Turn(turns[n].text[start:end], turns[n].context) for n, (start, end) in pieces])
        best: dict[tuple[int, str], tuple[float, tuple[int, int]]] = {}
        for row, (n, span) in enumerate(pieces):
            for label in labels[n]:
                column = self.space.column[label]
                score = float(alone[row, column])
                if score >= self.thresholds[column] and score > best.get((n, label), (-1.0,))[0]:
                    best[(n, label)] = (score, span)
        return {key: span for key, (_, span) in best.items()}

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
