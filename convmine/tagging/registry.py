"""Taggers by name: ``convmine.load("rules")``; a path loads a saved model directory instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from convmine.errors import ModelError
from convmine.tagging.base import Tagger
from convmine.taxonomy import Taxonomy

TaggerFactory = Callable[[Taxonomy], Tagger]
_FACTORIES: dict[str, TaggerFactory] = {}
_ALIASES = {"default": "rules"}


def register(name: str) -> Callable[[TaggerFactory], TaggerFactory]:
    """Register a tagger factory under ``name`` (a decorator)."""

    def decorate(factory: TaggerFactory) -> TaggerFactory:
        _FACTORIES[name] = factory
        return factory

    return decorate


def names() -> list[str]:
    return sorted({*_FACTORIES, *_ALIASES})


def create(name: str | Path, taxonomy: Taxonomy) -> Tagger:
    """Build the tagger registered as ``name``."""
    key = _ALIASES.get(str(name), str(name))
    if key not in _FACTORIES:
        if Path(name).exists():
            raise ModelError(f"{name} is a path, but loading saved model directories is not available yet")
        raise ModelError(
            f"unknown tagger {str(name)!r}; choose one of {', '.join(names())} or a model directory"
        )
    return _FACTORIES[key](taxonomy)


@register("rules")
def _rules(taxonomy: Taxonomy) -> Tagger:
    from convmine.tagging.rules import RuleTagger

    return RuleTagger(taxonomy)
