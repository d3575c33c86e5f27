"""The model card: a README.md in the model directory with what the model is and how well it does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from convmine.tagging.model.labels import MIN_SUPPORT

if TYPE_CHECKING:
    from convmine.tagging.model.storage import ModelConfig

_SPLIT_NAMES = {
    "dev": "dev (thresholds tuned here)",
    "test_torch": "test, PyTorch fp32",
    "test": "test, ONNX int8 (inference path)",
}


def write_card(directory: Path, config: ModelConfig) -> Path:
    training = config.scores.get("training", {})
    rows = [
        f"| {_SPLIT_NAMES.get(name, name)} | {s['items']} | {s['micro_f1']:.3f} | {s['macro_f1']:.3f} "
        f"| {s['false_tag_rate']:.3f} |"
        for name, s in config.scores.items()
        if name != "training"
    ]
    lines = [
        f"# convmine taxonomy tagger `{config.name}@{config.version}`",
        "",
        "Tags customer turns of Chinese bank call-centre conversations with the labels of the taxonomy "
        f"`{config.taxonomy.get('name')}` {config.taxonomy.get('version')} (hash `{config.taxonomy.get('hash')}`). "
        "Each turn is read together with the agent's preceding turn (usually a question).",
        "",
        "## Model",
        f"- base encoder: `{config.base}`, {training.get('layers', '?')} layers, "
        f"{training.get('vocabulary', '?')} vocabulary pieces",
        f"- {len(config.labels)} labels; {len(config.groups)} single-choice dimensions (softmax with none), "
        "the others multi-label (sigmoid); thresholds tuned on dev (a label's own where dev has "
        f"{MIN_SUPPORT} or more of it, else one shared){_false_tag_cap(training)}",
        *_origin_lines(training),
        "",
        "## Scores",
        "| data | turns | micro-F1 | macro-F1 | false-tag rate (no-label turns) |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "## Use and limits",
        "- Load with `convmine.load(PATH)`; `model.onnx` runs on ONNX Runtime (`pip install 'convmine[onnx]'`).",
        _data_line(training.get("data")),
        "- Refuses to load with a taxonomy other than the one it was trained for.",
        "",
    ]
    path = directory / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _data_line(data: str | None) -> str:
    """What the scores are on; a model of the project's corpus (the shipped one records no ``data``)
    warns that the corpus is written text, not ASR output."""
    from convmine.corpus import default_corpus_dir

    if data is None or Path(data).resolve() == default_corpus_dir().resolve():
        return (
            "- Trained on the project's own written corpus: expect lower scores on real ASR output; check on "
            "your own labelled calls with `convmine evaluate --model PATH`."
        )
    return (
        f"- Trained on `{data}`; the scores above are on its dev and test splits. Check it on other labelled "
        "calls of yours with `convmine evaluate --model PATH`."
    )


#: Extra training rows the card names: the training record's key, and what each row is.
_EXTRA_ROWS = {
    "joined_rows": "of them two train turns joined into one",
    "clause_rows": "a clause of a train turn on its own, labelled by the teacher",
}


def _origin_lines(training: dict) -> list[str]:
    """How the weights were made: trained (on what, how long, from which teacher) or averaged."""
    if training.get("averaged"):
        names = ", ".join(f"`{name}`" for name in training["averaged"])
        return [f"- the average of the weights of {names}, each counting the same"]
    return [
        f"- trained on {training.get('train_rows', '?')} turns{_extra_rows(training)}, best dev epoch "
        f"{training.get('best_epoch', '?')} of {training.get('epochs_run', '?')}, seed {training.get('seed', '?')}",
        *_teacher_line(training),
    ]


def _teacher_line(training: dict) -> list[str]:
    """The card's line on distillation (the teacher's share only where the config records it)."""
    if not training.get("teacher"):
        return []
    share = training.get("teacher_weight")
    return [
        f"- distilled from `{training['teacher']}`"
        + (f" (its share of the targets: {share})" if share is not None else "")
    ]


def _extra_rows(training: dict) -> str:
    said = "; ".join(f"{training[key]} {what}" for key, what in _EXTRA_ROWS.items() if training.get(key))
    return f" ({said})" if said else ""


def _false_tag_cap(training: dict) -> str:
    cap = training.get("max_false_tags")
    return (
        ""
        if cap is None
        else f", then raised until at most {cap * 100:g} % of dev's turns without a label get one"
    )
