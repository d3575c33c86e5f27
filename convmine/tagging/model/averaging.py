"""Average the weights of saved models of one architecture (a uniform "model soup"), then tune thresholds.

Models fine-tuned from one start (a model, and one trained on from it) lie close enough in weight space
that their average is a model too, often one that forgets less than the later alone (the README's
training section gives the figures). The models must share the encoder's shape, the vocabulary
(``tokenizer.json``), the input settings and the labels; the average's thresholds are tuned afresh on
the data folder's dev split, and it is scored on test.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

from convmine.errors import InputError, ModelError
from convmine.tagging.model.inputs import InputSettings, load_tokenizer
from convmine.tagging.model.storage import TOKENIZER_FILE, ModelConfig, check_output_dir, load_network
from convmine.tagging.model.training import (
    TrainResult,
    read_split,
    require_training_extra,
    save_trained,
)
from convmine.taxonomy import Taxonomy, load_taxonomy
from convmine.text.pii import mask


def average(
    models: Sequence[str | Path],
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    taxonomy: Taxonomy | None = None,
    max_false_tags: float | None = None,
) -> TrainResult:
    """Save the average of ``models``' weights (each counts the same) to ``out_dir``, with thresholds
    tuned on ``data_dir/dev.jsonl`` (``max_false_tags`` as in
    :func:`~convmine.tagging.model.labels.tune_thresholds`) and scores on ``test.jsonl`` where there is one.

    A model saved without torch weights (the shipped default) takes part with its int8 graph's weights,
    dequantised. Raises :class:`~convmine.errors.ModelError` when the models differ in shape, vocabulary,
    input settings or labels, or were trained for another taxonomy.
    """
    torch = require_training_extra()
    started = time.perf_counter()
    directories = [Path(model) for model in models]
    if len(directories) < 2:
        raise InputError("averaging needs at least two models")
    check_output_dir(Path(out_dir), directories)
    taxonomy = taxonomy or load_taxonomy()
    configs = [ModelConfig.read(directory) for directory in directories]
    for directory, config in zip(directories, configs, strict=True):
        config.check_taxonomy(taxonomy, directory)
        _check_alike(directories[0], configs[0], directory, config)
    data_dir = Path(data_dir)
    splits = {name: read_split(data_dir, name, taxonomy) for name in ("dev", "test")}
    if not splits["dev"]:
        raise InputError(
            f"{data_dir} needs dev.jsonl (labelled rows): the average's thresholds are tuned there"
        )

    networks = [
        load_network(directory, config) for directory, config in zip(directories, configs, strict=True)
    ]
    states = [network.state_dict() for network in networks]
    network = networks[0]
    with torch.no_grad():
        network.load_state_dict(
            {
                name: torch.stack([state[name] for state in states]).mean(dim=0)
                if tensor.is_floating_point()
                else tensor  # integer buffers (position ids) are the same in every model
                for name, tensor in states[0].items()
            }
        )
    inputs = InputSettings(**configs[0].inputs)
    tokenizer = load_tokenizer(directories[0] / TOKENIZER_FILE, inputs)
    record = {
        "data": mask(str(data_dir)),
        "averaged": [f"{config.name}@{config.version}" for config in configs],
        "max_false_tags": max_false_tags,
    }
    scores = save_trained(
        network, tokenizer, inputs, splits, taxonomy, Path(out_dir), configs[0].base, record
    )
    return TrainResult(Path(out_dir), 0, 0, time.perf_counter() - started, scores)


def _check_alike(first: Path, first_config: ModelConfig, other: Path, config: ModelConfig) -> None:
    """Refuse to average models whose weights do not correspond one to one."""
    differences = [
        what
        for what, mine, theirs in (
            ("labels", first_config.space, config.space),
            ("encoders (shape and layers)", _shape(first_config), _shape(config)),
            ("input settings", first_config.inputs, config.inputs),
            ("vocabularies", _digest(first / TOKENIZER_FILE), _digest(other / TOKENIZER_FILE)),
        )
        if mine != theirs
    ]
    if differences:
        raise ModelError(
            f"{other} cannot be averaged with {first}: their {' and '.join(differences)} differ; only "
            "models of one architecture, vocabulary and label set average (e.g. a model and one trained "
            "on from it with --teacher)"
        )


def _shape(config: ModelConfig) -> dict:
    """The encoder config without what does not change the weights' meaning (dropout, ids, versions)."""
    ignored = ("dropout", "transformers_version", "_name_or_path", "dtype", "torch_dtype", "architectures")
    return {key: value for key, value in config.encoder.items() if not any(word in key for word in ignored)}


def _digest(path: Path) -> str:
    if not path.is_file():
        raise ModelError(f"{path.parent} lacks {path.name}; the saved model is incomplete, save it again")
    return hashlib.sha256(path.read_bytes()).hexdigest()
