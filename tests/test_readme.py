"""The README stays true: its Python code runs and every command it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from convmine.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_python_examples_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    import convmine

    if convmine.load().tagger.source == "model":  # the output shown is the default model's (onnx extra)
        shown = re.findall(r"^# (\S+ None [\d.]+ .*)$", blocks[0], re.M)
        assert shown and all(line in printed for line in shown)
    assert (tmp_path / "convmine.db").exists()


def test_every_command_the_readme_names_exists():
    group = typer.main.get_command(app)
    named = set(re.findall(r"`convmine ([a-z-]+)(?: ([a-z-]+))?", README))
    assert len(named) > 10
    for command, sub in named:
        assert command in group.commands, command
        sub_group = group.commands[command]
        if sub and hasattr(sub_group, "commands") and not sub.startswith("-"):
            assert sub in sub_group.commands, f"{command} {sub}"
