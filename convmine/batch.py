"""The main job: read transcripts (or recordings), tag every call, write the results to a store.

One bad input never stops the night's batch: it becomes a :class:`Failure` with its reason, and
the summary says what failed. Re-running a batch replaces each call's earlier results, so the
store ends up with exactly the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta, timezone, tzinfo
from itertools import islice
from pathlib import Path

from convmine.errors import ConvmineError
from convmine.ingest import read_calls
from convmine.pipeline import Pipeline
from convmine.schema import Call, Failure, TaggedCall
from convmine.store import ProfileStore


@dataclass(slots=True)
class BatchSummary:
    """What a batch did: calls tagged, tags found per category, inputs that failed and why."""

    tagger: str = ""
    calls: int = 0
    customer_turns: int = 0
    tags: int = 0
    tags_by_category: Counter[str] = field(default_factory=Counter)
    customers: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)

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


#: China Standard Time: what a start time without a UTC offset is taken to be, unless told otherwise.
CHINA_TIME = timezone(timedelta(hours=8), "UTC+08:00")


def tag_paths(
    paths: Iterable[str | Path],
    *,
    pipeline: Pipeline,
    store: ProfileStore,
    customer_id: str | None = None,
    batch_size: int = 64,
    local_time: tzinfo = CHINA_TIME,
    replace_other: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Read, tag and store every call under ``paths``; ``on_progress(n)`` after each ``n`` calls.

    A start time without a UTC offset is taken to be in ``local_time``. Re-tagging a call replaces
    its earlier results; a call whose ID is already stored for another customer or from another
    file fails instead, unless ``replace_other`` (two different calls must not share an ID).
    """
    summary = BatchSummary(tagger=pipeline.version)

    def calls() -> Iterator[Call]:
        for item in read_calls(paths, customer_id=customer_id):
            if isinstance(item, Failure):
                summary.failures.append(_masked(pipeline, item))
            else:
                yield _settled(item, local_time)

    def failed(call: Call, exc: Exception) -> None:
        summary.failures.append(
            _masked(pipeline, Failure(call.source or call.call_id, str(exc), stage="tag"))
        )

    results = pipeline.pipe(calls(), batch_size=batch_size, on_error=failed)
    while batch := list(islice(results, batch_size)):
        kept = []
        for result in batch:
            clash = None if replace_other else _identity_clash(store, result.call)
            if clash:
                failed(result.call, ConvmineError(clash))
            else:
                kept.append(result)
        store.save(kept, tagger=pipeline.version, taxonomy_version=pipeline.taxonomy.version)
        for result in kept:
            summary.add(result)
        if on_progress:
            on_progress(len(batch))
    return summary


def _settled(call: Call, local_time: tzinfo) -> Call:
    """The call with an absolute source path and a start time that knows its time zone."""
    started_at = call.started_at
    if started_at is not None and started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=local_time)
    source = call.source
    if source and Path(source).exists():
        source = str(Path(source).resolve())
    return replace(call, started_at=started_at, source=source)


def _identity_clash(store: ProfileStore, call: Call) -> str | None:
    """Why ``call`` must not replace the stored call of the same ID, if it must not."""
    stored = store.calls(call_id=call.call_id)
    if not stored:
        return None
    old = stored[0]
    if old.customer_id != call.customer_id:
        what = f"for customer {old.customer_id!r}"
    elif old.source != call.source:
        what = f"from {old.source}"
    else:
        return None
    return (
        f"call_id {call.call_id!r} is already stored {what}; give every call its own ID, "
        "or pass --replace to overwrite the stored call"
    )


def _masked(pipeline: Pipeline, failure: Failure) -> Failure:
    """A failure's source and reason can quote the input: mask them like any other customer text."""
    mask = pipeline.masker.mask
    return Failure(mask(failure.source), mask(failure.reason), failure.line, failure.stage)
