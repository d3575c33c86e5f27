"""Taggers by name: ``convmine.load("rules")``; a path loads a saved model directory instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from convmine.errors import ModelError
from convmine.tagging.base import Tagger
from convmine.taxonomy import Taxonomy

TaggerFactory = Callable[[Taxonomy], Tagger]
_FACTORIES: dict[str, TaggerFactory] = {}


def register(name: str) -> Callable[[TaggerFactory], TaggerFactory]:
    """Register a tagger factory under ``name`` (a decorator)."""

    def decorate(factory: TaggerFactory) -> TaggerFactory:
        _FACTORIES[name] = factory
        return factory

    return decorate


def names() -> list[str]:
    return sorted(_FACTORIES)


def create(name: str | Path, taxonomy: Taxonomy) -> Tagger:
    """Build the tagger registered as ``name``, or load the saved model directory ``name`` (combined with
    the rules, as the shipped model is: see :class:`~convmine.tagging.model.CombinedTagger`)."""
    if isinstance(name, str) and name in _FACTORIES:  # a built-in name wins over a folder of that name
        return _FACTORIES[name](taxonomy)
    if Path(name).is_dir():
        from convmine.tagging.model import CombinedTagger, load_model_tagger
        from convmine.tagging.rules import RuleTagger

        return CombinedTagger(load_model_tagger(name, taxonomy), RuleTagger(taxonomy))
    raise ModelError(f"unknown tagger {str(name)!r}; choose one of {', '.join(names())} or a model directory")


@register("rules")
def _rules(taxonomy: Taxonomy) -> Tagger:
    from convmine.tagging.rules import RuleTagger

    return RuleTagger(taxonomy)


@register("default")
def _default(taxonomy: Taxonomy) -> Tagger:
    """The shipped model with the rules; the rules alone, with a ``ShippedModelUnusedWarning`` saying why,
    without the ``onnx`` extra or for a taxonomy with other labels (a bank extension adding some)."""
    from convmine.tagging.model import default_tagger

    return default_tagger(taxonomy)


@register("model")
def _model(taxonomy: Taxonomy) -> Tagger:
    """The shipped model combined with the rules (needs the ``onnx`` extra)."""
    from convmine.tagging.model import CombinedTagger, load_model_tagger, shipped_model
    from convmine.tagging.rules import RuleTagger

    return CombinedTagger(load_model_tagger(shipped_model(), taxonomy), RuleTagger(taxonomy))
