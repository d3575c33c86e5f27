"""The interface every tagger implements (rules, transformer model, their combination)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from convmine.schema import Prediction, TagSource, Turn
from convmine.taxonomy import Taxonomy


@runtime_checkable
class Tagger(Protocol):
    """Predicts labels for a batch of customer turns. Pure: it never writes annotations itself.

    ``predict`` returns one list of :class:`Prediction` per turn, in input order. Each turn's
    ``text`` is already PII-masked and normalised; spans index into that text.
    """

    name: str
    version: str
    source: TagSource
    taxonomy: Taxonomy

    def predict(self, turns: Sequence[Turn]) -> list[list[Prediction]]: ...
