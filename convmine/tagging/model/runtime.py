"""Scorers: token arrays in, one probability per label out. ONNX Runtime is the default path."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from convmine.extras import require

if TYPE_CHECKING:
    from convmine.tagging.model.network import TaggerNetwork

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class Scorer(Protocol):
    """Maps a batch of token arrays to a ``(batch, labels)`` float32 matrix of probabilities."""

    backend: str

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray: ...


class OnnxScorer:
    """Runs ``model.onnx`` with ONNX Runtime on the CPU."""

    backend = "onnx"

    def __init__(self, path: Path, *, threads: int | None = None):
        ort = require("onnxruntime", "onnx", "the model tagger")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        (probabilities,) = self.session.run(None, {name: inputs[name] for name in self._inputs})
        return probabilities


class TorchScorer:
    """Runs the PyTorch network (fp32); used while training and to check the ONNX export."""

    backend = "torch"

    def __init__(self, network: TaggerNetwork):
        self.network = network.eval()

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        tensors = {name: torch.from_numpy(inputs[name]) for name in INPUT_NAMES}
        with torch.inference_mode():
            return self.network.probabilities(self.network(**tensors)).numpy()
