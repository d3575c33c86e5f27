"""Turns → token arrays: each customer turn is read as a text pair with its context (numpy + tokenizers).

Segment A is the customer's turn, segment B the preceding turn(s), usually the agent's question:
"对，有二十来万" only means idle funds after "您最近手上有闲置资金吗？". Long turns are cut to their
start and the context to its end, by characters, before tokenising, so both always fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from convmine.extras import require
from convmine.schema import Turn

CONTEXT_SEPARATOR = " / "


@dataclass(frozen=True, slots=True)
class InputSettings:
    """How a turn becomes model input; saved in the model's config."""

    context_turns: int = 1
    max_text_chars: int = 96
    max_context_chars: int = 64
    max_length: int = 192
    #: False for encoders with a single token type (RoBERTa): segment B then gets type 0 as well.
    token_types: bool = True

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def text_pair(turn: Turn, settings: InputSettings) -> tuple[str, str]:
    """The ``(turn, context)`` strings the encoder reads; the context may be empty."""
    text = turn.text.strip()[: settings.max_text_chars] or " "
    recent = [c.strip() for c in turn.context[-settings.context_turns :]] if settings.context_turns else []
    context = CONTEXT_SEPARATOR.join(c for c in recent if c)
    return text, context[-settings.max_context_chars :]


def load_tokenizer(path: Path, settings: InputSettings):  # type: ignore[no-untyped-def]
    """A :class:`tokenizers.Tokenizer` from ``tokenizer.json``, padding to the longest in a batch."""
    tokenizers = require("tokenizers", "onnx", "the model tagger")
    tokenizer = tokenizers.Tokenizer.from_file(str(path))
    pad_id = tokenizer.token_to_id("<pad>")
    if pad_id is None:
        pad_id = tokenizer.token_to_id("[PAD]") or 0
    tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id))
    tokenizer.enable_truncation(max_length=settings.max_length)
    return tokenizer


def encode(tokenizer, turns: Sequence[Turn], settings: InputSettings) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, padded to the batch's longest)."""
    pairs = [text_pair(turn, settings) for turn in turns]
    encodings = tokenizer.encode_batch([(text, context) if context else text for text, context in pairs])
    types = np.array([e.type_ids for e in encodings], dtype=np.int64)
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": types if settings.token_types else np.zeros_like(types),
    }
