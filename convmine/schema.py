"""Typed data passed between the pipeline's stages: audio → utterances → tags → store → reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from convmine.errors import InputError

Speaker = Literal["agent", "customer", "unknown"]
SPEAKERS: tuple[Speaker, ...] = ("agent", "customer", "unknown")
TagSource = Literal["rule", "model", "review"]


@dataclass(slots=True)
class Utterance:
    """One turn of a call. ``start``/``end`` are seconds from the start of the recording."""

    index: int
    speaker: Speaker
    text: str
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        if self.speaker not in SPEAKERS:
            raise InputError(
                f"utterance {self.index}: speaker must be one of {', '.join(SPEAKERS)}, got {self.speaker!r} "
                "(transcript readers map 坐席, 客户 and the like to these)"
            )
        if not isinstance(self.text, str):
            raise InputError(f"utterance {self.index}: text must be a str, got {type(self.text).__name__}")


@dataclass(slots=True)
class Call:
    """A conversation between an agent and a customer, as read from a transcript or recording."""

    call_id: str
    customer_id: str | None
    utterances: list[Utterance] = field(default_factory=list)
    agent_id: str | None = None
    started_at: datetime | None = None
    source: str | None = None

    def customer_turns(self) -> list[Utterance]:
        return [u for u in self.utterances if u.speaker == "customer"]

    def turns(self, texts: Sequence[str] | None = None, context_turns: int | None = None) -> list[Turn]:
        """Each customer utterance as the :class:`Turn` a tagger reads: its text and, as context, the
        turns of the other side before it (oldest first, at most ``context_turns``). A customer's own
        earlier turns are not context: "对，有二十来万" is read against the agent's question, and the
        customer's previous sentence would only make a tagger repeat that sentence's labels.
        ``texts`` replaces the utterances' texts (e.g. normalised ones)."""
        texts = [u.text for u in self.utterances] if texts is None else texts
        turns, other_side = [], []
        for utterance, text in zip(self.utterances, texts, strict=True):
            if utterance.speaker == "customer":
                kept = (
                    other_side
                    if context_turns is None
                    else other_side[-context_turns:]
                    if context_turns
                    else []
                )
                turns.append(Turn(text, tuple(kept)))
            else:
                other_side.append(text)
        return turns


@dataclass(frozen=True, slots=True)
class Turn:
    """What a tagger reads: one customer turn and the turns before it (oldest first)."""

    text: str
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prediction:
    """A tagger's raw output for one turn: a label, its confidence and where it was seen.

    ``span`` is a ``(start, end)`` character range in the turn's text; ``value`` carries a number
    for labels with a value (``preference.return.target``: 3.5 means 3.5 %).
    """

    label: str
    confidence: float
    span: tuple[int, int] | None = None
    value: float | None = None
    #: Which tagger found it, where a tagger combines several (else the tagger's own ``source``).
    source: TagSource | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a tag was seen: the utterance, the character span in its text, the quote, the time."""

    utterance_index: int
    span: tuple[int, int] | None
    quote: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    """A taxonomy label observed in a call, with its evidence and provenance."""

    label: str
    confidence: float
    source: TagSource
    evidence: Evidence
    value: float | None = None
    taxonomy_version: str = ""
    model_version: str = ""


@dataclass(slots=True)
class TaggedCall:
    """A call together with the tags found in it: what the pipeline hands to the store."""

    call: Call
    tags: list[Tag] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Failure:
    """An input that could not be processed, with the reason; the batch goes on without it."""

    source: str
    reason: str
    line: int | None = None
    stage: str = "read"

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"

    def masked(self, mask: Callable[[str], str]) -> Failure:
        """The failure with ``mask`` applied to its source and reason, which can quote the input."""
        return Failure(mask(self.source), mask(self.reason), self.line, self.stage)
