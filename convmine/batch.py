"""The main job: read transcripts (or recordings), tag every call, write the results to a store.

One bad input never stops the night's batch: it becomes a :class:`Failure` with its reason, and
the summary says what failed. Re-running a batch replaces each call's earlier results, so the
store ends up with exactly the same rows; so does re-running it from a folder moved or copied
elsewhere (see :func:`tag_paths` for when a call counts as the stored one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from convmine.errors import ConvmineError, StoreError
from convmine.ingest import read_calls, scan_paths
from convmine.ingest.reading import Paths
from convmine.pipeline import Pipeline
from convmine.schema import Call, Failure, TaggedCall
from convmine.store import ProfileStore
from convmine.taxonomy import Taxonomy
from convmine.timezones import CHINA_TIME

if TYPE_CHECKING:
    from convmine.audio.manifest import Manifest


@dataclass(slots=True)
class BatchSummary:
    """What a batch did: calls tagged, tags found per category, inputs that failed and why.

    ``future_calls`` counts the calls tagged whose start time is after the batch began (a recorder's
    clock running fast, or a local time written as UTC): worth a warning, they are stored all the same.
    ``passed_over`` names the files in the batch's folders that no reader takes (``.xlsx``, ``.bak``, …;
    hidden files, sidecars and READMEs aside), masked: not failures, but worth a note.
    """

    tagger: str = ""
    calls: int = 0
    customer_turns: int = 0
    tags: int = 0
    tags_by_category: Counter[str] = field(default_factory=Counter)
    customers: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    future_calls: int = 0
    passed_over: list[str] = field(default_factory=list)
    began_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return not self.failures

    def add(self, result: TaggedCall) -> None:
        self.calls += 1
        self.customer_turns += len(result.call.customer_turns())
        self.tags += len(result.tags)
        self.tags_by_category.update(tag.label.split(".", 1)[0] for tag in result.tags)
        if result.call.customer_id:
            self.customers.add(result.call.customer_id)
        if result.call.started_at is not None and result.call.started_at > self.began_at:
            self.future_calls += 1


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """How far a batch is: input ``files`` found up front, how many of them are done, and calls tagged.

    Files are what is known before reading (one file may hold many calls). A file is done once a call
    of a later file is stored, or the batch ends; a JSON call naming its own ``source`` counts for the
    file read before it, so a file of such calls is done when a later file is reached.
    """

    files_done: int
    files: int
    calls: int


def tag_paths(
    paths: Paths,
    *,
    pipeline: Pipeline,
    store: ProfileStore,
    customer_id: str | None = None,
    batch_size: int = 64,
    local_time: tzinfo = CHINA_TIME,
    replace_other: bool = False,
    on_progress: Callable[[BatchProgress], None] | None = None,
    skip: Iterable[str | Path] = (),
    manifest: Manifest | None = None,
) -> BatchSummary:
    """Read, tag and store every call under ``paths`` (less the files in ``skip``).

    With a recordings ``manifest`` (the one given to :func:`~convmine.audio.audio_settings`), its
    recordings are inputs as well as ``paths`` (:meth:`~convmine.audio.Manifest.inputs`), and a row whose
    recording is not there fails naming the manifest, the row's line and the folder looked in.

    ``on_progress`` hears how far the batch is (:class:`BatchProgress`): once before the first call
    is read (with the number of input files), after each stored batch of calls, and at the end.
    A start time without a UTC offset is taken to be in ``local_time``. Re-tagging a call replaces
    its earlier results. A call whose ID is already stored for another customer, or from another file
    with other utterances, fails instead, unless ``replace_other`` (two different calls must not share
    an ID). So a call from the same file (re-transcribed, say), or with the same utterances from
    another file (the batch folder moved, copied or mounted elsewhere), replaces the stored one.
    """
    if _identity(store.taxonomy) != _identity(pipeline.taxonomy):
        raise ConvmineError(
            f"the store is open with taxonomy {store.taxonomy.name!r} {store.taxonomy.version} but the pipeline "
            f"tags with {pipeline.taxonomy.name!r} {pipeline.taxonomy.version}; open the store with the "
            "pipeline's: open_store(db, taxonomy=pipeline.taxonomy)"
        )
    paths = [paths] if isinstance(paths, str | Path) else list(paths)  # read twice: counted, then read
    summary = BatchSummary(tagger=pipeline.version)
    mask = pipeline.masker.mask
    if manifest is not None:
        paths = manifest.inputs(paths)
        skip = [*skip, manifest.source]
        summary.failures.extend(failure.masked(mask) for failure in manifest.failures())
    scan = scan_paths(paths, skip=skip)
    summary.passed_over = [mask(str(path)) for path in scan.unread]
    files: dict[str, int] = {}  # input file → its number, by path as read (calls) and masked (failures)
    for n, path in enumerate(p for p in scan.found if isinstance(p, Path)):
        files[str(path)] = files[mask(str(path))] = n
    reached = 0  # the input file the latest call or failure came from
    file_of: dict[str, int] = {}  # call ID → its input file, until the call is stored
    report = on_progress or (lambda progress: None)
    report(BatchProgress(0, len(files), 0))

    def calls() -> Iterator[Call]:
        nonlocal reached
        for item in read_calls(paths, customer_id=customer_id, skip=skip, masker=pipeline.masker):
            reached = max(reached, files.get(item.source or "", reached))
            if isinstance(item, Failure):
                summary.failures.append(item)
            else:
                file_of[item.call_id] = reached
                yield _settled(item, local_time)

    def failed(call: Call, exc: Exception) -> None:
        file_of.pop(call.call_id, None)
        summary.failures.append(Failure(call.source or call.call_id, str(exc), stage="tag").masked(mask))

    results = pipeline.pipe(calls(), batch_size=batch_size, on_error=failed)
    per_save = batch_size if store.max_batch is None else min(batch_size, store.max_batch)  # one transaction
    files_done = tagged = 0
    while batch := list(islice(results, per_save)):
        kept = []
        for result in batch:
            if (refused := store.refusal(result)) is not None:  # that call fails; the batch goes on
                failed(result.call, refused)
            else:
                kept.append(result)
        try:
            saved = store.save(
                kept,
                batch_size=max(1, len(kept)),
                tagger=pipeline.version,
                taxonomy_version=pipeline.taxonomy.version,
                guard=None if replace_other else _identity_clash,
            )
        except StoreError as exc:
            then = (
                "Run the same command again" if exc.retry else "Once that is put right, run the same command"
            )
            raise StoreError(
                f"{exc}; this run stored {summary.calls} calls before that. {then} to finish: calls already "
                "stored are replaced, not duplicated",
                retry=exc.retry,
            ) from exc
        clashes = {item.call.call_id: reason for item, reason in saved.refused}
        for result in kept:
            if result.call.call_id in clashes:
                failed(result.call, ConvmineError(clashes[result.call.call_id]))
            else:
                summary.add(result)
        files_done = max([files_done, *(file_of.pop(r.call.call_id, files_done) for r in batch)])
        tagged += len(batch)
        report(BatchProgress(files_done, len(files), tagged))
    report(BatchProgress(len(files), len(files), tagged))
    return summary


def _identity(taxonomy: Taxonomy) -> tuple[str, str, str]:
    return taxonomy.name, taxonomy.version, taxonomy.hash


def _settled(call: Call, local_time: tzinfo) -> Call:
    """The call with an absolute source path and a start time that knows its time zone."""
    started_at = call.started_at
    if started_at is not None and started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=local_time)
    source = call.source
    if source and Path(source).exists():
        source = str(Path(source).resolve())
    return replace(call, started_at=started_at, source=source)


def _identity_clash(stored: TaggedCall | None, new: TaggedCall) -> str | None:
    """Why ``new`` must not replace ``stored``, the stored call of the same ID, if it must not (a guard for
    :meth:`~convmine.store.ProfileStore.save`)."""
    if stored is None:
        return None
    old, call = stored.call, new.call
    if old.customer_id != call.customer_id:
        what = f"for customer {old.customer_id!r}"
    elif old.source == call.source or old.utterances == call.utterances:
        return None
    else:
        what = f"from {old.source} with other utterances"
    return (
        f"call_id {call.call_id!r} is already stored {what}; give every call its own ID, "
        "or pass --replace to overwrite the stored call"
    )
