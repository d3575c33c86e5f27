"""The profile-store interface every backend implements (SQLite now, PostgreSQL later).

Datetimes go in as aware or naive datetimes (naive ones are taken to be UTC) and come back as
aware UTC datetimes. A call's ``observed_at`` is its ``started_at``, or when it was first saved.
Reviewers' verdicts (:mod:`convmine.review`) apply to observations and so to profiles and reports;
:meth:`ProfileStore.get_call` returns the tags as the tagger saved them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from convmine.profile import Observation, Profile, as_utc, merge_profile
from convmine.review import Review
from convmine.schema import TaggedCall
from convmine.taxonomy import Taxonomy, load_taxonomy

#: A label filter: one label ID or dotted prefix of one (``"feedback.negative"``), or a list of label IDs.
LabelFilter = str | Sequence[str] | None


@dataclass(frozen=True, slots=True)
class SaveSummary:
    """What :meth:`ProfileStore.save` wrote; ``calls - new_calls`` calls replaced earlier results."""

    calls: int = 0
    new_calls: int = 0
    utterances: int = 0
    tags: int = 0

    def __add__(self, other: SaveSummary) -> SaveSummary:
        return SaveSummary(
            self.calls + other.calls,
            self.new_calls + other.new_calls,
            self.utterances + other.utterances,
            self.tags + other.tags,
        )


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A stored call's metadata and counts, without its utterances."""

    call_id: str
    customer_id: str | None
    agent_id: str | None
    started_at: datetime | None
    source: str | None
    ingested_at: datetime
    taxonomy_version: str
    tagger: str
    utterances: int
    tags: int

    @property
    def observed_at(self) -> datetime:
        return self.started_at or self.ingested_at


class ProfileStore(ABC):
    """Stores tagged calls and answers profile queries. Use it as a context manager.

    ``taxonomy`` (default: the bundled one) is what :meth:`profile` merges tags with; open the
    store with the taxonomy the calls were tagged with.
    """

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = load_taxonomy() if taxonomy is None else taxonomy

    @abstractmethod
    def save(
        self,
        tagged_calls: Iterable[TaggedCall],
        *,
        batch_size: int = 200,
        tagger: str = "",
        taxonomy_version: str = "",
    ) -> SaveSummary:
        """Upsert calls with their (already masked) utterances and tags, one transaction per batch.

        Saving a call again replaces its utterances and tags and keeps its first ``ingested_at``,
        so saving the same calls twice leaves the same rows. A call ID seen twice in one batch:
        the later one wins. A failing batch is rolled back and raises :class:`StoreError`; the
        batches before it stay saved. ``tagger`` (``name@version``) and ``taxonomy_version``
        record on each call what tagged it.
        """

    @abstractmethod
    def get_call(self, call_id: str) -> TaggedCall | None:
        """The stored call with its utterances (by index) and tags (in saved order), or ``None``."""

    @abstractmethod
    def calls(
        self,
        *,
        customer_id: str | None = None,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        call_id: str | None = None,
    ) -> list[CallRecord]:
        """Calls observed in ``[since, until)``, oldest first, filtered by customer, agent and call ID."""

    @abstractmethod
    def observations(
        self,
        *,
        customer_id: str | None = None,
        agent_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        labels: LabelFilter = None,
    ) -> Iterator[Observation]:
        """Every stored tag as reviewed, with its call's metadata, oldest call first, filtered like :meth:`calls`.

        Reviewers' latest verdicts apply (see :mod:`convmine.review`): rejected tags are left out,
        confirmed ones come as ``source="review"`` with confidence 1, added ones follow the call's tags.
        """

    @abstractmethod
    def add_reviews(self, reviews: Iterable[Review]) -> int:
        """Record reviewers' verdicts in one transaction (all or none); returns how many were recorded.

        Earlier verdicts stay as history. A verdict equal to the current one of its (call, turn, label)
        by the same reviewer is not recorded again, so importing a file twice changes nothing. A
        verdict on an unknown call, on a turn that is not the customer's, with a label the taxonomy
        does not know, or confirming/rejecting a tag that is not there raises and records nothing.
        """

    @abstractmethod
    def reviews(self, *, call_id: str | None = None, history: bool = False) -> list[Review]:
        """The verdict holding for each reviewed (call, turn, label), or every verdict with ``history``;
        ordered by call, turn, label and time."""

    @abstractmethod
    def customers(self) -> list[str]:
        """IDs of the customers with at least one stored call, sorted."""

    @abstractmethod
    def delete_call(self, call_id: str) -> bool:
        """Delete a call with its utterances and tags; ``False`` if it was not stored."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; closing twice is harmless."""

    def profile(
        self,
        customer_id: str,
        *,
        now: datetime | None = None,
        include_stale: bool = True,
        history: bool = False,
    ) -> Profile:
        """The customer's merged profile as it stood at ``now`` (default: now); see :mod:`convmine.profile`.

        Observations made after ``now`` are left out, so a past ``now`` shows the profile of that day.
        """
        now = datetime.now(UTC) if now is None else as_utc(now)
        return merge_profile(
            customer_id,
            (o for o in self.observations(customer_id=customer_id) if o.observed_at <= now),
            self.taxonomy,
            now,
            include_stale=include_stale,
            history=history,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
