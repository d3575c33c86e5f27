"""The voice-of-the-customer report: praise and criticism by aspect, complaints, and customers' questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from convmine.reports import data as q
from convmine.reports.models import (
    CallsView,
    Column,
    GroupStat,
    LabelStat,
    Quote,
    ReportMeta,
    Series,
    Table,
)
from convmine.reports.scope import Scope
from convmine.reports.tables import calls_table, group_table, label_table, quotes_table
from convmine.store import ProfileStore
from convmine.taxonomy import Taxonomy

CATEGORY = "feedback"
POSITIVE, NEGATIVE, QUESTION = "feedback.positive", "feedback.negative", "feedback.question"
COMPLAINT = "feedback.negative.complaint"
#: What a positive or negative label is about: the first word of its value (``system_laggy`` → system).
ASPECTS = {
    "product": "产品",
    "service": "服务",
    "activity": "活动",
    "system": "系统",
    "brand": "品牌",
    "branch": "网点",
}
MAX_COMPLAINTS = 100
SERIES = (
    Series("positive", "positive 正向评价", POSITIVE),
    Series("negative", "negative 负向评价", NEGATIVE),
    Series("complaint", "complaint 投诉", COMPLAINT),
    Series("question", "question 提问", QUESTION),
)


@dataclass(frozen=True, slots=True)
class AspectStat:
    """Calls (and tags) with praise and with criticism of one aspect."""

    aspect: str
    name: str
    positive_calls: int
    negative_calls: int
    positive_mentions: int
    negative_mentions: int


@dataclass(slots=True)
class FeedbackReport:
    """Everything the feedback report shows; numbers are calls with the label unless named tags."""

    meta: ReportMeta
    series: tuple[Series, ...]
    overall: GroupStat
    aspects: list[AspectStat]
    positive: list[LabelStat]
    negative: list[LabelStat]
    questions: list[LabelStat]
    complaints: list[Quote]
    by_agent: list[GroupStat]
    by_team: list[GroupStat]
    over_time: list[GroupStat]
    quotes: dict[str, list[Quote]]
    calls: CallsView
    taxonomy: Taxonomy

    def tables(self) -> list[Table]:
        tax = self.taxonomy
        aspect_columns = (
            Column("aspect", "aspect"),
            Column("name", "name 方面"),
            Column("positive_calls", "calls with praise", "int"),
            Column("negative_calls", "calls with criticism", "int"),
            Column("positive_mentions", "praise tags", "int"),
            Column("negative_mentions", "criticism tags", "int"),
        )
        aspects = Table(
            "feedback_by_aspect", "Praise and criticism by aspect", aspect_columns,
            [{c.key: getattr(a, c.key) for c in aspect_columns} for a in self.aspects],
        )  # fmt: skip
        tables = [
            aspects,
            label_table("feedback_positive", "Positive evaluations 正向评价", self.positive, tax),
            label_table("feedback_negative", "Negative evaluations 负向评价", self.negative, tax),
            label_table("feedback_questions", "Questions customers ask 提问", self.questions, tax),
            quotes_table("complaints", "Complaints 投诉, newest first", self.complaints, tax),
            group_table(
                "feedback_by_agent", "Feedback by agent", Column("agent_id", "agent 坐席"), self.by_agent,
                self.series, team=True,
            ),
        ]  # fmt: skip
        if self.by_team:
            tables.append(
                group_table(
                    "feedback_by_team",
                    "Feedback by team",
                    Column("team", "team 团队"),
                    self.by_team,
                    self.series,
                )
            )
        tables += [
            group_table(
                "feedback_over_time", "Feedback over time", Column("period", f"{self.meta.period} 时间"),
                self.over_time, self.series,
            ),
            quotes_table("feedback_quotes", "Quotes per label", (x for qs in self.quotes.values() for x in qs), tax),
            calls_table(self.calls.rows, "feedback 心声", self.taxonomy),
        ]  # fmt: skip
        return tables


def aspect_of(label_id: str) -> str | None:
    """The aspect a positive/negative label is about, or ``None`` (praise, complaint, a bank's own)."""
    first = label_id.rsplit(".", 1)[1].split("_", 1)[0]
    return first if first in ASPECTS else None


def build_feedback(
    store: ProfileStore, scope: Scope | None = None, *, now: datetime | None = None
) -> FeedbackReport:
    """Count the voice of the customer in the calls in ``scope`` (default: every call) from the store."""
    scope = scope or Scope()
    data = q.load(store, scope)
    taxonomy = store.taxonomy
    positive = q.label_stats(data, q.labels_under(taxonomy, POSITIVE))
    negative = q.label_stats(data, q.labels_under(taxonomy, NEGATIVE))
    aspects = []
    for aspect, name in ASPECTS.items():
        calls = {POSITIVE: 0, NEGATIVE: 0}
        mentions = {POSITIVE: 0, NEGATIVE: 0}
        for record in data.records:
            for side in calls:
                n = sum(
                    1
                    for obs in data.tags.get(record.call_id, [])
                    if obs.tag.label.startswith(side + ".") and aspect_of(obs.tag.label) == aspect
                )
                calls[side] += n > 0
                mentions[side] += n
        aspects.append(
            AspectStat(aspect, name, calls[POSITIVE], calls[NEGATIVE], mentions[POSITIVE], mentions[NEGATIVE])
        )
    newest = sorted(data.observations(COMPLAINT), key=lambda obs: obs.observed_at, reverse=True)
    complaints = [q.quote_of(data, obs) for obs in newest[:MAX_COMPLAINTS]]
    period, time_stats = q.over_time(data, SERIES)
    return FeedbackReport(
        meta=q.meta("feedback", "Voice of the customer 客户心声", data, period, now),
        series=SERIES,
        overall=q.group_stats(data, lambda r: "all", SERIES, ["all"])[0],
        aspects=aspects,
        positive=positive,
        negative=negative,
        questions=q.label_stats(data, q.labels_under(taxonomy, QUESTION)),
        complaints=complaints,
        by_agent=q.by_agent(data, SERIES),
        by_team=q.by_team(data, SERIES),
        over_time=time_stats,
        quotes=q.top_quotes(data, CATEGORY),
        calls=q.calls_view(data, CATEGORY),
        taxonomy=taxonomy,
    )
