"""Tiny encoders for the model tests: random weights from a small BertConfig and a tokenizer over a few pieces."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from convmine.tagging.model.base import bert_config, unigram_tokenizer, write_tokenizer

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
SIZES: dict[str, int | float] = {
    "hidden": 32,
    "layers": 2,
    "heads": 2,
    "intermediate": 64,
    "positions": 128,
    "type_vocab": 2,
    "eps": 1e-12,
}


def pieces_for(texts: list[str]) -> list[str]:
    """Specials, the metaspace, and every character of ``texts`` (with and without a leading metaspace)."""
    chars = sorted({c for text in texts for c in text if not c.isspace()})
    return [*SPECIALS, "▁", *chars, *(f"▁{c}" for c in chars)]


def tiny_encoder(directory: Path, texts: list[str], seed: int = 0) -> Path:
    """Write a randomly initialised 2-layer BERT with a unigram tokenizer covering ``texts``."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, BertModel

    directory.mkdir(parents=True)
    pieces = pieces_for(texts)
    scores = np.array(
        [0.0] * len(SPECIALS) + [-(1.0 + i / len(pieces)) for i in range(len(pieces) - len(SPECIALS))]
    )
    config = bert_config(SIZES, len(pieces))
    (directory / "config.json").write_text(json.dumps(config))
    torch.manual_seed(seed)
    model = BertModel(
        BertConfig(**{k: v for k, v in config.items() if k != "architectures"}), add_pooling_layer=False
    )
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, str(directory / "model.safetensors")
    )
    write_tokenizer(unigram_tokenizer(pieces, scores), directory)
    return directory


def write_split(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
