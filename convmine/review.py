"""Reviewers' corrections: mark a tag wrong, confirm it, or add a missed one; turn them into training data.

The loop: :func:`write_review_csv` exports tags (and untagged customer turns) with an empty
``verdict`` column → a reviewer fills in ``confirm``, ``reject`` or ``add`` (in Excel or any
editor) → :func:`import_reviews` stores the verdicts with who and when → the store applies them
to every profile and report → :func:`write_training` writes the reviewed turns as labelled JSONL
(the spec's format) for ``convmine train``.

How a verdict applies (``ProfileStore.observations`` and so ``profile`` and reports): the latest
verdict of a (call, turn, label) holds. ``reject`` hides the tagger's tag; ``confirm`` makes it a
``review`` tag of confidence 1 (its value replaced where the review gives one); ``add`` does the
same, or adds the tag when the tagger missed it, with the whole turn as its evidence. A ``confirm``
with an empty label records a turn checked with nothing to tag (a negative training example). A
turn holds one value of a ``single`` dimension, so adding or confirming one relabels the turn:
:func:`import_reviews` also rejects the other value stored for it (noted "replaced by …").
Verdicts are kept by turn index and label, so they survive re-tagging the call, and each is bound
to the text of the turn it was given on: once the call is tagged again with a changed transcript
(a turn index now holds other words, or the agent's), the verdict is *stale* and applies nowhere
(profiles, reports, training data) until a reviewer gives it again. The review export lists stale
verdicts with ``current_verdict`` ``stale <verdict>``; :meth:`ProfileStore.stale_reviews` returns them.
Verdicts recorded before verdicts were bound (``text`` ``None``) apply to whatever customer turn
holds their index.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, cast, get_args

from convmine.errors import InputError, ReviewRefusedError, TaxonomyError
from convmine.export import write_csv, write_jsonl
from convmine.ingest.values import read_table
from convmine.profile import as_utc
from convmine.schema import Utterance
from convmine.text.pii import mask
from convmine.timezones import CHINA_TIME, local_time

if TYPE_CHECKING:
    from convmine.store import LabelFilter, ProfileStore
    from convmine.taxonomy import Taxonomy

Verdict = Literal["confirm", "reject", "add"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
#: Preceding turns given as a training row's ``context``: what the pipeline shows a tagger by default.
CONTEXT_TURNS = 4
REVIEW_COLUMNS = [
    "call_id", "customer_id", "agent_id", "observed_at", "utterance_index", "start", "text",
    "label", "name", "quote", "value", "confidence", "source", "current_verdict", "verdict", "reviewer", "note",
]  # fmt: skip
_REQUIRED_COLUMNS = ("call_id", "utterance_index", "label", "verdict")
_ESCAPED_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Review:
    """One reviewer's verdict on a label of one customer turn; ``label`` is ``""`` for "nothing to tag".

    ``text`` is the turn's text the verdict was given on. Passed to :meth:`ProfileStore.add_reviews`,
    it must still be the stored turn's (``None``: the turn as stored now); read back from the store,
    it is what the verdict is bound to (``None`` for a verdict recorded before verdicts were bound).
    """

    call_id: str
    utterance_index: int
    label: str
    verdict: Verdict
    reviewer: str
    reviewed_at: datetime
    value: float | None = None
    note: str = ""
    text: str | None = None
    #: The review file's line the verdict was read from (not stored; for messages).
    line: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {self.verdict!r}")
        if not self.label and self.verdict != "confirm":
            article = "an" if self.verdict == "add" else "a"
            raise ValueError(
                f"{article} {self.verdict!r} verdict needs a label; only 'confirm' may leave it empty"
            )
        if not self.reviewer.strip():
            raise ValueError("a review needs the reviewer's name")

    def applies_to(self, turn: Utterance | None) -> bool:
        """Whether the verdict holds for ``turn``, the call's turn at its index as stored now (``None``: no
        such turn): a customer turn that still reads as the verdict's bound text."""
        return (
            turn is not None and turn.speaker == "customer" and (self.text is None or self.text == turn.text)
        )


@dataclass(slots=True)
class ImportSummary:
    """What :func:`import_reviews` read and stored; verdicts equal to the stored ones are not stored again."""

    rows: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    stored: int = 0
    #: Rejects implied by relabelling a turn in a ``single`` dimension (stored with the verdicts).
    replaced: int = 0

    @property
    def skipped(self) -> int:
        return self.verdicts.total() + self.replaced - self.stored


def matches(label: str, labels: LabelFilter) -> bool:
    """Whether ``label`` passes a store label filter (a label ID or dotted prefix, or a list of IDs)."""
    if labels is None:
        return True
    if isinstance(labels, str):
        prefix = labels.rstrip(".")
        return label == prefix or label.startswith(prefix + ".")
    return label in labels


