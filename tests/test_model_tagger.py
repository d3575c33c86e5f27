"""The transformer tagger with a tiny random encoder: overfit, save, reload, ONNX vs PyTorch, refusals."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.extras import need

need("torch", "train")
need("transformers", "train")
need("onnxruntime", "onnx")
need("onnx", "train")

import convmine
from convmine.errors import MissingExtraError, ModelError
from convmine.schema import Turn
from convmine.tagging.model import load_model_tagger
from convmine.tagging.model.export import OPSET, export_onnx, quantize_int8
from convmine.tagging.model.runtime import OnnxScorer
from convmine.tagging.model.storage import ModelConfig, load_network
from convmine.tagging.model.training import TrainSettings, train
from convmine.taxonomy import load_taxonomy
from tests.fakes import write_bank_taxonomy
from tests.model_helpers import tiny_encoder, write_split

ROWS = [
    {"text": "我手头有二十万闲着", "labels": ["basic.funds.idle"]},
    {"text": "只买保本的", "labels": ["preference.risk.guaranteed"]},
    {"text": "一年四个点就行", "labels": ["preference.return.target=4"]},
    {"text": "有的", "labels": ["basic.funds.idle"], "context": ["您手上有闲钱吗？"]},
    {"text": "有的", "labels": [], "context": ["您听得到吗？"]},
    {"text": "喂你好", "labels": []},
    {"text": "不需要谢谢", "labels": ["objection.refusal.no_need"]},
    {"text": "手机银行方便", "labels": ["preference.channel.mobile_banking"]},
]
TEXTS = [r["text"] for r in ROWS] + [c for r in ROWS for c in r.get("context", [])]
#: Settings that overfit a tiny model on the eight rows (no pruning: its tokenizer covers just them).
OVERFIT = TrainSettings(
    epochs=60, patience=60, batch_size=8, learning_rate=3e-3, head_learning_rate=1e-2, prune_vocabulary=False
)


def _turns() -> list[Turn]:
    return [Turn(r["text"], tuple(r.get("context", []))) for r in ROWS]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, taxonomy) -> Path:
    """One tiny model per test module, overfit on eight turns (dev = train)."""
    root = tmp_path_factory.mktemp("model")
    base = tiny_encoder(root / "base", TEXTS)
    data = root / "data"
    data.mkdir()
    for split in ("train", "dev", "test"):
        write_split(data / f"{split}.jsonl", ROWS)
    result = train(data, root / "out", base, settings=OVERFIT, taxonomy=taxonomy)
    assert result.scores["dev"].micro_f1 == 1.0
    return result.out_dir


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _labels(predictions) -> list[set[str]]:  # type: ignore[no-untyped-def]
    return [{p.label for p in turn} for turn in predictions]


def test_overfits_and_reads_the_context(trained, taxonomy):
    tagger = load_model_tagger(trained, taxonomy, backend="torch")
    got = _labels(tagger.predict(_turns()))
    assert got == [{label.partition("=")[0] for label in r["labels"]} for r in ROWS]
    # the same words "有的" mean idle funds only after the agent asked about spare money
    assert got[3] == {"basic.funds.idle"} and got[4] == set()


def test_saved_directory_has_config_weights_tokenizer_and_card(trained, taxonomy):
    names = {p.name for p in trained.iterdir()}
    assert {"config.json", "model.safetensors", "model.onnx", "tokenizer.json", "README.md"} <= names
    config = json.loads((trained / "config.json").read_text())
    assert config["labels"] == taxonomy.label_ids and config["taxonomy"]["hash"] == taxonomy.hash
    assert len(config["thresholds"]) == len(taxonomy.label_ids)
    card = (trained / "README.md").read_text()
    assert "micro-F1" in card
    assert f"- Trained on `{config['scores']['training']['data']}`; the scores above are on its dev" in card
    assert not any(p.suffix in {".pkl", ".pickle", ".bin", ".pt"} for p in trained.iterdir())
    modes = {p.name: p.stat().st_mode & 0o777 for p in trained.iterdir()}
    assert modes["model.safetensors"] == modes["config.json"]  # not safetensors' own 0600


def test_reload_gives_identical_predictions(trained, taxonomy):
    first = load_model_tagger(trained, taxonomy, backend="torch").predict(_turns())
    again = load_model_tagger(trained, taxonomy, backend="torch").predict(_turns())
    assert first == again


def test_value_and_span_of_a_yield_target(trained, taxonomy):
    (predictions,) = load_model_tagger(trained, taxonomy, backend="torch").predict([Turn("一年四个点就行")])
    (target,) = [p for p in predictions if p.label == "preference.return.target"]
    assert target.value == 4.0 and "一年四个点就行"[slice(*target.span)] == "四个点"
    assert 0.0 < target.confidence <= 1.0


@pytest.mark.parametrize(("backend", "tolerance"), [("torch", 1e-4), ("onnx", 0.0)])
def test_batch_equals_one_by_one(trained, taxonomy, backend, tolerance):
    """Padding is masked (torch batches); ONNX Runtime scores each turn alone, since int8 activations are
    scaled per run: a turn's scores never depend on the turns tagged with it."""
    tagger = load_model_tagger(trained, taxonomy, backend=backend)
    batch = tagger.predict(_turns())
    single = [tagger.predict([turn])[0] for turn in _turns()]
    assert _labels(batch) == _labels(single)
    for many, one in zip(batch, single, strict=True):
        assert [p.confidence for p in many] == pytest.approx([p.confidence for p in one], abs=tolerance)


