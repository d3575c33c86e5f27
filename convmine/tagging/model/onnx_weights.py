"""The network's weights read back out of its ONNX graph, int8 weights dequantised.

A model directory may ship only ``model.onnx`` (the default model does, to stay small). Its graph,
written by :func:`convmine.tagging.model.export.export_onnx`, keeps the parameter names of biases,
LayerNorms and embedding tables; the weight of each linear layer is found as the matrix multiplied
just before the named bias is added (by ``Add``, or by the fused ``BiasGelu``). Dequantised int8
weights are exactly what ONNX Runtime computes with, so a network built from them scores like the
int8 graph, in fp32 (within rounding).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from convmine.errors import ModelError
from convmine.extras import require

_PREFIX = "network."  # ScoringNetwork wraps the TaggerNetwork as ``network``
_MATMULS = {"MatMul", "MatMulInteger"}
#: Nodes between a quantised product and its bias: int32 → float, times the two scales.
_PASS_THROUGH = {"Cast", "Mul"}
#: Operators that add a bias: ``Add``, and the feed-forward layer's bias and GELU fused by the export.
_BIAS_ADDS = {"Add", "BiasGelu"}


def state_from_onnx(path: Path) -> dict[str, np.ndarray]:
    """The network's ``state_dict`` tensors (names without the export wrapper's prefix), as fp32 arrays."""
    onnx = require("onnx", "train", "reading weights from model.onnx")
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    tensors = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    matmuls = [node for node in graph.node if node.op_type in _MATMULS and node.input[1] in tensors]
    multiplied = {node.input[1] for node in matmuls}
    state: dict[str, np.ndarray] = {}
    for name, array in tensors.items():
        if not name.startswith(_PREFIX) or name in multiplied or name.endswith(("_scale", "_zero_point")):
            continue
        if name.endswith("_quantized"):  # an embedding table (quantised Gather)
            base = name.removesuffix("_quantized")
            state[base] = _dequantize(array, tensors[f"{base}_scale"], tensors[f"{base}_zero_point"], axis=0)
        else:
            state[name] = array.astype(np.float32)
    consumers: dict[str, list] = {}
    for node in graph.node:
        for value in node.input:
            consumers.setdefault(value, []).append(node)
    for node in matmuls:
        bias = _bias_after(node, consumers, tensors)
        if bias is None:
            raise ModelError(
                f"{path}: no named bias after {node.name or node.op_type}; not a convmine export"
            )
        weight = tensors[node.input[1]]
        if node.op_type == "MatMulInteger":
            base = node.input[1].removesuffix("_quantized")
            # per channel = per output column of the (inputs, outputs) matrix
            weight = _dequantize(weight, tensors[f"{base}_scale"], tensors[f"{base}_zero_point"], axis=1)
        state[bias.removesuffix("bias") + "weight"] = np.ascontiguousarray(weight.T, dtype=np.float32)
    return {name.removeprefix(_PREFIX): array for name, array in state.items()}


def _bias_after(node, consumers: dict[str, list], tensors: dict[str, np.ndarray]) -> str | None:  # type: ignore[no-untyped-def]
    """The name of the bias initializer added to ``node``'s product (through casts and scaling)."""
    output = node.output[0]
    for _ in range(4):
        following = consumers.get(output, [])
        if len(following) != 1:
            return None
        after = following[0]
        if after.op_type in _BIAS_ADDS:
            named = [value for value in after.input if value in tensors and value.endswith(".bias")]
            return named[0] if named else None
        if after.op_type not in _PASS_THROUGH:
            return None
        output = after.output[0]
    return None


def _dequantize(values: np.ndarray, scale: np.ndarray, zero_point: np.ndarray, *, axis: int) -> np.ndarray:
    """``(values - zero_point) * scale``, with one scale per tensor or one per slice along ``axis``."""
    shape = [1] * values.ndim
    if scale.size > 1:
        shape[axis] = -1
    zero = zero_point.astype(np.float32).reshape(shape)
    return (values.astype(np.float32) - zero) * scale.astype(np.float32).reshape(shape)
