"""The model that ships with convmine (``models/default``) and the ``"default"`` tagger built on it."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

from convmine.errors import ModelError
from convmine.tagging.base import Tagger
from convmine.taxonomy import Taxonomy

#: Installed inside the package as ``convmine/_models`` (a link to the top-level ``models/`` folder).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "_models" / "default"


def shipped_model() -> Path:
    """The directory of the shipped default model."""
    if not (SHIPPED_DIR / "config.json").is_file():
        raise ModelError(
            f"the shipped model is missing from {SHIPPED_DIR}; reinstall convmine, or train one with "
            "`convmine train --data taxonomy/corpus --out DIR` and load it with convmine.load(DIR)"
        )
    return SHIPPED_DIR


def default_tagger(taxonomy: Taxonomy) -> Tagger:
    """The shipped model combined with the rules (mode ``"model"``), or the rules alone.

    The rules alone are used when the ``onnx`` extra (onnxruntime, tokenizers) is not installed or
    when ``taxonomy`` is not the one the shipped model was trained for (a bank's extension);
    ``Pipeline.version`` tells which one runs.
    """
    from convmine.tagging.rules import RuleTagger

    rules = RuleTagger(taxonomy)
    if not _runtime_installed() or _trained_hash() != taxonomy.hash:
        return rules
    from convmine.tagging.model.combine import CombinedTagger
    from convmine.tagging.model.storage import load_model_tagger

    return CombinedTagger(load_model_tagger(shipped_model(), taxonomy), rules)


def _runtime_installed() -> bool:
    return all(find_spec(module) is not None for module in ("numpy", "onnxruntime", "tokenizers"))


def _trained_hash() -> str | None:
    try:
        config = json.loads((shipped_model() / "config.json").read_text(encoding="utf-8"))
    except (ModelError, OSError, json.JSONDecodeError):
        return None
    return config.get("taxonomy", {}).get("hash")
