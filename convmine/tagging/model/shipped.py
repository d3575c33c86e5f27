"""The model that ships with convmine (``models/default``) and the ``"default"`` tagger built on it."""

from __future__ import annotations

import json
import os
import sys
import warnings
from importlib.util import find_spec
from pathlib import Path

from convmine.errors import ModelError
from convmine.tagging.base import Tagger
from convmine.taxonomy import Taxonomy

#: Installed inside the package as ``convmine/_models`` (a link to the top-level ``models/`` folder).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "_models" / "default"
_RUNTIME = ("numpy", "onnxruntime", "tokenizers")  # the onnx extra
_PACKAGE_DIR = str(Path(__file__).parents[2]) + os.sep  # warnings name the first line outside it


class ShippedModelUnusedWarning(UserWarning):
    """The ``"default"`` tagger tags with the rules alone; the message says why and what to do."""


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

    The rules alone are used, with a :class:`ShippedModelUnusedWarning` saying why, when the ``onnx``
    extra (numpy, onnxruntime, tokenizers) is not installed or when ``taxonomy`` is not the one the
    shipped model was trained for (a bank extension that adds labels; vocabulary alone keeps the hash);
    ``Pipeline.version`` tells which one runs.
    """
    from convmine.tagging.rules import RuleTagger

    rules = RuleTagger(taxonomy)
    reason = rules_only_reason(taxonomy)
    if reason is not None:
        warnings.warn(
            f"tagging with the rules alone: {reason}", ShippedModelUnusedWarning, stacklevel=_caller_level()
        )
        return rules
    from convmine.tagging.model.combine import CombinedTagger
    from convmine.tagging.model.storage import load_model_tagger

    return CombinedTagger(load_model_tagger(shipped_model(), taxonomy), rules)


def rules_only_reason(taxonomy: Taxonomy) -> str | None:
    """Why the shipped model cannot tag with ``taxonomy`` here, or ``None`` when it can."""
    missing = [module for module in _RUNTIME if find_spec(module) is None]
    if missing:
        return (
            f"the shipped model needs the onnx extra ({', '.join(missing)} not installed); "
            "install it with pip install 'convmine[onnx]'"
        )
    trained = _trained_for()
    if trained is None:
        return f"the shipped model is missing or unreadable in {SHIPPED_DIR}; reinstall convmine"
    if trained.get("hash") != taxonomy.hash:
        return (
            f"the shipped model was trained for taxonomy {trained.get('name')!r} {trained.get('version')} "
            f"(hash {trained.get('hash')}), not for {taxonomy.name!r} {taxonomy.version} (hash {taxonomy.hash}), "
            "whose labels (or their cardinality, TTL or value type) differ; train a model for that taxonomy "
            "(convmine train --taxonomy FILE) and tag with it (--model DIR)"
        )
    return None


def _trained_for() -> dict[str, str] | None:
    """The taxonomy (name, version, hash) the shipped model was trained for, or ``None`` without one."""
    try:
        config = json.loads((shipped_model() / "config.json").read_text(encoding="utf-8"))
    except (ModelError, OSError, json.JSONDecodeError):
        return None
    trained = config.get("taxonomy")
    return trained if isinstance(trained, dict) else None


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside convmine, so that a warning names the user's line."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        level, frame = level + 1, frame.f_back
    return level
