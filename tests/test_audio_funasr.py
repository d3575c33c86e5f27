"""The ``funasr`` backend through its real code path: FunASR's ``AutoModel`` loads a local Paraformer
directory built here from a small config with random weights (no Paraformer weights can be had), and
the pipeline (decode → FSMN-VAD → Paraformer → roles) turns recordings into calls. The text is
gibberish from the tiny vocabulary; what is tested is the plumbing: one text per clip, segments,
timestamps, roles, Call objects. FunASR is its own extra (``funasr``): skipped where it is absent, except in CI, which installs it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.extras import need

np = need("numpy", "asr")
need("av", "asr")
need("onnxruntime", "asr")
torch = need("torch", "funasr")
need("funasr", "funasr")
import yaml

from convmine.audio.backends import FunasrRecognizer, create_recognizer
from convmine.audio.transcriber import Transcriber
from convmine.errors import ModelError
from convmine.schema import Call
from tests.audio_files import AUDIO_DIR

pytestmark = pytest.mark.slow  # importing torch and FunASR takes 10-20 s on 2 cores; the tests take ~8 s

VOCABULARY = "您好我是银行的客户经理请问现在方便吗不需要谢理财基金"
CONFIG = {
    "model": "Paraformer",
    "model_conf": {"ctc_weight": 0.0, "predictor_weight": 1.0, "predictor_bias": 1, "sampling_ratio": 0.75},
    "encoder": "SANMEncoder",
    "encoder_conf": {
        "output_size": 32, "attention_heads": 2, "linear_units": 64, "num_blocks": 2, "input_layer": "pe",
        "pos_enc_class": "SinusoidalPositionEncoder", "normalize_before": True, "kernel_size": 11,
        "sanm_shfit": 0, "selfattention_layer_type": "sanm", "dropout_rate": 0.0,
        "positional_dropout_rate": 0.0, "attention_dropout_rate": 0.0,
    },
    "decoder": "ParaformerSANMDecoder",
    "decoder_conf": {
        "attention_heads": 2, "linear_units": 64, "num_blocks": 2, "att_layer_num": 2, "kernel_size": 11,
        "sanm_shfit": 0, "dropout_rate": 0.0, "positional_dropout_rate": 0.0,
        "self_attention_dropout_rate": 0.0, "src_attention_dropout_rate": 0.0,
    },
    "predictor": "CifPredictorV2",
    "predictor_conf": {"idim": 32, "threshold": 1.0, "l_order": 1, "r_order": 1, "tail_threshold": 0.45},
    "frontend": "WavFrontend",
    "frontend_conf": {"fs": 16000, "window": "hamming", "n_mels": 80, "frame_length": 25, "frame_shift": 10,
                      "lfr_m": 7, "lfr_n": 6},
    "tokenizer": "CharTokenizer",
    "tokenizer_conf": {"unk_symbol": "<unk>"},
}  # fmt: skip


def build_tiny_paraformer(folder: Path) -> Path:
    """A Paraformer model directory as FunASR expects it (config.yaml, model.pt, tokens.json), with a
    2-block encoder and decoder of width 32 and random weights."""
    from funasr.models.paraformer.model import Paraformer

    folder.mkdir(parents=True, exist_ok=True)
    tokens = ["<blank>", "<s>", "</s>", *dict.fromkeys(VOCABULARY), "<unk>"]
    (folder / "config.yaml").write_text(yaml.safe_dump(CONFIG, allow_unicode=True), encoding="utf-8")
    (folder / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
    parts = {
        k: v for k, v in CONFIG.items() if k.endswith(("coder", "coder_conf", "predictor", "predictor_conf"))
    }
    torch.manual_seed(0)
    model = Paraformer(**parts, **CONFIG["model_conf"], input_size=80 * 7, vocab_size=len(tokens))
    torch.save(model.state_dict(), folder / "model.pt")
    return folder


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory) -> Transcriber:
    model = build_tiny_paraformer(tmp_path_factory.mktemp("paraformer"))
    return Transcriber("funasr", model=model, threads=2)


def test_the_recogniser_gives_one_text_per_clip(transcriber: Transcriber) -> None:
    recognizer = transcriber.recognizer
    assert isinstance(recognizer, FunasrRecognizer)
    noise = np.random.default_rng(0).normal(0.0, 0.1, 16000 * 2).astype(np.float32)
    texts = recognizer.transcribe([noise, noise[:8000], noise[:4000]])
    assert len(texts) == 3 and texts[0]
    assert set("".join(texts)) <= set(VOCABULARY)
    assert recognizer.transcribe([]) == []


@pytest.mark.parametrize("name", ["mono_16k.flac", "stereo_8k_mulaw.wav"])
def test_recordings_become_calls_with_speakers_and_times(transcriber: Transcriber, name: str) -> None:
    call = transcriber.transcribe(AUDIO_DIR / name, customer_id="C-1")
    assert isinstance(call, Call) and call.customer_id == "C-1" and call.utterances
    assert {u.speaker for u in call.utterances} <= {"agent", "customer"}
    if name.startswith("stereo"):
        assert {u.speaker for u in call.utterances} == {"agent", "customer"}
    starts = [u.start for u in call.utterances]
    assert starts == sorted(starts) and all(u.end > u.start for u in call.utterances)
    assert all(u.text and set(u.text) <= set(VOCABULARY) for u in call.utterances)


def test_loading_leaves_the_applications_logging_alone(tmp_path) -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    create_recognizer("funasr", model=build_tiny_paraformer(tmp_path / "m"))
    assert (root.level, root.handlers) == (level, handlers)


def test_a_missing_model_directory_is_refused_with_a_fix(tmp_path) -> None:
    with pytest.raises(ModelError, match="--model DIR"):
        FunasrRecognizer(tmp_path / "absent")
