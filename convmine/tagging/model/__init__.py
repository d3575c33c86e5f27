"""The transformer tagger: a fine-tuned encoder with classifier heads over the taxonomy.

Inference (:func:`load_model_tagger`) needs the ``onnx`` extra (onnxruntime, tokenizers); training
(:func:`convmine.tagging.model.training.train`) needs the ``train`` extra (torch, transformers, …).
"""

from __future__ import annotations

from convmine.tagging.model.storage import load_model_tagger
from convmine.tagging.model.tagger import ModelTagger

__all__ = ["ModelTagger", "load_model_tagger"]
