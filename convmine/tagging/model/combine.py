"""Model and rule tagger together: how their predictions for a turn are merged.

``mode`` says which labels are kept:

- ``"model"``: the model's labels; the rules lend their more precise span (and value) where they agree,
  and add what they find past the first characters of a long turn, which the model does not read.
- ``"union"``: every label either tagger finds; in a ``single`` dimension the model's choice wins.
- ``"intersection"``: only labels both find (fewest false tags, lowest recall).

Where both find a label, the prediction carries the higher confidence, the rule's span and the
value either found; the model's labels the rules do not find then go through its clause check
(:meth:`~convmine.tagging.model.tagger.ModelTagger.supported`). A label only the rules find carries
source ``"rule"``. The default, ``"model"``, scored best on dev (see ``benchmarks/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal, get_args

from convmine.errors import ModelError
from convmine.schema import Prediction, TagSource, Turn
from convmine.tagging.base import Tagger

CombineMode = Literal["model", "union", "intersection"]
MODES: tuple[str, ...] = get_args(CombineMode)
DEFAULT_MODE: CombineMode = "model"


class CombinedTagger:
    """A :class:`Tagger` that runs a model tagger and a rule tagger on the same turns and merges them."""

    source: TagSource = "model"

    def __init__(self, model: Tagger, rules: Tagger, mode: CombineMode = DEFAULT_MODE):
        check_mode(mode)
        self.model, self.rules, self.mode = model, rules, mode
        self.taxonomy = model.taxonomy
        self.name = model.name if mode == "model" else f"{model.name}+{rules.name}:{mode}"
        self._single = self.taxonomy.single_choice()

    @property
    def version(self) -> str:
        return f"{self.model.version}+{self.rules.version}:{self.mode}"

    def predict(self, turns: Sequence[Turn]) -> list[list[Prediction]]:
        # a ModelTagger's clause check and reading window; duck-typed, so this module needs no numpy
        checking = getattr(self.model, "clause_check", False)
        by_model = self.model.predict(turns, clause_check=False) if checking else self.model.predict(turns)
        by_rules = self.rules.predict(turns)
        merged = [self._merge(*triple) for triple in zip(turns, by_model, by_rules, strict=True)]
        if not checking:
            return merged
        return self.model.supported(turns, merged, exempt=[{p.label for p in r} for r in by_rules])  # type: ignore[attr-defined]

    def _merge(self, turn: Turn, model: list[Prediction], rules: list[Prediction]) -> list[Prediction]:
        ruled = {p.label: p for p in rules}
        merged = [_agree(p, ruled[p.label]) if p.label in ruled else p for p in model]
        if self.mode == "intersection":
            return [p for p in merged if p.label in ruled]
        # "model" adds what the rules find where the model does not read (past its first characters)
        unread = self.model.unread(turn) if hasattr(self.model, "unread") else len(turn.text)
        found = {p.label for p in model}
        taken = {self._single[p.label] for p in model if p.label in self._single}
        for p in rules:
            new = p.label not in found and self._single.get(p.label) not in taken
            if new and (self.mode == "union" or (p.span is not None and p.span[0] >= unread)):
                merged.append(replace(p, source="rule"))
                if p.label in self._single:
                    taken.add(self._single[p.label])
        return merged


def recombined(tagger: Tagger, mode: str) -> Tagger:
    """``tagger`` with its model's and the rules' tags merged in ``mode`` (checked by :func:`check_mode`
    first). A tagger that combines nothing (the rules standing in for the default model, which warned
    why) is returned as it is."""
    if isinstance(tagger, CombinedTagger):
        return CombinedTagger(tagger.model, tagger.rules, mode)  # type: ignore[arg-type]  # checked
    return tagger


def check_mode(mode: str) -> None:
    """Refuse an unknown combination mode."""
    if mode not in MODES:
        raise ModelError(f"unknown combination mode {mode!r}; choose one of {', '.join(MODES)}")


def _agree(model: Prediction, rule: Prediction) -> Prediction:
    return Prediction(
        model.label,
        max(model.confidence, rule.confidence),
        rule.span if rule.span is not None else model.span,
        model.value if model.value is not None else rule.value,
    )