def test_onnx_fp32_equals_pytorch(trained, taxonomy, tmp_path):
    torch_tagger = load_model_tagger(trained, taxonomy, backend="torch")
    export_onnx(load_network(trained, ModelConfig.read(trained)), tmp_path / "fp32.onnx")
    expected = torch_tagger.scores(_turns())
    torch_tagger.scorer = OnnxScorer(tmp_path / "fp32.onnx", workers=2)
    assert np.abs(torch_tagger.scores(_turns()) - expected).max() < 1e-4


def test_exported_graph_fuses_bias_and_gelu(trained):
    """ONNX Runtime's transformer optimiser rewrote the graph (one BiasGelu per encoder layer)."""
    import onnx

    config = ModelConfig.read(trained)
    operators = [node.op_type for node in onnx.load(str(trained / "model.onnx")).graph.node]
    assert operators.count("BiasGelu") == config.encoder["num_hidden_layers"]
    assert "Gelu" not in operators and "Erf" not in operators


def test_int8_onnx_agrees_with_pytorch(trained, taxonomy):
    torch_tagger = load_model_tagger(trained, taxonomy, backend="torch")
    onnx_tagger = load_model_tagger(trained, taxonomy)  # auto: model.onnx (int8)
    assert onnx_tagger.scorer.backend == "onnx"
    assert _labels(onnx_tagger.predict(_turns())) == _labels(torch_tagger.predict(_turns()))
    assert np.abs(onnx_tagger.scores(_turns()) - torch_tagger.scores(_turns())).max() < 0.2


