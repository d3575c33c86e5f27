"""The shipped default model and the ``convmine train`` command's help."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.extras import need
from tests.fakes import write_bank_taxonomy


def test_shipped_model_combined_with_rules():
    need("onnxruntime", "onnx")
    need("tokenizers", "onnx")
    import convmine

    pipeline = convmine.load("model")
    assert pipeline.tagger.name == "default" and pipeline.tagger.source == "model"
    result = pipeline("对，有二十来万放着没动")
    assert "basic.funds.idle" in {tag.label for tag in result.tags}
    target = pipeline("一年能有三个点我就满意了").tags
    assert [(t.label, t.value) for t in target if t.value is not None] == [("preference.return.target", 3.0)]


def _bank_taxonomy(tmp_path: Path) -> Path:
    return write_bank_taxonomy(tmp_path / "my-bank.yaml")


def test_default_tagger_is_the_model_without_a_warning():
    need("onnxruntime", "onnx")
    from convmine.tagging.model import shipped
    from convmine.taxonomy import load_taxonomy

    with warnings.catch_warnings():
        warnings.simplefilter("error", shipped.ShippedModelUnusedWarning)
        assert shipped.default_tagger(load_taxonomy()).source == "model"


def test_a_taxonomy_extension_falls_back_to_rules_with_a_warning_naming_both_taxonomies(tmp_path):
    need("onnxruntime", "onnx")
    need("tokenizers", "onnx")
    import convmine
    from convmine.tagging.model.shipped import ShippedModelUnusedWarning

    bank = convmine.load_taxonomy(_bank_taxonomy(tmp_path))
    with pytest.warns(ShippedModelUnusedWarning) as caught:
        pipeline = convmine.load(taxonomy=bank)
    assert pipeline.tagger.name == "rules"
    message = str(caught[0].message)
    assert convmine.load_taxonomy().hash in message and bank.hash in message and "'bank'" in message
    assert "onnx" not in message
    assert caught[0].filename == __file__  # it points at the caller's line, not into convmine


def test_without_the_onnx_extra_the_warning_names_the_extra(monkeypatch):
    import convmine
    from convmine.tagging.model.shipped import ShippedModelUnusedWarning

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    with pytest.warns(
        ShippedModelUnusedWarning, match=r"onnxruntime.*not installed.*convmine\[onnx\]"
    ) as caught:
        assert convmine.load().tagger.name == "rules"
    assert "trained for" not in str(caught[0].message)


def test_a_combination_mode_without_the_onnx_extra_tags_with_the_rules(monkeypatch):
    """Naming a mode must not need numpy: the rules stand in, with the usual warning."""
    import convmine
    from convmine.tagging.model.shipped import ShippedModelUnusedWarning

    monkeypatch.setitem(sys.modules, "numpy", None)  # as in a core install
    for module in ("convmine.tagging.model.combine", "convmine.tagging.model.tagger"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.warns(ShippedModelUnusedWarning, match="numpy"):
        assert convmine.load(combine="union").tagger.name == "rules"


def test_train_command_has_help():
    from convmine.cli.train import train

    app = typer.Typer()
    app.command()(train)
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for option in (
        "--data",
        "--out",
        "--base",
        "--epochs",
        "--seed",
        "--teacher",
        "--teacher-weight",
        "--layers",
        "--max-minutes",
        "--joined-turns",
    ):
        assert option in result.output


def test_shipped_model_scores_a_turn_the_same_whatever_is_tagged_with_it():
    """int8 activations are scaled per run; turns are scored one at a time, so a call's tags never
    depend on the rest of the night's batch."""
    need("onnxruntime", "onnx")
    from convmine.schema import Turn
    from convmine.tagging.model import load_model_tagger
    from convmine.tagging.model.shipped import SHIPPED_DIR
    from convmine.taxonomy import load_taxonomy

    tagger = load_model_tagger(SHIPPED_DIR, load_taxonomy())
    turn = Turn("对，有二十来万放着没动", ("您最近手上有闲置资金吗？",))
    others = [Turn("你们APP老是卡，转账转不出去，气死我了" * 3), Turn("嗯"), Turn("我只买保本的，亏不起")]
    alone = tagger.scores([turn])
    assert (tagger.scores([*others, turn])[-1] == alone[0]).all()


def test_combination_mode_from_load_and_the_command_line(tmp_path):
    """``--combine``/``combine=`` picks how the shipped model's tags merge with the rules', on a turn where
    the two disagree (the model reads a fund company, the rules a fund product)."""
    need("onnxruntime", "onnx")
    need("tokenizers", "onnx")
    import json

    import convmine
    from convmine.cli.main import app
    from convmine.errors import ModelError

    turn = "我在国泰基金有个账户"
    found = {
        mode: {t.label for t in convmine.load(combine=mode)(turn).tags}
        for mode in ("model", "union", "intersection")
    }
    assert found["intersection"] < found["model"] < found["union"]
    assert convmine.load(combine="union").version.endswith(":union")
    with pytest.raises(ModelError, match="unknown combination mode"):
        convmine.load(combine="both")
    with pytest.raises(ModelError, match="'rules' has no model"):
        convmine.load("rules", combine="union")

    data = tmp_path / "turns.jsonl"
    data.write_text(json.dumps({"text": turn, "labels": sorted(found["model"])}) + "\n", encoding="utf-8")
    runner = CliRunner()
    micro = {}
    for mode in ("model", "union", "intersection"):
        result = runner.invoke(app, ["evaluate", str(data), "--combine", mode, "--json"])
        assert result.exit_code == 0, result.output
        micro[mode] = json.loads(result.output)["micro_f1"]
    assert micro["model"] == 1.0 > micro["union"] > micro["intersection"] == 0.0
    refused = runner.invoke(app, ["evaluate", str(data), "--model", "rules", "--combine", "union"])
    assert refused.exit_code == 1 and "'rules' has no model" in refused.output


def test_a_model_is_never_saved_over_a_file_its_inputs_or_a_folder_of_other_files(tmp_path):
    """Checked before training or averaging starts, so that nothing is lost and no run is wasted."""
    import shutil

    from convmine.errors import ModelError
    from convmine.tagging.model.storage import check_output_dir

    model = tmp_path / "model"
    shutil.copytree(
        Path(__file__).resolve().parent.parent / "models" / "default",
        model,
        ignore=shutil.ignore_patterns("*.onnx"),
    )
    (tmp_path / "file").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("my notes")
    with pytest.raises(ModelError, match="is a file"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(ModelError, match="also a model this run reads"):
        check_output_dir(tmp_path / "model", [tmp_path / "other", model])
    with pytest.raises(ModelError, match="not a saved convmine model; choose a new folder"):
        check_output_dir(tmp_path / "notes")
    check_output_dir(model)  # an earlier model is replaced
    check_output_dir(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_output_dir(tmp_path / "empty")
