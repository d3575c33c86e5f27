"""The shipped default model and the ``convmine train`` command's help."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from tests.extras import need


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


def test_default_tagger_is_the_model_or_falls_back_to_rules(monkeypatch):
    need("onnxruntime", "onnx")
    from convmine.tagging.model import shipped
    from convmine.taxonomy import load_taxonomy

    assert shipped.default_tagger(load_taxonomy()).source == "model"
    monkeypatch.setattr(shipped, "_trained_hash", lambda: "another")  # e.g. a bank's extended taxonomy
    assert shipped.default_tagger(load_taxonomy()).name == "rules"


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
        "--layers",
        "--max-minutes",
    ):
        assert option in result.output
