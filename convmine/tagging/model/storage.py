"""A saved model is a directory: ``config.json``, weights, ``tokenizer.json`` and a ``README.md`` card.

``config.json`` holds the labels, the taxonomy (name, version, hash) the model was trained for, the
per-label thresholds, the input settings and the encoder's ``transformers`` config. Weights are
``model.onnx`` (int8, what inference uses by default) and/or ``model.safetensors`` (the fp32 torch
network, for further training and for checking the export). Nothing is pickled.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from convmine.errors import ModelError
from convmine.tagging.model.inputs import InputSettings, load_tokenizer
from convmine.tagging.model.labels import LabelSpace
from convmine.tagging.model.tagger import ModelTagger
from convmine.taxonomy import Taxonomy

FORMAT = "convmine-tagger"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
ONNX_FILE = "model.onnx"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
CARD_FILE = "README.md"
Backend = Literal["auto", "onnx", "torch"]


@dataclass(slots=True)
class ModelConfig:
    """What ``config.json`` says about a saved model."""

    name: str
    version: str
    taxonomy: dict[str, str]
    labels: list[str]
    groups: list[list[int]]
    thresholds: list[float]
    inputs: dict[str, Any]
    encoder: dict[str, Any]
    base: str = ""
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def space(self) -> LabelSpace:
        return LabelSpace(tuple(self.labels), tuple(tuple(g) for g in self.groups))

    def to_json(self) -> str:
        data = {"format": FORMAT, "format_version": FORMAT_VERSION}
        data |= {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def read(cls, directory: Path) -> ModelConfig:
        path = directory / CONFIG_FILE
        if not path.is_file():
            raise ModelError(f"{directory} is not a saved convmine model: it has no {CONFIG_FILE}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read {path}: {exc}") from None
        if data.get("format") != FORMAT:
            raise ModelError(f"{path} is not a convmine tagger config (format {data.get('format')!r})")
        if data.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"{directory} was saved in model format {data.get('format_version')}, this convmine reads "
                f"{FORMAT_VERSION}; retrain it with `convmine train` or install the convmine that saved it"
            )
        try:
            return cls(
                **{key: value for key, value in data.items() if key not in ("format", "format_version")}
            )
        except TypeError as exc:
            raise ModelError(f"{path} is malformed: {exc}") from None

    def check_taxonomy(self, taxonomy: Taxonomy, directory: Path) -> None:
        """Refuse a model trained for another taxonomy (its labels would mean other things)."""
        trained = self.taxonomy
        if trained.get("hash") != taxonomy.hash or list(taxonomy.label_ids) != self.labels:
            raise ModelError(
                f"the model in {directory} was trained for taxonomy {trained.get('name')!r} "
                f"{trained.get('version')} (hash {trained.get('hash')}), but the taxonomy in use is "
                f"{taxonomy.name!r} {taxonomy.version} (hash {taxonomy.hash}); load it with the taxonomy "
                "it was trained for, or retrain it: convmine train --data DIR --out DIR"
            )


def check_output_dir(out_dir: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuse, before any work, to save a model where it would destroy something: over a file, over one of
    the models or encoders the run reads (``inputs``), or into a folder holding files that are not a saved
    convmine model (an earlier model there is replaced, as re-training into one folder expects)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ModelError(f"{out_dir} is a file; give --out a folder to save the model in")
    resolved = out_dir.resolve()
    if any(path.resolve() == resolved for path in inputs):
        raise ModelError(f"{out_dir} is also a model this run reads; save to another folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        try:
            ModelConfig.read(out_dir)
        except ModelError:
            raise ModelError(
                f"{out_dir} already holds files that are not a saved convmine model; choose a new folder or "
                "empty that one"
            ) from None


def write_config(directory: Path, config: ModelConfig) -> None:
    (directory / CONFIG_FILE).write_text(config.to_json(), encoding="utf-8")


def load_model_tagger(
    path: str | Path,
    taxonomy: Taxonomy,
    *,
    backend: Backend = "auto",
    batch_size: int | None = None,
    clause_check: bool = True,
    clause_spans: bool = False,
    device: str = "cpu",
) -> ModelTagger:
    """Load a saved model directory as a tagger.

    ``backend="auto"`` uses ``model.onnx`` with ONNX Runtime (the ``onnx`` extra) when the directory has
    one, else the torch weights (the ``train`` extra). ``batch_size`` defaults to 1 on ONNX Runtime
    (int8 scores then never depend on neighbouring turns; see :mod:`~convmine.tagging.model.runtime`)
    and 64 on torch; ``device`` is the torch device the torch weights run on (``"cuda"`` on a GPU);
    ``clause_check`` and ``clause_spans`` see :class:`ModelTagger`. Raises
    :class:`ModelError` when the directory is not a model or was trained for another taxonomy.
    """
    directory = Path(path)
    config = ModelConfig.read(directory)
    config.check_taxonomy(taxonomy, directory)
    settings = InputSettings(**config.inputs)
    if not (directory / TOKENIZER_FILE).is_file():
        raise ModelError(f"{directory} lacks {TOKENIZER_FILE}; the saved model is incomplete, save it again")
    tokenizer = load_tokenizer(directory / TOKENIZER_FILE, settings)
    scorer = _scorer(directory, config, backend, device)
    return ModelTagger(
        scorer,
        tokenizer,
        config.space,
        np.array(config.thresholds, dtype=np.float32),
        settings,
        taxonomy,
        name=config.name,
        version=config.version,
        batch_size=batch_size or (1 if scorer.backend == "onnx" else 64),
        clause_check=clause_check,
        clause_spans=clause_spans,
    )


def _scorer(directory: Path, config: ModelConfig, backend: Backend, device: str):  # type: ignore[no-untyped-def]
    has_onnx, has_torch = (directory / ONNX_FILE).is_file(), (directory / WEIGHTS_FILE).is_file()
    if backend == "auto":
        backend = "onnx" if has_onnx else "torch"
    if backend == "onnx":
        if device != "cpu":
            raise ModelError(
                f"device={device!r} runs torch weights; ONNX Runtime runs on the CPU: "
                "load with backend='torch' to score on that device"
            )
        if not has_onnx:
            raise ModelError(f"{directory} has no {ONNX_FILE}; export one or load it with backend='torch'")
        from convmine.tagging.model.runtime import OnnxScorer

        return OnnxScorer(directory / ONNX_FILE)
    if not (has_torch or has_onnx):
        raise ModelError(
            f"{directory} has neither {ONNX_FILE} nor {WEIGHTS_FILE}; the saved model is incomplete"
        )
    from convmine.extras import require

    require("torch", "train", "loading a model's torch weights")
    from convmine.tagging.model.runtime import TorchScorer

    return TorchScorer(load_network(directory, config), device)


def load_network(directory: Path, config: ModelConfig):  # type: ignore[no-untyped-def]
    """The torch network with its saved weights (strict: every tensor must match).

    Weights come from ``model.safetensors``, or, where the directory has only ``model.onnx`` (the
    shipped default), from the graph with its int8 weights dequantised
    (:func:`~convmine.tagging.model.onnx_weights.state_from_onnx`).
    """
    import torch

    from convmine.tagging.model.network import TaggerNetwork, encoder_from_config

    network = TaggerNetwork(encoder_from_config(config.encoder), config.space)
    if (directory / WEIGHTS_FILE).is_file():
        from safetensors.torch import load_file

        source, state = directory / WEIGHTS_FILE, load_file(str(directory / WEIGHTS_FILE))
    else:
        from convmine.tagging.model.onnx_weights import state_from_onnx

        source = directory / ONNX_FILE
        state = {name: torch.from_numpy(array) for name, array in state_from_onnx(source).items()}
    missing, unexpected = network.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:
        raise ModelError(
            f"{source} does not fit its config: missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    return network.eval()


def save_network(network, directory: Path) -> None:  # type: ignore[no-untyped-def]
    """Write the torch network's weights as safetensors."""
    from safetensors.torch import save_file

    state = {name: tensor.detach().contiguous() for name, tensor in network.state_dict().items()}
    path = directory / WEIGHTS_FILE
    save_file(state, str(path), metadata={"format": "pt"})
    umask = os.umask(0)  # safetensors writes 0600; give the weights the mode of the model's other files
    os.umask(umask)
    path.chmod(0o666 & ~umask)


def encoder_config(encoder) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The parts of a ``transformers`` config needed to rebuild the encoder's shape."""
    data: Mapping[str, Any] = encoder.config.to_diff_dict()
    drop = {
        "architectures",
        "transformers_version",
        "torch_dtype",
        "dtype",
        "_name_or_path",
        "_attn_implementation",
    }
    return {key: value for key, value in data.items() if key not in drop} | {
        "model_type": encoder.config.model_type
    }
