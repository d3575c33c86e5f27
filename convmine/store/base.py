"""The profile-store interface every backend implements (SQLite, PostgreSQL).

Datetimes go in as aware or naive datetimes (naive ones are taken to be UTC) and come back as
aware UTC datetimes. A call's ``observed_at`` is its ``started_at``, or when it was first saved.
Reviewers' verdicts (:mod:`convmine.review`) apply to observations and so to profiles and reports;
:meth:`ProfileStore.get_call` returns the tags as the tagger saved them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby, islice
from operator import attrgetter
from types import TracebackType
from typing import Self

from convmine.errors import ConvmineError, StoreError, TaxonomyError
from convmine.profile import Observation, Profile, as_utc, merge_profile
from convmine.review import Review
from convmine.schema import TaggedCall
from convmine.taxonomy import Taxonomy, load_taxonomy
from convmine.text.pii import unmasked_refusal

#: Why a call (the second argument) must not replace the stored call of its ID (the first, or ``None``).
Guard = Callable[[TaggedCall | None, TaggedCall], str | None]

#: How many calls :meth:`ProfileStore.with_calls` reads at once.
CALLS_AT_ONCE = 500

#: A label filter: one label ID or dotted prefix of one (``"feedback.negative"``), or a list of label IDs.
LabelFilter = str | Sequence[str] | None


@dataclass(frozen=True, slots=True)
class SaveSummary:
    """What :meth:`ProfileStore.save` wrote; ``calls - new_calls`` calls replaced earlier results."""

    calls: int = 0
    new_calls: int = 0
    utterances: int = 0
    tags: int = 0
    #: The calls a ``guard`` kept from replacing stored ones, each with its reason; not saved.
    refused: tuple[tuple[TaggedCall, str], ...] = ()

    def __add__(self, other: SaveSummary) -> SaveSummary:
        return SaveSummary(
            self.calls + other.calls,
            self.new_calls + other.new_calls,
            self.utterances + other.utterances,
            self.tags + other.tags,
            self.refused + other.refused,
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


@dataclass(frozen=True, slots=True)
class StoredTaxonomy:
    """A taxonomy the store's calls were tagged with. ``hash`` and ``last_used_at`` are empty for one the
    store keeps no copy of (calls saved before stores kept copies): only its version is known."""

    version: str
    name: str = ""
    hash: str = ""
    last_used_at: datetime | None = None

    def describe(self) -> str:
        if not self.hash:
            return f"taxonomy version {self.version!r} (the store keeps no copy of it)"
        return f"taxonomy {self.name!r} {self.version} (hash {self.hash})"


class ProfileStore(ABC):
    """Stores tagged calls and answers profile queries. Use it as a context manager.

    ``taxonomy`` is what :meth:`profile` merges tags with and what :meth:`save` records as the
    taxonomy of the calls it saves: open the store with the taxonomy the calls are (or were) tagged
    with. Without one, a backend uses its copy of the taxonomy its calls were tagged with (see
    :meth:`tagged_with`), else the bundled one.
    """

    #: The most calls one transaction saves, whatever a save's ``batch_size`` (``None``: no limit).
    max_batch: int | None = None

    def __init__(self, taxonomy: Taxonomy | None = None, *, target: str = ""):
        #: Where the store is, as messages name it: a file path, or a URL without its password.
        self.target = target
        self.taxonomy = load_taxonomy() if taxonomy is None else taxonomy
        #: Whether the taxonomy was given rather than chosen by the store.
        self.taxonomy_given = taxonomy is not None

    @abstractmethod
    def save(
        self,
        tagged_calls: Iterable[TaggedCall],
        *,
        batch_size: int = 200,
        tagger: str = "",
        taxonomy_version: str = "",
        guard: Guard | None = None,
    ) -> SaveSummary:
        """Upsert calls with their (already masked) utterances and tags, one transaction per batch.

        Saving a call again replaces its utterances and tags and keeps its first ``ingested_at``,
        so saving the same calls twice leaves the same rows. A call ID seen twice in one batch:
        the later one wins. A failing batch is rolled back and raises :class:`StoreError`; the
        batches before it stay saved. ``tagger`` (``name@version``) and ``taxonomy_version``
        record on each call what tagged it. When the calls were tagged with :attr:`taxonomy` (by
        ``taxonomy_version``, else by their tags' versions), the store also keeps a copy of it, so that
        reading them needs no taxonomy file (see :meth:`tagged_with`).

        ``guard(stored, new)`` says why ``new`` must not replace ``stored`` (the call of its ID as stored,
        or ``None``), or returns ``None``. It is asked inside the batch's transaction, once no other saver
        can change those calls, so two processes saving at once cannot both pass it; the calls it refuses
        are not saved and come back in :attr:`SaveSummary.refused`.
        """

    def refusal(self, item: TaggedCall) -> ConvmineError | None:
        """Why ``item`` must not be saved, or ``None``: it is not a :class:`TaggedCall`, or holds a personal
        number (:class:`StoreError`: nothing is stored unmasked), or a tag with a label :attr:`taxonomy`
        does not know (:class:`TaxonomyError`: the customer's profile would fail later)."""
        if not isinstance(item, TaggedCall):
            return StoreError(
                f"save takes TaggedCalls (what a Pipeline yields), got a {type(item).__name__}; "
                "tag calls first: store.save(nlp.pipe(calls))"
            )
        if reason := unmasked_refusal(item.call, (tag.evidence.quote for tag in item.tags)):
            return StoreError(f"refused to save a call: {reason}")  # its ID may be the number itself
        if unknown := sorted({tag.label for tag in item.tags} - set(self.taxonomy.label_ids)):
            return TaxonomyError(
                f"call {item.call.call_id!r} has tags with labels that the store's taxonomy "
                f"{self.taxonomy.name!r} {self.taxonomy.version} does not know ({', '.join(unknown[:3])}); "
                "open the store with the taxonomy the calls were tagged with: "
                "open_store(db, taxonomy=pipeline.taxonomy), or --taxonomy FILE on the command line"
            )
        return None

    def refuse_unsafe(self, batch: Iterable[TaggedCall]) -> None:
        """Raise the :meth:`refusal` of the first call in ``batch`` that has one, before anything of the
        batch is written. Backends call it in :meth:`save`."""
        for item in batch:
            if (error := self.refusal(item)) is not None:
                raise error

    def get_call(self, call_id: str) -> TaggedCall | None:
        """The stored call with its utterances (by index) and tags (in saved order), or ``None``."""
        return self.get_calls([call_id]).get(call_id)

    @abstractmethod
    def get_calls(self, call_ids: Iterable[str]) -> dict[str, TaggedCall]:
        """The stored calls among ``call_ids``, as :meth:`get_call` gives them, in the order asked; few queries
        for many calls (what reports and review files read)."""

    def with_calls(self, records: Iterable[CallRecord]) -> Iterator[tuple[CallRecord, TaggedCall]]:
        """Each record with its stored call, read :data:`CALLS_AT_ONCE` at a time (a call deleted meanwhile
        is left out): how to walk many calls' turns without a query per call."""
        pending = iter(records)
        while chunk := list(islice(pending, CALLS_AT_ONCE)):
            found = self.get_calls(record.call_id for record in chunk)
            yield from ((record, found[record.call_id]) for record in chunk if record.call_id in found)

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
        call_id: str | None = None,
    ) -> Iterator[Observation]:
        """Every stored tag as reviewed, with its call's metadata, oldest call first, filtered like :meth:`calls`.

        Reviewers' latest verdicts apply (see :mod:`convmine.review`): rejected tags are left out,
        confirmed ones come as ``source="review"`` with confidence 1, added ones follow the call's tags.
        """

    @abstractmethod
    def add_reviews(self, reviews: Iterable[Review]) -> int:
        """Record reviewers' verdicts in one transaction (all or none); returns how many were recorded.

        Each verdict is bound to the stored text of its turn (see :mod:`convmine.review`). Earlier
        verdicts stay as history. A verdict equal to the current one of its (call, turn, label) by the
        same reviewer on the same text is not recorded again, so importing a file twice changes nothing.
        A verdict on an unknown call, on a turn that is not the customer's, on a turn whose stored text
        differs from the verdict's ``text``, with a label the taxonomy does not know, or
        confirming/rejecting a tag that is not there raises and records nothing.
        """

    @abstractmethod
    def reviews(self, *, call_id: str | None = None, history: bool = False) -> list[Review]:
        """The verdict holding for each reviewed (call, turn, label), or every verdict with ``history``;
        ordered by call, turn, label and time."""

    def stale_reviews(self, *, call_id: str | None = None) -> list[Review]:
        """The holding verdicts that apply nowhere because their call was tagged again with a changed
        transcript: the turn at their index now reads differently, is not the customer's, or is gone."""
        stale: list[Review] = []
        holding = self.reviews(call_id=call_id)
        calls = self.get_calls(review.call_id for review in holding)
        for review_call, reviews in groupby(holding, key=attrgetter("call_id")):
            stored = calls.get(review_call)
            turns = {u.index: u for u in stored.call.utterances} if stored is not None else {}
            stale.extend(r for r in reviews if not r.applies_to(turns.get(r.utterance_index)))
        return stale

    @abstractmethod
    def tagged_with(self) -> list[StoredTaxonomy]:
        """The taxonomies the stored calls were tagged with: those the store keeps a copy of, the one
        used last first, then the versions of other calls' taxonomies (no copy kept)."""

    @abstractmethod
    def stored_labels(self) -> set[str]:
        """Every label of a stored tag or reviewer's verdict."""

    def check_taxonomy(self) -> None:
        """Raise :class:`TaxonomyError` unless :attr:`taxonomy` knows every stored label; the message names
        the taxonomies the store was tagged with and how to pass the right one."""
        unknown = sorted(self.stored_labels() - set(self.taxonomy.label_ids))
        if not unknown:
            return
        shown = ", ".join(map(repr, unknown[:3])) + (
            f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        )
        tagged = self.tagged_with()
        if self.taxonomy_given and any(t.hash for t in tagged):
            fix = (
                "leave out --taxonomy to use the copy the store keeps, or pass --taxonomy FILE with that file"
            )
        else:
            fix = "pass --taxonomy FILE with the taxonomy file that knows these labels"
        raise TaxonomyError(
            f"the store holds tags with labels that taxonomy {self.taxonomy.name!r} {self.taxonomy.version} "
            f"does not know ({shown}); it was tagged with "
            f"{'; '.join(t.describe() for t in tagged) or 'an unrecorded taxonomy'}; {fix}"
        )

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

        Given a ``now``, observations made after it are left out, so a past ``now`` shows the profile of
        that day. Without one, every observation counts, also those dated after now (a recorder's clock
        running fast, a local time written as UTC): :attr:`Profile.future` says how many there are.
        """
        if not isinstance(customer_id, str) or not customer_id:
            raise StoreError(
                f"a profile needs a customer ID, got {customer_id!r}; calls tagged without one (a text "
                "tagged alone) belong to no customer"
            )
        as_of = datetime.now(UTC) if now is None else as_utc(now)
        observations = list(self.observations(customer_id=customer_id))
        if now is not None:
            observations = [o for o in observations if o.observed_at <= as_of]
        try:
            result = merge_profile(
                customer_id, observations, self.taxonomy, as_of, include_stale=include_stale, history=history
            )
        except TaxonomyError:
            self.check_taxonomy()  # says which taxonomy the store was tagged with
            raise
        result.future = sum(o.observed_at > as_of for o in observations)
        return result

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
