"""The transformer tagger: a fine-tuned encoder with classifier heads over the taxonomy.

Inference (:func:`load_model_tagger`) needs the ``onnx`` extra (onnxruntime, tokenizers, numpy);
training (:func:`convmine.tagging.model.training.train`) needs the ``train`` extra (torch, transformers, …).
"""

from __future__ import annotations

from typing import Any

from convmine.extras import require
from convmine.tagging.model.shipped import default_tagger, shipped_model

__all__ = ["CombinedTagger", "ModelTagger", "default_tagger", "load_model_tagger", "shipped_model"]
_LAZY = {
    "CombinedTagger": "convmine.tagging.model.combine",
    "ModelTagger": "convmine.tagging.model.tagger",
    "load_model_tagger": "convmine.tagging.model.storage",
}


def __getattr__(name: str) -> Any:
    """Import the numpy-based parts on first use, so a missing ``onnx`` extra is named, not a numpy error."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require("numpy", "onnx", "the model tagger")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
