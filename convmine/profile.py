"""Merge a customer's stored tags into a profile: which facts hold now, which are history, which are stale.

Pure logic, no storage: a store hands :func:`merge_profile` the customer's observations.

Rules. In a ``single`` dimension the newest observation wins — the later call and, within one call,
the later turn, so a customer who corrects themself is taken at their word — and every other
observation of the dimension is history. In a ``multi`` dimension every label
holds; a label seen several times keeps its newest observation and the rest are history. An
observation is stale once ``observed_at + ttl < now`` (a label without a TTL never goes stale).
Entries are in taxonomy order of category, dimension and label, current before history, newest
first; a ``single`` dimension is one timeline (its current value, then the older ones).
Datetimes are compared in UTC; a naive datetime is taken to be UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from convmine.errors import InputError, TaxonomyError
from convmine.schema import Evidence, Tag, TagSource
from convmine.taxonomy import Label, Taxonomy
from convmine.timezones import local_time


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive datetime is taken to be UTC already."""
    if not isinstance(moment, datetime):
        raise InputError(
            f"a moment must be a datetime, got {type(moment).__name__} {moment!r}; "
            "e.g. datetime.fromisoformat('2026-06-01T00:00+08:00')"
        )
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Observation:
    """One stored tag with its call's metadata; ``observed_at`` is when the call took place."""

    tag: Tag
    call_id: str
    customer_id: str | None
    agent_id: str | None
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """One observation in a profile. ``value`` is the tag's number (``preference.return.target``)."""

    label: str
    name: str
    category: str
    dimension: str
    value: float | None
    confidence: float
    observed_at: datetime
    stale: bool
    current: bool
    call_id: str
    source: TagSource
    evidence: Evidence

    def to_dict(self, tz: tzinfo = UTC) -> dict[str, object]:
        """JSON-ready form: times as ISO-8601 text in ``tz`` (with its offset), the evidence span as a list."""
        evidence = self.evidence
        return {
            "label": self.label,
            "name": self.name,
            "category": self.category,
            "dimension": self.dimension,
            "value": self.value,
            "confidence": self.confidence,
            "observed_at": local_time(self.observed_at, tz),
            "stale": self.stale,
            "current": self.current,
            "call_id": self.call_id,
            "source": self.source,
            "evidence": {
                "utterance_index": evidence.utterance_index,
                "span": list(evidence.span) if evidence.span is not None else None,
                "quote": evidence.quote,
                "start": evidence.start,
                "end": evidence.end,
            },
        }


@dataclass(slots=True)
class Profile:
    """A customer's merged tags, in the order :func:`merge_profile` gives them. ``future`` counts the
    observations merged in that are dated after ``generated_at`` (see :meth:`ProfileStore.profile`)."""

    customer_id: str
    entries: list[ProfileEntry]
    generated_at: datetime
    future: int = 0

    def to_dict(self, tz: tzinfo = UTC) -> dict[str, object]:
        """JSON-ready form, times in ``tz`` (UTC unless given; the CLI passes its ``--utc-offset``)."""
        return {
            "customer_id": self.customer_id,
            "generated_at": local_time(self.generated_at, tz),
            "tags": [entry.to_dict(tz) for entry in self.entries],
        }


def merge_profile(
    customer_id: str,
    observations: Iterable[Observation],
    taxonomy: Taxonomy,
    now: datetime,
    *,
    include_stale: bool = True,
    history: bool = False,
) -> Profile:
    """Merge one customer's observations into a profile as it stands at ``now``.

    ``include_stale=False`` hides entries past their TTL; ``history=True`` adds the superseded
    observations (``current=False``) to the current ones.
    """
    now = as_utc(now)
    seen = list(observations)
    labels = [_label(obs, taxonomy) for obs in seen]
    winners: dict[str, int] = {}
    for i, (obs, label) in enumerate(zip(seen, labels, strict=True)):
        if obs.customer_id != customer_id:
            raise ValueError(f"observation of call {obs.call_id!r} belongs to another customer")
        key = label.dimension if label.cardinality == "single" else label.id
        best = winners.get(key)
        if best is None or _rank(obs) > _rank(seen[best]):
            winners[key] = i
    current = set(winners.values())
    entries = [
        _entry(obs, label, now, i in current) for i, (obs, label) in enumerate(zip(seen, labels, strict=True))
    ]
    kept = [e for e in entries if (history or e.current) and (include_stale or not e.stale)]
    kept.sort(key=_sort_key(taxonomy))
    return Profile(customer_id, kept, now)


def _label(obs: Observation, taxonomy: Taxonomy) -> Label:
    try:
        return taxonomy[obs.tag.label]
    except TaxonomyError as exc:
        raise TaxonomyError(
            f"call {obs.call_id!r} has a tag that taxonomy {taxonomy.name!r} {taxonomy.version} does not "
            f"know: {exc}. Use the taxonomy the calls were tagged with."
        ) from None


def _rank(obs: Observation) -> tuple[datetime, str, int, float]:
    """Newest wins: the call's time, then the turn within the call; calls of one time are ordered by call
    ID (for determinism), and two labels of one turn by confidence."""
    return as_utc(obs.observed_at), obs.call_id, obs.tag.evidence.utterance_index, obs.tag.confidence


def _entry(obs: Observation, label: Label, now: datetime, current: bool) -> ProfileEntry:
    observed_at = as_utc(obs.observed_at)
    tag = obs.tag
    return ProfileEntry(
        label=label.id,
        name=label.name,
        category=label.category,
        dimension=label.dimension,
        value=tag.value,
        confidence=tag.confidence,
        observed_at=observed_at,
        stale=label.ttl is not None and observed_at + label.ttl < now,
        current=current,
        call_id=obs.call_id,
        source=tag.source,
        evidence=tag.evidence,
    )


def _sort_key(taxonomy: Taxonomy) -> Callable[[ProfileEntry], tuple[int, int, int, bool, float, str, int]]:
    """Taxonomy order of category, dimension and label, then current first and newest first.

    A ``single`` dimension is one timeline: its current value first, then its history, newest first.
    """
    categories = {cat: i for i, cat in enumerate(taxonomy.categories)}
    dimensions = {dim: i for i, dim in enumerate(taxonomy.dimensions())}
    labels = {label.id: 0 if label.cardinality == "single" else i for i, label in enumerate(taxonomy)}

    def key(entry: ProfileEntry) -> tuple[int, int, int, bool, float, str, int]:
        return (
            categories[entry.category],
            dimensions[entry.dimension],
            labels[entry.label],
            not entry.current,
            -entry.observed_at.timestamp(),
            entry.call_id,
            -entry.evidence.utterance_index,
        )

    return key
