"""Model and rule tagger together: how their predictions for a turn are merged.

``mode`` says which labels are kept:

- ``"model"``: the model's labels only; the rules lend their more precise span (and value) where they agree.
- ``"union"``: every label either tagger finds; in a ``single`` dimension the model's choice wins.
- ``"intersection"``: only labels both find (fewest false tags, lowest recall).

Where both find a label, the prediction carries the higher confidence, the rule's span and the
value either found; a label the rules do not place then goes through the model's clause check
(:meth:`ModelTagger.supported`). The default, ``"model"``, scored best on dev (see ``benchmarks/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from convmine.errors import ModelError
from convmine.schema import Prediction, TagSource, Turn
from convmine.tagging.base import Tagger
from convmine.tagging.model.tagger import ModelTagger

CombineMode = Literal["model", "union", "intersection"]
MODES: tuple[str, ...] = get_args(CombineMode)
DEFAULT_MODE: CombineMode = "model"


class CombinedTagger:
    """A :class:`Tagger` that runs a model tagger and a rule tagger on the same turns and merges them."""

    source: TagSource = "model"

    def __init__(self, model: Tagger, rules: Tagger, mode: CombineMode = DEFAULT_MODE):
        _check(mode)
        self.model, self.rules, self.mode = model, rules, mode
        self.taxonomy = model.taxonomy
        self.name = model.name if mode == "model" else f"{model.name}+{rules.name}"
        self._single = {label.id: label.dimension for label in self.taxonomy if label.cardinality == "single"}

    @property
    def version(self) -> str:
        return f"{self.model.version}+{self.rules.version}:{self.mode}"

    def predict(self, turns: Sequence[Turn]) -> list[list[Prediction]]:
        checking = isinstance(self.model, ModelTagger) and self.model.clause_check
        by_model = self.model.predict(turns, clause_check=False) if checking else self.model.predict(turns)
        by_rules = self.rules.predict(turns)
        merged = [self._merge(m, r) for m, r in zip(by_model, by_rules, strict=True)]
        return self.model.supported(turns, merged) if checking else merged

    def _merge(self, model: list[Prediction], rules: list[Prediction]) -> list[Prediction]:
        ruled = {p.label: p for p in rules}
        merged = [_agree(p, ruled[p.label]) if p.label in ruled else p for p in model]
        if self.mode == "intersection":
            return [p for p in merged if p.label in ruled]
        if self.mode == "union":
            found = {p.label for p in model}
            taken = {self._single[p.label] for p in model if p.label in self._single}
            for p in rules:
                if p.label not in found and self._single.get(p.label) not in taken:
                    merged.append(p)
        return merged


def recombined(tagger: Tagger, mode: str) -> Tagger:
    """``tagger`` with its model's and the rules' tags merged in ``mode``. A tagger that combines nothing
    (the rules standing in for the default model, which warned why) is returned as it is."""
    _check(mode)
    if isinstance(tagger, CombinedTagger):
        return CombinedTagger(tagger.model, tagger.rules, mode)  # type: ignore[arg-type]  # checked
    return tagger


def _check(mode: str) -> None:
    if mode not in MODES:
        raise ModelError(f"unknown combination mode {mode!r}; choose one of {', '.join(MODES)}")


def _agree(model: Prediction, rule: Prediction) -> Prediction:
    return Prediction(
        model.label,
        max(model.confidence, rule.confidence),
        rule.span if rule.span is not None else model.span,
        model.value if model.value is not None else rule.value,
    )