def _tiny_graph(path: Path) -> Path:
    """A one-MatMul float graph, enough for the quantiser to quantise."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"])],
        "tiny",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 4])],
        [weight],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), path)
    return path


def test_quantising_logs_no_pre_processing_advice_and_leaves_logging_as_it_was(tmp_path, caplog, monkeypatch):
    root = logging.getLogger()
    filters = list(root.filters)
    with caplog.at_level(logging.WARNING):
        quantize_int8(_tiny_graph(tmp_path / "fp32.onnx"), tmp_path / "int8.onnx")
    assert (tmp_path / "int8.onnx").stat().st_size > 0
    assert not [r for r in caplog.records if "pre-processing" in r.getMessage()]
    assert root.filters == filters
    monkeypatch.setattr(root, "handlers", [])  # as in a program that configured no logging
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "again.onnx")
    assert root.handlers == []  # ONNX Runtime's logging.warning did not configure the root logger


def test_loads_through_convmine_load(trained):
    """A saved directory is combined with the rules, as the shipped model is."""
    from convmine.tagging.model import CombinedTagger

    pipeline = convmine.load(trained)
    assert isinstance(pipeline.tagger, CombinedTagger) and pipeline.tagger.mode == "model"
    assert {t.label for t in pipeline("不需要谢谢").tags} == {"objection.refusal.no_need"}
    assert convmine.load(trained, combine="intersection").tagger.mode == "intersection"


def test_model_for_another_taxonomy_is_refused(trained, taxonomy, tmp_path):
    copy = shutil.copytree(trained, tmp_path / "other")
    config = json.loads((copy / "config.json").read_text())
    config["taxonomy"]["hash"] = "0123456789abcdef"
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="trained for taxonomy"):
        load_model_tagger(copy, taxonomy)


def test_not_a_model_directory(tmp_path, taxonomy):
    with pytest.raises(ModelError, match=r"no config\.json"):
        load_model_tagger(tmp_path, taxonomy)


def test_missing_onnx_extra_is_named(trained, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingExtraError, match=r"convmine\[onnx\]"):
        OnnxScorer(trained / "model.onnx")


def _onnx_only(trained: Path, target: Path) -> Path:
    """A copy of the model directory without its torch weights, as the shipped default is."""
    copy = shutil.copytree(trained, target)
    (copy / "model.safetensors").unlink()
    return copy


def test_weights_are_read_back_from_the_int8_graph(trained, taxonomy, tmp_path):
    from safetensors.numpy import load_file

    from convmine.tagging.model.onnx_weights import state_from_onnx

    original = load_file(str(trained / "model.safetensors"))
    recovered = state_from_onnx(trained / "model.onnx")
    assert set(original) - set(recovered) <= {"encoder.embeddings.position_ids"}
    for name, array in recovered.items():  # dequantised: off by at most half a quantisation step
        step = np.abs(original[name]).max() / 127
        assert array.shape == original[name].shape and np.abs(array - original[name]).max() <= step, name
    onnx_only = _onnx_only(trained, tmp_path / "onnx-only")
    torch_tagger = load_model_tagger(onnx_only, taxonomy, backend="torch")
    onnx_tagger = load_model_tagger(onnx_only, taxonomy, backend="onnx")
    assert _labels(torch_tagger.predict(_turns())) == _labels(onnx_tagger.predict(_turns()))


def test_distils_a_smaller_student_from_an_onnx_only_teacher(trained, taxonomy, tmp_path):
    teacher = _onnx_only(trained, tmp_path / "teacher")
    settings = replace(OVERFIT, epochs=40, patience=40, teacher=teacher, layers=1, joined_turns=0.5)
    result = train(trained.parent / "data", tmp_path / "student", settings=settings, taxonomy=taxonomy)
    config = json.loads((result.out_dir / "config.json").read_text())
    assert config["encoder"]["num_hidden_layers"] == 1
    training = config["scores"]["training"]
    assert training["teacher"].startswith("model@")
    assert (training["joined_rows"], training["train_rows"]) == (4, 12)  # 8 rows and 4 joined from them
    card = (result.out_dir / "README.md").read_text()
    assert "- distilled from `model@" in card and "(4 of them two train turns joined into one)" in card
    student = load_model_tagger(result.out_dir, taxonomy)
    assert _labels(student.predict(_turns())) == _labels(
        load_model_tagger(teacher, taxonomy).predict(_turns())
    )


def test_clause_turns_put_each_label_in_the_clause_that_carries_it(trained, taxonomy):
    from convmine.corpus import Example
    from convmine.tagging.model.training import clause_turns

    rows = [
        Example("我手头有二十万闲着，只买保本的", ("basic.funds.idle", "preference.risk.guaranteed"), id="a"),
        Example("喂你好，不需要谢谢", ("objection.refusal.no_need",), id="b"),
        Example(
            "只买保本的，一年四个点就行", ("preference.risk.guaranteed", "preference.return.target=4"), id="c"
        ),
        Example("喂你好，手机银行方便", ("basic.funds.idle",), id="d"),  # no clause carries it: left out
        Example("只买保本的", ("preference.risk.guaranteed",), id="e"),  # one clause: nothing to add
        Example("喂你好，不需要谢谢", (), id="f"),  # no label: nothing to place
    ]
    placed = clause_turns(rows, load_model_tagger(trained, taxonomy))
    assert [(row.id, row.text, row.labels) for row in placed] == [
        ("a~0", "我手头有二十万闲着", ("basic.funds.idle",)),
        ("a~1", "只买保本的", ("preference.risk.guaranteed",)),
        ("b~0", "喂你好", ()),
        ("b~1", "不需要谢谢", ("objection.refusal.no_need",)),
        ("c~0", "只买保本的", ("preference.risk.guaranteed",)),
        ("c~1", "一年四个点就行", ("preference.return.target=4",)),
    ]


def test_training_on_clause_turns(trained, taxonomy, tmp_path):
    from typer.testing import CliRunner

    from convmine.cli.main import app

    data = tmp_path / "data"
    shutil.copytree(trained.parent / "data", data)
    two = [
        {
            "text": "我手头有二十万闲着，只买保本的",
            "labels": ["basic.funds.idle", "preference.risk.guaranteed"],
        }
    ]
    write_split(data / "train.jsonl", ROWS + two)
    arguments = ["train", "--data", str(data), "--out", str(tmp_path / "out"), "--clause-turns"]
    refused = CliRunner().invoke(app, arguments)
    assert refused.exit_code != 0 and "need a teacher (--teacher DIR)" in refused.output

    settings = replace(OVERFIT, epochs=2, teacher=trained, clause_turns=True, joined_turns=0)
    result = train(data, tmp_path / "out", settings=settings, taxonomy=taxonomy)
    training = json.loads((result.out_dir / "config.json").read_text())["scores"]["training"]
    assert (training["clause_rows"], training["train_rows"]) == (2, 11)  # 9 rows and the 2 clauses of one
    assert (
        "(2 a clause of a train turn on its own, labelled by the teacher)"
        in (result.out_dir / "README.md").read_text()
    )


def test_a_fresh_head_starts_at_the_train_labels_frequencies(taxonomy, tmp_path):
    import torch

    from convmine.corpus import Example
    from convmine.tagging.model.inputs import InputSettings, encode, load_tokenizer
    from convmine.tagging.model.labels import LabelSpace
    from convmine.tagging.model.network import TaggerNetwork, load_encoder

    base = tiny_encoder(tmp_path / "base", TEXTS)
    space = LabelSpace.from_taxonomy(taxonomy)
    network = TaggerNetwork(load_encoder(base), space).eval()
    multi, single = space.targets([Example(row["text"], tuple(row["labels"])).label_ids for row in ROWS])
    network.start_at_prior(multi, single)
    with torch.no_grad():
        network.head.weight.zero_()  # what the biases alone predict
        batch = encode(load_tokenizer(base / "tokenizer.json", InputSettings()), _turns(), InputSettings())
        predicted = network.probabilities(
            network(**{k: torch.from_numpy(v) for k, v in batch.items()})
        ).numpy()
    column = space.column
    assert np.allclose(predicted[:, column["basic.funds.idle"]], 2 / 8, atol=1e-6)
    assert np.allclose(predicted[:, column["objection.refusal.no_need"]], 1 / 8, atol=1e-6)
    assert np.allclose(predicted[:, column["preference.return.target"]], 1 / 8, atol=2e-3)
    assert np.allclose(predicted[:, column["preference.risk.guaranteed"]], 1 / 8, atol=2e-3)
    assert predicted.max() < 0.5  # nothing passes a 0.5 threshold before training


def test_onnx_runtime_refuses_a_torch_device(trained, taxonomy):
    with pytest.raises(ModelError, match="backend='torch'"):
        load_model_tagger(trained, taxonomy, backend="onnx", device="cuda")


@pytest.mark.skipif(not _cuda(), reason="needs a CUDA GPU")
def test_trains_and_distils_on_a_gpu(trained, taxonomy, tmp_path):
    """The student trains on the GPU, its teacher scores there, and both agree with the CPU."""
    on_gpu = load_model_tagger(trained, taxonomy, backend="torch", device="cuda")
    on_cpu = load_model_tagger(trained, taxonomy, backend="torch")
    assert np.allclose(on_gpu.scores(_turns()), on_cpu.scores(_turns()), atol=1e-4)
    settings = replace(OVERFIT, teacher=_onnx_only(trained, tmp_path / "teacher"), clause_turns=True)
    result = train(
        trained.parent / "data", tmp_path / "student", settings=settings, taxonomy=taxonomy, device="cuda"
    )
    assert result.scores["dev"].micro_f1 == 1.0
    student = load_model_tagger(result.out_dir, taxonomy)
    assert _labels(student.predict(_turns())) == _labels(on_cpu.predict(_turns()))


def test_train_command_trains_for_a_bank_taxonomy_and_tag_uses_that_model(trained, tmp_path):
    from typer.testing import CliRunner

    from convmine.cli.main import app

    bank = write_bank_taxonomy(tmp_path / "bank.yaml")
    data = tmp_path / "data"
    shutil.copytree(trained.parent / "data", data)
    write_split(
        data / "train.jsonl", [*ROWS, {"text": "养老金产品", "labels": ["preference.product.pension"]}]
    )
    base = tiny_encoder(tmp_path / "base", [*TEXTS, "养老金产品"])
    out = tmp_path / "bank-model"
    arguments = ["--data", str(data), "--out", str(out), "--base", str(base), "--epochs", "1"]
    result = CliRunner().invoke(app, ["train", *arguments, "--taxonomy", str(bank)])
    assert result.exit_code == 0, result.output
    warning = " ".join(result.output.split())
    assert "Warning: dev micro-F1" in warning and "has not learned the labels yet" in warning  # one epoch
    assert "[yellow]" not in warning and "or give --teacher DIR" in warning
    config = json.loads((out / "config.json").read_text())
    assert config["taxonomy"]["name"] == "bank" and "preference.product.pension" in config["labels"]

    call = tmp_path / "c.txt"
    call.write_text("# customer_id: P1\n坐席：您好\n客户：我就想买点养老金产品\n", encoding="utf-8")
    db = str(tmp_path / "p.db")
    tagged = CliRunner().invoke(
        app, ["tag", str(call), "--db", db, "--model", str(out), "--taxonomy", str(bank)]
    )
    assert tagged.exit_code == 0, tagged.output
    assert "rules alone" not in tagged.output and "model@" in tagged.output
    refused = CliRunner().invoke(app, ["tag", str(call), "--db", db, "--model", str(out)])
    assert refused.exit_code == 1 and "trained for taxonomy 'bank'" in refused.output


def test_keep_layers_spreads_them_evenly():
    from transformers import BertConfig, BertModel

    from convmine.tagging.model.network import keep_layers

    encoder = BertModel(
        BertConfig(hidden_size=8, num_hidden_layers=5, num_attention_heads=2, intermediate_size=8)
    )
    layers = list(encoder.encoder.layer)
    keep_layers(encoder, 3)
    assert list(encoder.encoder.layer) == [layers[0], layers[2], layers[4]]
    assert encoder.config.num_hidden_layers == 3
    with pytest.raises(ModelError, match="at least one"):
        keep_layers(encoder, 0)


def test_train_command_distils_within_a_time_budget(trained, tmp_path):
    from typer.testing import CliRunner

    from convmine.cli.main import app

    out = tmp_path / "student"
    arguments = [
        "train",
        "--data",
        str(trained.parent / "data"),
        "--out",
        str(out),
        "--teacher",
        str(trained),
    ]
    options = [
        "--layers",
        "1",
        "--epochs",
        "5",
        "--max-minutes",
        "0",
        "--teacher-weight",
        "0.25",
        "--max-false-tags",
        "0.2",
    ]
    result = CliRunner().invoke(app, [*arguments, *options])
    assert result.exit_code == 0, result.output
    assert "best epoch 1 of 1" in result.output and "micro-F1" in result.output
    config = json.loads((out / "config.json").read_text())
    training = config["scores"]["training"]
    assert config["encoder"]["num_hidden_layers"] == 1 and training["epochs_run"] == 1
    assert training["teacher_weight"] == 0.25 and training["max_false_tags"] == 0.2
    assert "(its share of the targets: 0.25)" in (out / "README.md").read_text()
    assert config["scores"]["dev"]["micro_f1"] > 0.5 and "not learned" not in result.output


def _shifted(trained: Path, target: Path, by: float) -> Path:
    """A copy of the model with every float weight moved by ``by``: another model of the same shape."""
    from safetensors.numpy import load_file, save_file

    copy = shutil.copytree(trained, target)
    state = load_file(str(copy / "model.safetensors"))
    save_file(
        {k: v + by if v.dtype.kind == "f" else v for k, v in state.items()}, str(copy / "model.safetensors")
    )
    return copy


def test_average_is_the_mean_of_the_weights_with_thresholds_tuned_on_dev(trained, taxonomy, tmp_path):
    from safetensors.numpy import load_file

    from convmine.tagging.model.averaging import average

    data = trained.parent / "data"
    up, down = _shifted(trained, tmp_path / "up", 0.01), _shifted(trained, tmp_path / "down", -0.03)
    result = average([up, down], data, tmp_path / "avg", taxonomy=taxonomy)
    mean, original = (
        load_file(str(result.out_dir / "model.safetensors")),
        load_file(str(trained / "model.safetensors")),
    )
    for name, array in mean.items():
        expected = original[name] - 0.01 if array.dtype.kind == "f" else original[name]
        assert np.allclose(array, expected, atol=1e-6), name
    config = json.loads((result.out_dir / "config.json").read_text())
    versions = [json.loads((d / "config.json").read_text())["version"] for d in (up, down)]
    assert config["scores"]["training"]["averaged"] == [f"model@{v}" for v in versions]
    assert config["version"].endswith(".avg") and set(result.scores) == {"dev", "test_torch", "test"}
    assert (
        f"- the average of the weights of `model@{versions[0]}`" in (result.out_dir / "README.md").read_text()
    )


def test_a_model_averaged_with_itself_tags_as_it_did(trained, taxonomy, tmp_path):
    from convmine.tagging.model.averaging import average

    onnx_only = _onnx_only(trained, tmp_path / "onnx-only")  # takes part with its dequantised weights
    result = average([trained, trained], trained.parent / "data", tmp_path / "same", taxonomy=taxonomy)
    before, after = ModelConfig.read(trained), ModelConfig.read(result.out_dir)
    assert after.thresholds == before.thresholds and after.scores["dev"]["micro_f1"] == 1.0
    assert _labels(load_model_tagger(result.out_dir, taxonomy).predict(_turns())) == _labels(
        load_model_tagger(trained, taxonomy).predict(_turns())
    )
    mixed = average([trained, onnx_only], trained.parent / "data", tmp_path / "mixed", taxonomy=taxonomy)
    assert mixed.scores["dev"].micro_f1 == 1.0


def test_models_that_differ_are_not_averaged(trained, taxonomy, tmp_path):
    from convmine.tagging.model.averaging import average

    data = trained.parent / "data"
    other_vocabulary = shutil.copytree(trained, tmp_path / "vocabulary")
    tokenizer = other_vocabulary / "tokenizer.json"
    pieces = json.loads(tokenizer.read_text())
    pieces["model"]["vocab"][-1][0] = "▁宝"  # another piece, in the same place
    tokenizer.write_text(json.dumps(pieces, ensure_ascii=False))
    with pytest.raises(ModelError, match="their vocabularies differ"):
        average([trained, other_vocabulary], data, tmp_path / "a", taxonomy=taxonomy)
    deeper = shutil.copytree(trained, tmp_path / "deeper")
    config = json.loads((deeper / "config.json").read_text())
    config["encoder"]["num_hidden_layers"] = 3
    (deeper / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match=r"encoders \(shape and layers\) differ"):
        average([trained, deeper], data, tmp_path / "b", taxonomy=taxonomy)
    with pytest.raises(ModelError, match="trained for taxonomy"):
        average(
            [trained, trained],
            data,
            tmp_path / "c",
            taxonomy=load_taxonomy(write_bank_taxonomy(tmp_path / "b.yaml")),
        )
    assert not any((tmp_path / name).exists() for name in "abc")


def test_average_command(trained, tmp_path):
    from typer.testing import CliRunner

    from convmine.cli.main import app

    data, out = str(trained.parent / "data"), tmp_path / "avg"
    other = _shifted(trained, tmp_path / "other", 0.001)
    arguments = [
        "average",
        str(trained),
        str(other),
        "--data",
        data,
        "--out",
        str(out),
        "--max-false-tags",
        "0",
    ]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "the average of 2 models" in result.output and "micro-F1" in result.output
    assert json.loads((out / "config.json").read_text())["scores"]["training"]["max_false_tags"] == 0.0
    assert (
        "then raised until at most 0 % of dev's turns without a label get one"
        in (out / "README.md").read_text()
    )
    assert load_model_tagger(out, load_taxonomy()).predict(_turns())
    alone = CliRunner().invoke(app, ["average", str(trained), "--data", data, "--out", str(tmp_path / "x")])
    assert alone.exit_code == 1 and "at least two models" in alone.output


def test_a_device_this_torch_cannot_use_is_refused_before_training(tmp_path):
    import torch

    from convmine.tagging.model.training import check_device

    check_device(torch, "cpu")
    with pytest.raises(ModelError, match="unknown torch device 'gpu'; use cpu, cuda"):
        train(tmp_path / "data", tmp_path / "out", device="gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="no usable CUDA GPU"):
            check_device(torch, "cuda")
    assert not (tmp_path / "out").exists()