def check_label_filter(labels: LabelFilter, taxonomy: Taxonomy) -> None:
    """Raise :class:`InputError` when ``labels`` (a prefix, or each ID of a list) selects no label of
    ``taxonomy``: a mistyped filter would otherwise select nothing, silently."""
    entries = [labels] if isinstance(labels, str) else list(labels or [])
    for entry in entries:
        selector = entry if isinstance(labels, str) else [entry]
        if any(matches(label_id, selector) for label_id in taxonomy.label_ids):
            continue
        names = [*taxonomy.categories, *taxonomy.dimensions(), *taxonomy.label_ids]
        close = difflib.get_close_matches(entry.rstrip("."), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(
            f"the label filter {entry!r} selects no label of taxonomy {taxonomy.name!r}{hint}; give a label "
            "ID or a prefix of one, such as 'objection' or 'feedback.negative'"
        )


# --- export for review ------------------------------------------------------------------------------


def review_rows(
    store: ProfileStore,
    *,
    customer_id: str | None = None,
    agent_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    labels: LabelFilter = None,
    tagged_only: bool = False,
    call_ids: Collection[str] | None = None,
    tz: tzinfo = CHINA_TIME,
) -> Iterator[dict[str, Any]]:
    """Rows to review, one per tag the tagger or a reviewer put on a customer turn, calls oldest first.

    The calls are those the filters select (and, if given, whose ID is in ``call_ids``); their
    ``observed_at`` is written in ``tz``, with its offset.
    Tags come as the tagger saved them (rejected ones included, with their ``current_verdict``).
    A customer turn with no tag passing ``labels`` gets one row with an empty label, where a reviewer
    adds a missed label (``tagged_only=True`` leaves those rows out). A stale verdict (its turn changed
    since, see above) shows as ``current_verdict`` ``stale <verdict>``: on its label's row when the turn
    is still the customer's, else on a row of its own with the turn's text now (or none, if it is gone).
    """
    taxonomy = store.taxonomy
    check_label_filter(labels, taxonomy)
    current: dict[str, dict[tuple[int, str], Review]] = defaultdict(dict)
    for review in store.reviews():
        current[review.call_id][review.utterance_index, review.label] = review
    records = store.calls(customer_id=customer_id, agent_id=agent_id, since=since, until=until)
    wanted = (record for record in records if call_ids is None or record.call_id in call_ids)
    for record, stored in store.with_calls(wanted):
        verdicts = current.get(record.call_id, {})
        turns = {u.index: u for u in stored.call.utterances}
        base = {
            "call_id": record.call_id,
            "customer_id": record.customer_id,
            "agent_id": record.agent_id,
            "observed_at": local_time(record.observed_at, tz),
        }
        tags_by_turn: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for tag in stored.tags:
            if matches(tag.label, labels):
                tags_by_turn[tag.evidence.utterance_index].append(
                    {
                        "label": tag.label,
                        "quote": tag.evidence.quote,
                        "value": tag.value,
                        "confidence": tag.confidence,
                        "source": tag.source,
                    }
                )
        for (index, label), review in verdicts.items():  # labels a reviewer added
            if label and matches(label, labels):
                if all(row["label"] != label for row in tags_by_turn[index]):
                    source = "review" if review.applies_to(turns.get(index)) else ""
                    tags_by_turn[index].append({"label": label, "value": review.value, "source": source})
        for index in sorted(turns.keys() | tags_by_turn.keys()):
            utterance = turns.get(index)
            found = sorted(tags_by_turn.get(index, []), key=lambda row: row["label"])
            if utterance is not None and utterance.speaker == "customer":
                if not found and not tagged_only:
                    found = [{"label": ""}]
            else:  # only stale verdicts are listed for a turn that is not (or no longer) the customer's
                found = [row for row in found if (index, row["label"]) in verdicts]
                if (index, "") in verdicts and matches("", labels):
                    found.append({"label": ""})
            for row in found:
                label = row["label"]
                review = verdicts.get((index, label))
                if review is not None and review.value is not None and review.applies_to(utterance):
                    row = {**row, "value": review.value}  # the value as a reviewer corrected it
                yield {
                    **base,
                    "utterance_index": index,
                    "start": utterance.start if utterance else None,
                    "text": utterance.text if utterance else "",
                    **row,
                    "name": taxonomy[label].name if label in taxonomy else "",
                    "current_verdict": _current_verdict(review, utterance),
                }


def _current_verdict(review: Review | None, turn: Utterance | None) -> str:
    if review is None:
        return ""
    return review.verdict if review.applies_to(turn) else f"stale {review.verdict}"


def write_review_csv(store: ProfileStore, out: IO[str], **scope: Any) -> int:
    """Write :func:`review_rows` (same keywords) as CSV, safe to open in Excel; returns rows written."""
    return write_csv(review_rows(store, **scope), out, REVIEW_COLUMNS)


# --- import -----------------------------------------------------------------------------------------


def read_reviews(
    path: str | Path, *, taxonomy: Any, reviewer: str | None = None, now: datetime | None = None
) -> tuple[list[Review], int]:
    """Read the verdicts of a review CSV: ``(reviews, rows read)``. Rows with an empty verdict are skipped.

    Each review's ``text`` is the row's ``text`` cell, the turn as the reviewer saw it (see :class:`Review`).

    The file is UTF-8 (with or without the BOM Excel writes) or, failing that, GB18030 (Excel's
    "CSV" on Chinese Windows). ``reviewer`` names rows whose ``reviewer`` cell is empty; every
    verdict is recorded as made at ``now`` (default: now).
    """
    source = str(path)
    rows = _read_rows(Path(path))
    if not rows:
        raise InputError("the file is empty; export one with `convmine review export`", source)
    missing = [column for column in _REQUIRED_COLUMNS if column not in rows[0]]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; export the file with `convmine review export` "
            "and fill in its verdict column",
            source,
            1,
        )
    moment = as_utc(now or datetime.now(UTC))
    reviews: list[Review] = []
    lines: dict[tuple[str, int, str], tuple[int, Review]] = {}
    for line, row in enumerate(rows[1:], start=2):
        verdict = _cell(row, "verdict").lower()
        if not verdict:
            continue
        review = _review(row, verdict, taxonomy, reviewer, moment, source, line)
        first, earlier = lines.setdefault(
            (review.call_id, review.utterance_index, review.label), (line, review)
        )
        if (earlier.verdict, earlier.value) != (review.verdict, review.value):
            raise InputError(
                f"line {first} already gives turn {review.utterance_index} of call {review.call_id!r} "
                f"{review.label or 'no label'!r} another verdict ({earlier.verdict}); keep one",
                source,
                line,
            )
        if first == line:  # the same verdict twice is recorded once
            reviews.append(review)
    return reviews, len(rows) - 1


