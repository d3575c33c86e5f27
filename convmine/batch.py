"""The main job: read transcripts (or recordings), tag every call, write the results to a store.

One bad input never stops the night's batch: it becomes a :class:`Failure` with its reason, and
the summary says what failed. Re-running a batch replaces each call's earlier results, so the
store ends up with exactly the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from convmine.ingest import read_calls
from convmine.pipeline import Pipeline
from convmine.schema import Call, Failure, TaggedCall
from convmine.store import ProfileStore


@dataclass(slots=True)
class BatchSummary:
    """What a batch did: calls tagged, tags found per category, inputs that failed and why."""

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


def tag_paths(
    paths: Iterable[str | Path],
    *,
    pipeline: Pipeline,
    store: ProfileStore,
    customer_id: str | None = None,
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Read, tag and store every call under ``paths``; ``on_progress(n)`` after each ``n`` calls."""
    summary = BatchSummary()

    def calls() -> Iterator[Call]:
        for item in read_calls(paths, customer_id=customer_id):
            if isinstance(item, Failure):
                summary.failures.append(_masked(pipeline, item))
            else:
                yield item

    def failed(call: Call, exc: Exception) -> None:
        summary.failures.append(
            _masked(pipeline, Failure(call.source or call.call_id, str(exc), stage="tag"))
        )

    results = pipeline.pipe(calls(), batch_size=batch_size, on_error=failed)
    while batch := list(islice(results, batch_size)):
        store.save(batch, tagger=pipeline.version, taxonomy_version=pipeline.taxonomy.version)
        for result in batch:
            summary.add(result)
        if on_progress:
            on_progress(len(batch))
    return summary


def _masked(pipeline: Pipeline, failure: Failure) -> Failure:
    """A failure's reason can quote the input: mask it like any other customer text."""
    return Failure(failure.source, pipeline.masker.mask(failure.reason), failure.line, failure.stage)
