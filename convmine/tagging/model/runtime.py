"""Scorers: batches of token arrays in, one probability per label out. ONNX Runtime is the default path.

The int8 graph quantises each activation with one scale per run (dynamic quantisation), computed over
the whole batch: a turn scored in a batch would depend on its neighbours. :class:`ModelTagger` therefore
scores turns one at a time by default, and :class:`OnnxScorer` runs one session per core, each on one
thread, side by side — deterministic, and faster on short turns than one session batching on all
cores.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from convmine.extras import require
from convmine.hardware import usable_cores

if TYPE_CHECKING:
    from convmine.tagging.model.network import TaggerNetwork

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
Batch = dict[str, np.ndarray]
#: Sessions beyond this many cores add memory (each holds the weights) more than speed.
MAX_WORKERS = 8


class Scorer(Protocol):
    """Maps batches of token arrays to one ``(batch, labels)`` float32 probability matrix each."""

    backend: str

    def __call__(self, batches: Sequence[Batch]) -> list[np.ndarray]: ...


class OnnxScorer:
    """Runs ``model.onnx`` with ONNX Runtime on the CPU: ``workers`` sessions of one thread each
    (default: one per usable core, at most :data:`MAX_WORKERS`) share the batches."""

    backend = "onnx"

    def __init__(self, path: Path, *, workers: int | None = None):
        ort = require("onnxruntime", "onnx", "the model tagger")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        count = max(1, workers or min(usable_cores(), MAX_WORKERS))
        self.sessions = [
            ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]) for _ in range(count)
        ]
        self._inputs = [i.name for i in self.sessions[0].get_inputs()]
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="convmine-onnx") if count > 1 else None

    def __call__(self, batches: Sequence[Batch]) -> list[np.ndarray]:
        results: list[np.ndarray] = [np.empty(0)] * len(batches)

        def work(worker: int) -> None:  # ONNX Runtime releases the GIL while it runs
            session = self.sessions[worker]
            for index in range(worker, len(batches), len(self.sessions)):
                feed = {name: batches[index][name] for name in self._inputs}
                results[index] = session.run(None, feed)[0]

        if self._pool is None or len(batches) < 2:
            for worker in range(len(self.sessions)):
                work(worker)
        else:
            list(self._pool.map(work, range(len(self.sessions))))
        return results


class TorchScorer:
    """Runs the PyTorch network (fp32) on a torch ``device``; used while training (a teacher scores
    on the training device) and to check the ONNX export."""

    backend = "torch"

    def __init__(self, network: TaggerNetwork, device: str = "cpu"):
        self.network = network.eval().to(device)
        self.device = device

    def __call__(self, batches: Sequence[Batch]) -> list[np.ndarray]:
        import torch

        with torch.inference_mode():
            return [
                self.network.probabilities(
                    self.network(
                        **{name: torch.from_numpy(batch[name]).to(self.device) for name in INPUT_NAMES}
                    )
                )
                .cpu()
                .numpy()
                for batch in batches
            ]
