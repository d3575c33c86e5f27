"""The profiles report: how much of the taxonomy is known across the customer base, how fresh it is,
and work lists for the next call round ("idle funds in the last 30 days, not yet called again").

The customer base is every customer with a call in scope (``Scope``: time range, agent, team,
customer). Their profiles are merged from all their calls up to ``as_of`` (default: the scope's
``until``, else now), with reviewers' verdicts applied, exactly as ``convmine profile`` shows them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median

from convmine.profile import Observation, Profile, ProfileEntry, merge_profile
from convmine.reports.models import Column, ReportMeta, Table, ratio
from convmine.reports.scope import Scope
from convmine.store import ProfileStore
from convmine.taxonomy import Label, Taxonomy

CONTACT_TIME, CONTACT_METHOD = "basic.contact_time", "preference.contact_method"
TOP_VALUES = 3


@dataclass(frozen=True, slots=True)
class WorklistRule:
    """Customers whose current, fresh profile holds one of ``labels`` observed within ``within`` of
    ``as_of`` (``None``: any time the label's TTL allows); with ``not_called_again``, only those with
    no call after that observation."""

    key: str
    title: str
    labels: tuple[str, ...]
    within: timedelta | None
    not_called_again: bool


DEFAULT_WORKLISTS = (
    WorklistRule(
        "idle_or_maturing",
        "Idle funds or maturing elsewhere in the last 30 days, not yet called again 闲置资金/他行到期待跟进",
        ("basic.funds.idle", "basic.investment.maturing_elsewhere"),
        timedelta(days=30),
        True,
    ),
    WorklistRule(
        "recent_complaints",
        "Complaints in the last 30 days, not yet called again 近期投诉待回访",
        ("feedback.negative.complaint",),
        timedelta(days=30),
        True,
    ),
    WorklistRule(
        "dislikes_calls",
        "Dislikes calls or worries about privacy: keep off cold-call lists 反感去电/担心隐私",
        ("objection.risk.dislikes_calls", "objection.risk.privacy"),
        None,
        False,
    ),
)


@dataclass(frozen=True, slots=True)
class DimensionCoverage:
    """For one dimension: customers with a current value (``known``), of them fresh ones, and the age
    in days of their newest current observation (median)."""

    dimension: str
    name: str
    category: str
    customers: int
    known: int
    fresh: int
    median_age_days: float | None
    top: tuple[tuple[str, int], ...]

    @property
    def stale(self) -> int:
        return self.known - self.fresh

    @property
    def share(self) -> float:
        return ratio(self.known, self.customers)


@dataclass(frozen=True, slots=True)
class WorklistRow:
    customer_id: str
    labels: tuple[str, ...]
    observed_at: datetime
    call_id: str
    agent_id: str | None
    quote: str
    last_call_at: datetime
    contact_times: tuple[str, ...]
    contact_methods: tuple[str, ...]


@dataclass(slots=True)
class Worklist:
    rule: WorklistRule
    rows: list[WorklistRow]


@dataclass(slots=True)
class ProfilesReport:
    meta: ReportMeta
    as_of: datetime
    customers: int
    categories: list[tuple[str, str, int]]
    coverage: list[DimensionCoverage]
    worklists: list[Worklist]
    taxonomy: Taxonomy

    def tables(self) -> list[Table]:
        tax = self.taxonomy
        coverage = Table(
            "profile_coverage",
            "Taxonomy coverage across customers",
            (
                Column("dimension", "dimension"),
                Column("name", "name 维度"),
                Column("category", "category"),
                Column("known", "customers known", "int"),
                Column("share", "share of customers", "pct"),
                Column("fresh", "fresh", "int"),
                Column("stale", "stale (past TTL)", "int"),
                Column("median_age_days", "median age (days)", "days"),
                Column("top", "most common values", "labels"),
            ),
            [
                {
                    "dimension": c.dimension, "name": c.name, "category": c.category, "known": c.known,
                    "share": c.share, "fresh": c.fresh, "stale": c.stale, "median_age_days": c.median_age_days,
                    "top": [f"{tax[label].name} ({n})" for label, n in c.top],
                }
                for c in self.coverage
            ],
        )  # fmt: skip
        tables = [coverage]
        columns = (
            Column("customer_id", "customer"),
            Column("labels", "why 原因", "labels"),
            Column("observed_at", "said on", "datetime"),
            Column("call_id", "call", "call"),
            Column("agent_id", "agent"),
            Column("quote", "quote 原话"),
            Column("last_call_at", "last call", "datetime"),
            Column("contact_times", "contact time 联系时间", "labels"),
            Column("contact_methods", "contact method 沟通方式", "labels"),
        )
        for worklist in self.worklists:
            rows = [
                {
                    "customer_id": r.customer_id, "labels": [tax[label].name for label in r.labels],
                    "observed_at": r.observed_at, "call_id": r.call_id, "agent_id": r.agent_id, "quote": r.quote,
                    "last_call_at": r.last_call_at, "contact_times": [tax[x].name for x in r.contact_times],
                    "contact_methods": [tax[x].name for x in r.contact_methods],
                }
                for r in worklist.rows
            ]  # fmt: skip
            tables.append(Table(f"worklist_{worklist.rule.key}", worklist.rule.title, columns, rows))
        return tables


def build_profiles(
    store: ProfileStore,
    scope: Scope | None = None,
    *,
    as_of: datetime | None = None,
    worklists: tuple[WorklistRule, ...] = DEFAULT_WORKLISTS,
    now: datetime | None = None,
) -> ProfilesReport:
    """Profile coverage and work lists for the customers with a call in ``scope``, as of ``as_of``."""
    scope = scope or Scope()
    generated = now or datetime.now(UTC)
    records = [r for r in store.calls(**scope.store_filter()) if scope.includes(r)]
    if as_of is None:  # now, or just after a call dated in the future (a recorder's clock ahead)
        latest = [r.observed_at + timedelta(microseconds=1) for r in records]
        as_of = scope.until or max([generated, *latest])
    taxonomy = store.taxonomy
    in_scope = [r for r in records if r.observed_at < as_of]
    customers = sorted({r.customer_id for r in in_scope if r.customer_id})
    wanted = set(customers)
    history = store.calls(customer_id=scope.customer_id, until=as_of)
    last_call: dict[str, datetime] = {}
    agent_of: dict[str, str | None] = {}
    for record in history:
        agent_of[record.call_id] = record.agent_id
        if record.customer_id in wanted:
            last_call[record.customer_id] = record.observed_at  # oldest first: the last one stays
    seen: dict[str, list[Observation]] = defaultdict(list)
    for obs in store.observations(customer_id=scope.customer_id, until=as_of):
        if obs.customer_id in wanted:
            seen[obs.customer_id].append(obs)
    profiles = [merge_profile(c, seen.get(c, []), taxonomy, as_of) for c in customers]

    coverage = _coverage(profiles, taxonomy, as_of)
    categories = [
        (category, spec.name, sum(1 for p in profiles if any(e.category == category for e in p.entries)))
        for category, spec in taxonomy.categories.items()
    ]
    lists = [Worklist(rule, _worklist(rule, profiles, as_of, last_call, agent_of)) for rule in worklists]
    meta = ReportMeta(
        "profiles", "Customer profiles 客户画像", f"{scope.describe()}; profiles as of {scope.local(as_of):%Y-%m-%d %H:%M}",
        generated, f"{taxonomy.name} {taxonomy.version}", "", len(in_scope), len(customers), scope.tz,
    )  # fmt: skip
    return ProfilesReport(meta, as_of, len(customers), categories, coverage, lists, taxonomy)


def _coverage(profiles: list[Profile], taxonomy: Taxonomy, as_of: datetime) -> list[DimensionCoverage]:
    found = []
    for dimension, labels in taxonomy.dimensions().items():
        ids = {label.id for label in labels}
        known = fresh = 0
        ages: list[float] = []
        top: Counter[str] = Counter()
        for profile in profiles:
            entries = [e for e in profile.entries if e.label in ids and e.current]
            if not entries:
                continue
            known += 1
            fresh += any(not e.stale for e in entries)
            ages.append((as_of - max(e.observed_at for e in entries)).total_seconds() / 86400)
            top.update({e.label for e in entries})
        first = labels[0]
        found.append(
            DimensionCoverage(
                dimension, first.dimension_name, first.category, len(profiles), known, fresh,
                round(median(ages), 1) if ages else None, _most_common(top, labels),
            )
        )  # fmt: skip
    return found


def _most_common(counts: Counter[str], labels: list[Label]) -> tuple[tuple[str, int], ...]:
    """The :data:`TOP_VALUES` most frequent labels, ties in taxonomy order (the same page every run)."""
    order = {label.id: i for i, label in enumerate(labels)}
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))[:TOP_VALUES])


def _worklist(
    rule: WorklistRule,
    profiles: list[Profile],
    as_of: datetime,
    last_call: dict[str, datetime],
    agent_of: dict[str, str | None],
) -> list[WorklistRow]:
    rows = []
    for profile in profiles:
        fresh = [e for e in profile.entries if e.current and not e.stale]
        hits = [
            e
            for e in fresh
            if e.label in rule.labels and (rule.within is None or e.observed_at >= as_of - rule.within)
        ]
        if not hits:
            continue
        newest: ProfileEntry = max(hits, key=lambda e: e.observed_at)
        last = last_call[profile.customer_id]
        if rule.not_called_again and last > newest.observed_at:
            continue
        rows.append(
            WorklistRow(
                profile.customer_id, tuple(dict.fromkeys(e.label for e in hits)), newest.observed_at,
                newest.call_id, agent_of.get(newest.call_id), newest.evidence.quote, last,
                tuple(e.label for e in fresh if e.dimension == CONTACT_TIME),
                tuple(e.label for e in fresh if e.dimension == CONTACT_METHOD),
            )
        )  # fmt: skip
    return sorted(rows, key=lambda r: (-r.observed_at.timestamp(), r.customer_id))
