"""Read a report's calls and tags (as reviewed) from the store once, and count them.

Every rate is over calls: a label's rate is the share of calls in scope with at least one tag of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from convmine.profile import Observation
from convmine.reports.models import (
    CallRow,
    CallsView,
    GroupStat,
    LabelStat,
    Quote,
    ReportMeta,
    Series,
    Transcript,
)
from convmine.reports.scope import Scope, bucket_name, bucket_of
from convmine.review import matches
from convmine.schema import Call
from convmine.store import CallRecord, ProfileStore
from convmine.taxonomy import Label, Taxonomy

QUOTES_PER_LABEL = 5
MAX_TRANSCRIPTS = 400


@dataclass(slots=True)
class ScopeData:
    """The calls in scope, oldest first, and their tags as reviewed, by call ID."""

    store: ProfileStore
    scope: Scope
    records: list[CallRecord]
    tags: dict[str, list[Observation]]
    _calls: dict[str, Call | None] = field(default_factory=dict)

    @property
    def taxonomy(self) -> Taxonomy:
        return self.store.taxonomy

    @property
    def customers(self) -> set[str]:
        return {r.customer_id for r in self.records if r.customer_id}

    def labels_of(self, call_id: str) -> set[str]:
        return {obs.tag.label for obs in self.tags.get(call_id, [])}

    def call(self, call_id: str) -> Call | None:
        """The stored call with its turns (fetched once)."""
        if call_id not in self._calls:
            self.fetch([call_id])
        return self._calls[call_id]

    def fetch(self, call_ids: Iterable[str]) -> None:
        """Read the calls among ``call_ids`` not read yet in few queries, before a loop over them
        (a round trip per call is slow on a database server)."""
        missing = [call_id for call_id in dict.fromkeys(call_ids) if call_id not in self._calls]
        found = self.store.get_calls(missing)
        for call_id in missing:
            self._calls[call_id] = found[call_id].call if call_id in found else None

    def observations(self, prefix: str) -> list[Observation]:
        """Tags under ``prefix`` in the calls in scope, oldest call first."""
        return [
            obs
            for r in self.records
            for obs in self.tags.get(r.call_id, [])
            if matches(obs.tag.label, prefix)
        ]


def load(store: ProfileStore, scope: Scope) -> ScopeData:
    """Read the calls in ``scope`` and every tag of theirs (reviewers' verdicts applied)."""
    records = [record for record in store.calls(**scope.store_filter()) if scope.includes(record)]
    wanted = {record.call_id for record in records}
    tags: dict[str, list[Observation]] = defaultdict(list)
    for obs in store.observations(**scope.store_filter()):
        if obs.call_id in wanted:
            tags[obs.call_id].append(obs)
    return ScopeData(store, scope, records, dict(tags))


def labels_under(taxonomy: Taxonomy, prefix: str) -> list[Label]:
    """The taxonomy's labels under ``prefix`` (a category or dimension), in taxonomy order."""
    return [label for label in taxonomy if matches(label.id, prefix)]


def label_stats(
    data: ScopeData, labels: Iterable[Label], records: Sequence[CallRecord] | None = None
) -> list[LabelStat]:
    """Per label: calls with it (of ``records``, default all in scope), customers, and tags."""
    records = data.records if records is None else records
    stats = []
    for label in labels:
        calls, customers, mentions = 0, set(), 0
        for record in records:
            n = sum(1 for obs in data.tags.get(record.call_id, []) if obs.tag.label == label.id)
            if n:
                calls += 1
                mentions += n
                if record.customer_id:
                    customers.add(record.customer_id)
        stats.append(LabelStat(label.id, label.name, calls, len(customers), mentions, len(records)))
    return stats


def group_stats(
    data: ScopeData, key_of: Callable[[CallRecord], str], series: Sequence[Series], keys: Iterable[str] = ()
) -> list[GroupStat]:
    """Calls grouped by ``key_of`` and, per series, how many of each group's calls had it.

    ``keys`` are groups to show even without calls (periods with no calls), in that order; other
    groups follow, sorted.
    """
    calls: dict[str, int] = dict.fromkeys(keys, 0)
    counts: dict[str, dict[str, int]] = {key: dict.fromkeys((s.key for s in series), 0) for key in calls}
    for record in data.records:
        key = key_of(record)
        calls[key] = calls.get(key, 0) + 1
        found = counts.setdefault(key, dict.fromkeys((s.key for s in series), 0))
        labels = data.labels_of(record.call_id)
        for s in series:
            if any(matches(label, s.prefix) for label in labels):
                found[s.key] += 1
    order = list(keys)
    order += sorted(key for key in calls if key not in set(order))
    teams = {r.agent_id or "": data.scope.team_of(r.agent_id) for r in data.records}
    return [GroupStat(key, calls[key], counts[key], teams.get(key)) for key in order]


def by_agent(data: ScopeData, series: Sequence[Series]) -> list[GroupStat]:
    stats = group_stats(data, lambda r: r.agent_id or "", series)
    return sorted(stats, key=lambda s: (-s.calls, s.key))


def by_team(data: ScopeData, series: Sequence[Series]) -> list[GroupStat]:
    if not data.scope.teams:
        return []
    stats = group_stats(data, lambda r: data.scope.team_of(r.agent_id), series)
    return [GroupStat(s.key, s.calls, s.counts) for s in sorted(stats, key=lambda s: (-s.calls, s.key))]


def over_time(data: ScopeData, series: Sequence[Series]) -> tuple[str, list[GroupStat]]:
    """Calls per period (day, week or month: see :meth:`Scope.period_for`), gaps included."""
    scope = data.scope
    period, starts = scope.buckets([r.observed_at for r in data.records])
    names = [bucket_name(start, period) for start in starts]
    stats = group_stats(
        data, lambda r: bucket_name(bucket_of(scope.local(r.observed_at), period), period), series, names
    )
    return period, stats


def top_quotes(data: ScopeData, prefix: str, per_label: int = QUOTES_PER_LABEL) -> dict[str, list[Quote]]:
    """The strongest evidence per label under ``prefix``: reviewed tags first, then by confidence, then
    newest; a turn said before (the same words, in another call too) is not repeated."""
    ranked = sorted(
        data.observations(prefix),
        key=lambda o: (o.tag.source != "review", -o.tag.confidence, -o.observed_at.timestamp(), o.call_id),
    )
    quotes: dict[str, list[Quote]] = defaultdict(list)
    for obs in ranked:
        found = quotes[obs.tag.label]
        if len(found) < per_label:
            quote = quote_of(data, obs)
            if all(q.turn != quote.turn for q in found):
                found.append(quote)
    return dict(quotes)


def quote_of(data: ScopeData, obs: Observation) -> Quote:
    """The tag's evidence in its whole turn (the turn as stored: masked)."""
    tag, ev = obs.tag, obs.tag.evidence
    call = data.call(obs.call_id)
    turns = {u.index: u.text for u in call.utterances} if call else {}
    return Quote(
        tag.label, ev.quote, turns.get(ev.utterance_index, ev.quote), ev.span if ev.utterance_index in turns else None,
        obs.call_id, obs.customer_id, obs.agent_id, obs.observed_at, ev.utterance_index, ev.start, tag.confidence,
        tag.source,
    )  # fmt: skip


def calls_view(
    data: ScopeData,
    prefix: str,
    outcomes: dict[str, str] | None = None,
    limit: int = MAX_TRANSCRIPTS,
) -> CallsView:
    """The calls table (every call in scope, newest first) and transcripts of the calls with a
    ``prefix`` tag, newest first, up to ``limit``."""
    outcomes = outcomes or {}
    view = CallsView()
    newest = list(reversed(data.records))
    labels_of = {
        r.call_id: tuple(
            sorted({o.tag.label for o in data.tags.get(r.call_id, []) if matches(o.tag.label, prefix)})
        )
        for r in newest
    }
    data.fetch([call_id for call_id, labels in labels_of.items() if labels][:limit])
    for record in newest:
        labels = labels_of[record.call_id]
        view.rows.append(
            CallRow(
                record.call_id, record.observed_at, record.customer_id, record.agent_id,
                data.scope.team_of(record.agent_id), record.utterances, labels, outcomes.get(record.call_id, ""),
            )
        )  # fmt: skip
        if labels:
            if len(view.transcripts) >= limit:
                view.omitted += 1
                continue
            call = data.call(record.call_id)
            if call is not None:
                tags = tuple(obs.tag for obs in data.tags.get(record.call_id, []))
                view.transcripts.append(Transcript(call, record.observed_at, tags))
    return view


def meta(kind: str, title: str, data: ScopeData, period: str, now: datetime | None = None) -> ReportMeta:
    taxonomy = data.taxonomy
    return ReportMeta(
        kind, title, data.scope.describe(), now or datetime.now(UTC), f"{taxonomy.name} {taxonomy.version}",
        period, len(data.records), len(data.customers), data.scope.tz,
    )  # fmt: skip