def import_reviews(
    store: ProfileStore, path: str | Path, *, reviewer: str | None = None, now: datetime | None = None
) -> ImportSummary:
    """Read a review CSV and store its verdicts in one transaction (all or none), with the rejects that
    relabelling a turn in a ``single`` dimension implies (:func:`replaced_values`)."""
    reviews, n_rows = read_reviews(path, taxonomy=store.taxonomy, reviewer=reviewer, now=now)
    replaced = replaced_values(store, reviews, str(path))
    try:
        stored = store.add_reviews([*reviews, *replaced])
    except ReviewRefusedError as exc:  # name the row to fix
        line = getattr(exc.review, "line", None)
        raise InputError(str(exc), str(path), line) from None
    return ImportSummary(n_rows, Counter(review.verdict for review in reviews), stored, len(replaced))


def replaced_values(store: ProfileStore, reviews: list[Review], source: str = "") -> list[Review]:
    """A ``reject`` of each other value of a ``single`` dimension stored for a turn that ``reviews`` gives
    a value of that dimension (``add`` or ``confirm``), unless the reviews judge that value themselves.
    Two values of one single dimension given to one turn are refused (:class:`InputError`)."""
    single = store.taxonomy.single_choice()
    judged = {(r.call_id, r.utterance_index, r.label) for r in reviews}
    given: dict[tuple[str, int, str], str] = {}
    stored: dict[str, list[Any]] = {}  # each call's observations, read once
    replaced: list[Review] = []
    for review in reviews:
        dimension = single.get(review.label)
        if dimension is None or review.verdict == "reject":
            continue
        turn = (review.call_id, review.utterance_index, dimension)
        if given.setdefault(turn, review.label) != review.label:
            raise InputError(
                f"turn {review.utterance_index} of call {review.call_id!r} is given both {given[turn]!r} and "
                f"{review.label!r}, values of the single dimension {dimension!r}; keep one",
                source,
            )
        if review.call_id not in stored:
            stored[review.call_id] = list(store.observations(call_id=review.call_id))
        for obs in stored[review.call_id]:
            label = obs.tag.label
            key = (review.call_id, review.utterance_index, label)
            if obs.tag.evidence.utterance_index == review.utterance_index and single.get(label) == dimension:
                if key not in judged:
                    judged.add(key)
                    replaced.append(
                        Review(review.call_id, review.utterance_index, label, "reject", review.reviewer,
                               review.reviewed_at, note=f"replaced by {review.label}", text=review.text,
                               line=review.line)
                    )  # fmt: skip
    return replaced


