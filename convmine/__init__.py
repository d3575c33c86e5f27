"""convmine: bank call-centre conversations in, evidenced customer-profile tags out.

>>> import convmine
>>> nlp = convmine.load()                      # the default tagger, offline
>>> result = nlp("我手头有二十来万闲着，只买保本的")
>>> sorted(tag.label for tag in result.tags)   # doctest: +SKIP
['basic.funds.idle', 'preference.risk.guaranteed']
"""

from __future__ import annotations

from pathlib import Path

from convmine.errors import (
    ConvmineError,
    InputError,
    MissingExtraError,
    ModelError,
    StoreError,
    TaxonomyError,
)
from convmine.pipeline import Pipeline
from convmine.schema import Call, Evidence, Failure, Prediction, Tag, TaggedCall, Turn, Utterance
from convmine.taxonomy import Taxonomy, load_taxonomy
from convmine.text import Masker, MaskStyle

__version__ = "0.1.0"


def load(
    name: str | Path = "default",
    *,
    taxonomy: Taxonomy | str | Path | None = None,
    mask_style: MaskStyle | str | None = None,
    combine: str | None = None,
) -> Pipeline:
    """Load a tagging pipeline: a registered tagger (``"default"``, ``"rules"``) or a saved model directory.

    ``taxonomy`` is a :class:`Taxonomy`, or the path of a taxonomy file (e.g. a bank's extension);
    ``mask_style`` a :class:`MaskStyle`, ``"default"`` or ``"full"`` (mask every digit of a personal number);
    ``combine`` how a model's tags and the rules' are merged: ``"model"`` (the default), ``"union"`` or
    ``"intersection"`` (see :mod:`convmine.tagging.model.combine`).
    """
    from convmine.tagging.registry import create

    if not isinstance(taxonomy, Taxonomy):
        taxonomy = load_taxonomy(taxonomy)
    if combine is not None:
        from convmine.tagging.model.combine import check_mode, recombined

        check_mode(combine)
        if str(name) == "rules":
            raise ModelError(
                f"combination mode {combine!r} merges a model's tags with the rules'; 'rules' has no model"
            )
    tagger = create(name, taxonomy)
    if combine is not None:
        tagger = recombined(tagger, combine)
    return Pipeline(tagger, masker=Masker(mask_style))


__all__ = [
    "Call",
    "ConvmineError",
    "Evidence",
    "Failure",
    "InputError",
    "MaskStyle",
    "Masker",
    "MissingExtraError",
    "ModelError",
    "Pipeline",
    "Prediction",
    "StoreError",
    "Tag",
    "TaggedCall",
    "Taxonomy",
    "TaxonomyError",
    "Turn",
    "Utterance",
    "__version__",
    "load",
    "load_taxonomy",
]
