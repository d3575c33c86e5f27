"""The tagger network (torch): a shared encoder, mean pooling, and one linear layer of logits.

``probabilities`` applies a sigmoid to labels of ``multi`` dimensions and a softmax with a "none"
logit to each ``single`` dimension; :class:`ScoringNetwork` wraps both for ONNX export, so the exported
graph outputs one probability per label.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from convmine.errors import ModelError
from convmine.tagging.model.labels import LabelSpace

_NO_POOLER = {"bert", "roberta", "xlm-roberta"}
_PREFIXES = ("bert.", "roberta.", "model.", "encoder_model.")


def load_encoder(directory: Path) -> nn.Module:
    """A ``transformers`` encoder from a local directory.

    Weights are read from ``model.safetensors`` directly, so nothing is fetched and nothing is printed.
    """
    from safetensors.torch import load_file

    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    encoder = encoder_from_config(config)
    weights = directory / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"{directory} has no model.safetensors; save the encoder with safetensors weights")
    expected = set(encoder.state_dict())
    state = {}
    for name, tensor in load_file(str(weights)).items():
        for prefix in ("", *_PREFIXES):  # checkpoints of task models keep the encoder under a prefix
            key = name.removeprefix(prefix)
            if name.startswith(prefix) and key in expected:
                state[key] = tensor
                break
    missing = sorted(k for k in expected - set(state) if "position_ids" not in k)
    if missing:
        raise ModelError(
            f"{weights} lacks encoder weights such as {missing[:3]}; is it an encoder checkpoint?"
        )
    encoder.load_state_dict(state, strict=False)
    return encoder


def keep_layers(encoder: nn.Module, count: int) -> nn.Module:
    """Cut ``encoder`` to ``count`` of its layers, evenly spaced, the first and last always kept
    (as DistilBERT initialises a student from its teacher)."""
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if layers is None:
        raise ModelError(
            f"cannot drop layers of a {type(encoder).__name__}; only BERT-like encoders are supported"
        )
    if count >= len(layers):
        return encoder
    if count < 1:
        raise ModelError(f"cannot keep {count} layers; keep at least one")
    chosen = sorted({round(i * (len(layers) - 1) / max(count - 1, 1)) for i in range(count)})
    encoder.encoder.layer = nn.ModuleList(layers[i] for i in chosen)
    encoder.config.num_hidden_layers = len(chosen)
    return encoder


def encoder_from_config(config: dict[str, Any]) -> nn.Module:
    """An encoder with random weights shaped by a saved ``transformers`` config dictionary."""
    from transformers import AutoConfig, AutoModel

    drop = {"architectures", "transformers_version", "torch_dtype", "dtype", "_name_or_path"}
    settings = {key: value for key, value in config.items() if key not in drop}
    model_type = settings.pop("model_type")
    built = AutoConfig.for_model(model_type, **settings)
    extra: dict[str, Any] = {"add_pooling_layer": False} if model_type in _NO_POOLER else {}
    return AutoModel.from_config(built, attn_implementation="eager", **extra)


class TaggerNetwork(nn.Module):
    """Encoder → masked mean of the last hidden states → dropout → logits."""

    def __init__(self, encoder: nn.Module, space: LabelSpace, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.space = space
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, space.n_logits)
        n = len(space.labels)
        for g, group in enumerate(space.groups):
            self.register_buffer(f"group_{g}", torch.tensor(group, dtype=torch.long), persistent=False)
        self._n_labels = n

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))

    def start_at_prior(self, multi: np.ndarray, single: np.ndarray) -> None:
        """Set the head's biases so that, before it has learned anything, it predicts the train labels'
        frequencies (``multi`` and ``single`` as :meth:`LabelSpace.targets` gives them) rather than 0.5
        for every label: a fresh head from a base encoder then spends fewer epochs on predicting no label.
        """
        n, floor = self._n_labels, 1e-4  # labels the train split lacks start at 1 in 10,000
        frequency = np.clip(multi.mean(axis=0), floor, 1 - floor)
        bias = np.zeros(n + len(self.space.groups))
        bias[:n] = np.log(frequency / (1 - frequency))
        for g, group in enumerate(self.space.groups):
            shares = np.bincount(single[:, g], minlength=len(group) + 1) / len(single)
            logs = np.log(np.maximum(shares, floor))
            bias[n + g], bias[list(group)] = logs[0], logs[1:]
        with torch.no_grad():
            self.head.bias.copy_(torch.from_numpy(bias))

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        n = self._n_labels
        probs = torch.sigmoid(logits[:, :n])
        for g in range(len(self.space.groups)):
            columns: torch.Tensor = getattr(self, f"group_{g}")
            choice = torch.cat([logits[:, n + g : n + g + 1], logits.index_select(1, columns)], dim=1)
            probs = probs.index_copy(1, columns, torch.softmax(choice, dim=1)[:, 1:])
        return probs

    def loss(self, logits: torch.Tensor, multi: torch.Tensor, single: list[torch.Tensor]) -> torch.Tensor:
        """Per row: binary cross-entropy summed over ``multi`` labels plus cross-entropy of each single
        group; targets are probabilities (:meth:`LabelSpace.soft_targets`), gold or distilled."""
        n = self._n_labels
        grouped = sorted(self.space.grouped)
        free = torch.ones(n, dtype=torch.bool, device=logits.device)
        free[grouped] = False
        total = nn.functional.binary_cross_entropy_with_logits(
            logits[:, :n][:, free], multi[:, free], reduction="sum"
        ) / len(logits)
        for g, target in enumerate(single):
            columns: torch.Tensor = getattr(self, f"group_{g}")
            choice = torch.cat([logits[:, n + g : n + g + 1], logits.index_select(1, columns)], dim=1)
            total = total + nn.functional.cross_entropy(choice, target)
        return total


class ScoringNetwork(nn.Module):
    """``TaggerNetwork`` with probabilities as output: what is exported to ONNX."""

    def __init__(self, network: TaggerNetwork):
        super().__init__()
        self.network = network

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.network.probabilities(self.network(input_ids, attention_mask, token_type_ids))