def _read_rows(path: Path) -> list[dict[str, str]]:
    """The review file's rows, read as a spreadsheet saved it (:func:`~convmine.ingest.values.read_table`)."""
    table = read_table(path, "the review file")
    if not table:
        return []
    header = [name.strip() for name in table[0]]
    return [dict.fromkeys(header, "")] + [dict(zip(header, cells, strict=False)) for cells in table[1:]]


def _cell(row: dict[str, str], column: str) -> str:
    """A cell's text with the ``'`` that guarded it against formula injection taken off again."""
    text = (row.get(column) or "").strip()
    if text.startswith("'") and text[1:].startswith(_ESCAPED_START):
        return text[1:]
    return text


def _review(
    row: dict[str, str],
    verdict: str,
    taxonomy: Any,
    reviewer: str | None,
    now: datetime,
    source: str,
    line: int,
) -> Review:
    if verdict not in VERDICTS:
        raise InputError(
            f"verdict {verdict!r} is not one of {', '.join(VERDICTS)} (or empty to skip)", source, line
        )
    call_id = _cell(row, "call_id")
    if not call_id:
        raise InputError("call_id is empty", source, line)
    try:
        index = int(_cell(row, "utterance_index"))
    except ValueError:
        raise InputError(
            f"utterance_index must be a whole number, got {row.get('utterance_index')!r}", source, line
        ) from None
    label, value = _cell(row, "label"), None
    if label:
        try:
            label, value = taxonomy.parse_label(label)
        except TaxonomyError as exc:
            raise InputError(str(exc), source, line) from None
    number = _cell(row, "value")
    if number and value is None and label and taxonomy[label].value_type is not None:
        try:
            value = float(number)
        except ValueError:
            raise InputError(f"value must be a number, got {number!r}", source, line) from None
    name = mask(_cell(row, "reviewer") or (reviewer or ""))  # free text, stored: masked like any other
    if not name:
        raise InputError("no reviewer: fill in the reviewer column or pass --reviewer NAME", source, line)
    try:
        return Review(
            call_id, index, label, cast(Verdict, verdict), name, now, value, mask(_cell(row, "note")),
            _cell(row, "text") or None, line,
        )  # fmt: skip
    except ValueError as exc:
        raise InputError(str(exc), source, line) from None


# --- training data ----------------------------------------------------------------------------------


def training_rows(
    store: ProfileStore,
    *,
    customer_id: str | None = None,
    agent_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    context_turns: int = CONTEXT_TURNS,
) -> Iterator[dict[str, Any]]:
    """Every reviewed customer turn as a labelled row: ``{"id", "family", "text", "labels", "context"}``.

    ``labels`` are the turn's tags as reviewed (rejected ones gone, added ones in, unreviewed tags of
    the same turn kept), in taxonomy order, a value written ``label=value``; an empty list is a turn
    checked with nothing to tag. Only verdicts that apply count: a turn whose verdicts are all stale
    (see above) is not a reviewed turn. ``id`` is ``CALL#turn`` and ``family`` the call, so a corpus
    split keeps one call's turns together. Calls oldest first, turns in order.
    """
    verdicts: dict[str, list[Review]] = defaultdict(list)
    for review in store.reviews():
        verdicts[review.call_id].append(review)
    scope = {"customer_id": customer_id, "agent_id": agent_id, "since": since, "until": until}
    labels: dict[tuple[str, int], set[str]] = defaultdict(set)
    for obs in store.observations(**scope):
        if obs.call_id in verdicts:
            tag = obs.tag
            text = tag.label if tag.value is None else f"{tag.label}={tag.value:g}"
            labels[obs.call_id, tag.evidence.utterance_index].add(text)
    order = {label_id: i for i, label_id in enumerate(store.taxonomy.label_ids)}
    for record, stored in store.with_calls(r for r in store.calls(**scope) if r.call_id in verdicts):
        utterances = sorted(stored.call.utterances, key=lambda u: u.index)
        by_index = {u.index: u for u in utterances}
        turns = {
            r.utterance_index
            for r in verdicts[record.call_id]
            if r.applies_to(by_index.get(r.utterance_index))
        }
        for position, utterance in enumerate(utterances):
            if utterance.index not in turns:
                continue
            found = labels.get((record.call_id, utterance.index), set())
            yield {
                "id": f"{record.call_id}#{utterance.index:02d}",
                "family": record.call_id,
                "text": utterance.text,
                "labels": sorted(
                    found, key=lambda text: (order.get(text.split("=", 1)[0], len(order)), text)
                ),
                "context": [u.text for u in utterances[max(0, position - context_turns) : position]],
            }


def write_training(store: ProfileStore, out: IO[str], **scope: Any) -> int:
    """Write :func:`training_rows` (same keyword arguments) as JSON Lines; returns rows written."""
    return write_jsonl(training_rows(store, **scope), out)
