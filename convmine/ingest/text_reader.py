"""Plain-text dialogues (``.txt``): one turn a line, prefixed by the speaker's role.

    # customer_id: CUST-0002
    [00:01.2-00:03.5] 坐席：您好，这里是…银行。
    客户(王先生)：嗯，你说。
    【客户】我只买保本的。

A role is any :data:`~convmine.ingest.values.SPEAKER_ALIASES` (坐席/客服/客户经理/A, 客户/用户/C, …)
followed by a full- or half-width colon. Decorated prefixes are read too: a name, staff number or time
in brackets after the role (``坐席(工号1027)：``, ``客户[00:01.2-00:03.5]：``), a staff number right after
the role (``坐席1027：``, ``坐席 1027：``, ``坐席1号：``), a bare time after the role (``客户 00:01：``), a
role in ``【】`` or ``[]`` (colon optional), and a time or time range before any of these
(``00:01 客户：``, ``[00:01.2-00:03.5] 坐席：``). A name or staff number in a prefix is not kept (it is no
agent ID: give that with ``# agent_id:``).

Blank lines are skipped, and a plain line continues the turn above it (a line wrapped by an editor; a
colon followed by ``//``, as in a URL, is text). Before the first turn, a line that starts with a label
that is no role (``注意：本录音仅供质检使用``, ``【通话记录】``) is a note and skipped. After it, a line that
starts like a turn but names no known role is an error naming its line, never a guess: an unknown label
with a colon (``张经理：``, ``王先生(客户)：``, a name with a phone number ``王五13812345678：``), a label
in ``【】`` or ``[]`` (``[主持人]``), or a time without a role (``00:01 就这样``). A bare ``H:MM`` without a
leading zero (``3:30 以后有空``) is a time said in the text unless a role follows it. A file with notes but
no turn is an error too.

Lines may end as on Windows, Unix or the classic Mac (``\\r``). A Big5 (Traditional Chinese) file, which
reads as GB18030 nonsense in which no line starts with a role, is read as Big5.

The call's metadata (``call_id``, ``customer_id``, ``agent_id``, ``started_at``) comes from
``# key: value`` comment lines in the file and from a sidecar ``NAME.meta.json`` / ``NAME.meta.yaml``
beside ``NAME.txt``; the two must not disagree. ``call_id`` defaults to the file's stem. Other lines
starting with ``#`` are comments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from convmine.errors import InputError
from convmine.ingest.registry import CallRecord, register_reader
from convmine.ingest.values import (
    SPEAKER_ALIASES,
    add_utterance,
    decode_big5,
    decode_text,
    parse_id,
    parse_seconds,
    parse_started_at,
)
from convmine.schema import Call, Failure, Speaker, Utterance
from convmine.text.pii import mask

METADATA_KEYS = ("call_id", "customer_id", "agent_id", "started_at")
SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")

_TIME = r"\d+(?::\d+){0,2}(?:[.,]\d+)?"  # in brackets: seconds (12.5) or a clock (00:12.5, 1:02:03)
_CLOCK = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?"  # outside brackets only a clock is a time
_DASH = r"\s*[-–—~～]\s*"
_OPEN, _CLOSE, _BRACKETS = r"[\[【(（]", r"[\]】)）]", "\\[\\]【】()（）"
# A single time in brackets needs a colon or a decimal point: "[1]" is a line number, not a time.
_BRACKETED_TIME = re.compile(
    rf"{_OPEN}\s*(?:(?P<start>{_TIME}){_DASH}(?P<end>{_TIME})|(?P<at>\d+(?::\d+){{1,2}}(?:[.,]\d+)?|\d+[.,]\d+))"
    rf"\s*{_CLOSE}"
)
_BARE_TIME = re.compile(rf"(?P<start>{_CLOCK})(?:{_DASH}(?P<end>{_CLOCK}))?(?![\d:])")
_TIME_OF_DAY = re.compile(r"(?:[1-9]|1\d|2[0-3]):[0-5]\d")  # 3:30, 10:30 — may be a time said in the text
_NOTE = rf"{_OPEN}[^{_BRACKETS}]{{0,30}}{_CLOSE}"  # a name, staff number or time after the role
_ROLE_IN_BRACKETS = re.compile(
    rf"(?P<open>{_OPEN})\s*(?P<label>[^{_BRACKETS}:：]{{1,12}}?)\s*{_CLOSE}\s*(?P<colon>[:：])?\s*"
)
# Everything before the role's colon: words, bracketed notes and bare clock times (whose colons are not it).
# A colon followed by "//" is a URL's (https://…), not a role's.
_ROLE_WITH_COLON = re.compile(rf"(?P<head>(?:{_CLOCK}|{_NOTE}|[^{_BRACKETS}:：]){{1,40}}?)\s*[:：](?!//)\s*")
_LABEL_AND_TIME = re.compile(rf"(?P<label>.*?)\s*(?P<time>{_BARE_TIME.pattern})?")
_NUMBERED_ROLE = re.compile(r"(?P<role>.*?\D)\s*\d+号?")  # 坐席1027, 坐席 1027, 坐席1号: a staff number
# A word of up to 10 characters, not only digits; a number after it (a phone or staff number) does not count.
_LABEL_LIKE = re.compile(r"(?=.*[^\W\d_])[\w ]{1,10}\d*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # Windows, classic Mac and Unix line ends
_HEADER = re.compile(r"^#\s*([\w-]+)\s*[:：]\s*(.*?)\s*$")


def is_sidecar(path: Path) -> bool:
    """Whether ``path`` is a transcript's metadata sidecar (``NAME.meta.json``/``.yaml``/``.yml``)."""
    return path.name.lower().endswith(SIDECAR_SUFFIXES)


class _Metadata:
    """The call's metadata from header lines and the sidecar, remembering where each value came from."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str | datetime, str]] = {}

    def add(self, key: str, raw: object, where: str) -> None:
        value = parse_started_at(raw) if key == "started_at" else parse_id(raw, key)
        if value is None:
            return
        if key in self._values and self._values[key][0] != value:
            first, first_where = self._values[key]
            raise InputError(f"{key} is {first!s} in {first_where} but {value!s} in {where}; make them agree")
        self._values.setdefault(key, (value, where))

    def text(self, key: str) -> str | None:
        value = self._values.get(key, (None,))[0]
        return value if isinstance(value, str) else None

    def started_at(self) -> datetime | None:
        value = self._values.get("started_at", (None,))[0]
        return value if isinstance(value, datetime) else None


@dataclass
class _Turn:
    speaker: Speaker
    line: int
    start: float | None
    end: float | None
    parts: list[str] = field(default_factory=list)


def _join(parts: list[str]) -> str:
    """Join a turn's lines: with a space between Latin letters or digits, directly between Chinese."""
    text = ""
    for part in parts:
        latin_seam = text[-1:].isascii() and text[-1:].isalnum() and part[0].isascii() and part[0].isalnum()
        text = f"{text} {part}" if latin_seam else text + part
    return text


def _parse_sidecar(sidecar: Path) -> object:
    text = decode_text(sidecar)
    if sidecar.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"invalid YAML: {problem}", line=mark.line + 1 if mark else None) from None


def _read_sidecar(transcript: Path, metadata: _Metadata) -> None:
    sidecars = [
        sidecar
        for suffix in SIDECAR_SUFFIXES
        if (sidecar := transcript.with_name(transcript.stem + suffix)).is_file()
    ]
    if not sidecars:
        return
    if len(sidecars) > 1:
        names = ", ".join(sidecar.name for sidecar in sidecars)
        raise InputError(f"{transcript.name} has {len(sidecars)} sidecars ({names}); keep one")
    sidecar = sidecars[0]
    try:
        value = _parse_sidecar(sidecar)
        if not isinstance(value, dict):
            raise InputError(f"a sidecar must be a mapping of {', '.join(METADATA_KEYS)}")
        for key, item in value.items():
            if key not in METADATA_KEYS:
                raise InputError(
                    f"unknown key {key!r} in the sidecar; allowed keys: {', '.join(METADATA_KEYS)}"
                )
            metadata.add(key, item, sidecar.name)
    except InputError as exc:
        raise InputError(exc.reason, source=str(sidecar), line=exc.line) from None


@dataclass(frozen=True, slots=True)
class _Time:
    """A time or time range written on a line, as written."""

    start: str
    end: str | None
    said_in_text: bool = False  # a bare H:MM such as 3:30, which may be part of the text


@dataclass(frozen=True, slots=True)
class _Role:
    """A role prefix: its label, the speaker it names (``None``: an unknown role), a time written with it,
    and the rest of the line."""

    label: str
    speaker: Speaker | None
    time: _Time | None
    rest: str


def _leading_time(line: str) -> tuple[_Time | None, str]:
    """The time or time range a line starts with (``[00:01.2-00:03.5]``, ``00:01``) and the rest of it."""
    if bracketed := _BRACKETED_TIME.match(line):
        time = _Time(bracketed["start"] or bracketed["at"], bracketed["end"])
        return time, line[bracketed.end() :].lstrip()
    if bare := _BARE_TIME.match(line):
        time = _Time(bare["start"], bare["end"], said_in_text=_TIME_OF_DAY.fullmatch(bare[0]) is not None)
        return time, line[bare.end() :].lstrip()
    return None, line


def _speaker(label: str) -> tuple[str, Speaker] | None:
    """The role word and speaker ``label`` names: a role (``坐席``) or a role with a staff number right
    after it (``坐席1027``, whose number is dropped); ``None`` when it names no role."""
    speaker = SPEAKER_ALIASES.get(label.lower())
    if speaker is not None:
        return label, speaker
    numbered = _NUMBERED_ROLE.fullmatch(label)
    role = numbered["role"].strip() if numbered else ""
    speaker = SPEAKER_ALIASES.get(role.lower())
    return (role, speaker) if speaker is not None else None


def _role_with_colon(text: str) -> _Role | None:
    """``客户：`` / ``坐席(工号1027)：`` / ``坐席1027：`` / ``客户[00:01.2-00:03.5]：`` / ``客户 00:01：``;
    ``None`` when the text before the colon is not a short label (it is then part of the text)."""
    match = _ROLE_WITH_COLON.match(text)
    if match is None:
        return None
    head = match["head"].strip()
    notes = re.findall(_NOTE, head)
    parts = _LABEL_AND_TIME.fullmatch(re.sub(_NOTE, " ", head).strip())
    assert parts is not None, "the pattern matches any text"
    label = parts["label"].strip()
    times = [
        _Time(time["start"] or time["at"], time["end"])
        for note in notes
        if (time := _BRACKETED_TIME.fullmatch(note))
    ]
    if parts["time"]:
        times.append(_Time(parts["start"], parts["end"]))
    known = _speaker(label)
    if known is None and not _LABEL_LIKE.fullmatch(label):
        return None
    if len(times) > 1:
        raise InputError(f"the role {head!r} carries {len(times)} times; keep one")
    time = times[0] if times else None
    if known is None:
        return _Role(head, None, time, text[match.end() :])
    return _Role(known[0], known[1], time, text[match.end() :])


def _role(text: str) -> _Role | None:
    """The role prefix ``text`` starts with, or ``None`` when it has none (the speaker is ``None`` for a
    label that looks like a role but is not a known one)."""
    bracketed = _ROLE_IN_BRACKETS.match(text)
    if bracketed:
        known = _speaker(bracketed["label"].strip())
        if known is not None:
            return _Role(known[0], known[1], None, text[bracketed.end() :])
    role = _role_with_colon(text)
    if role is not None or bracketed is None:
        return role
    # [主持人] / 【系统】 / (主持人)：…, but not a note such as （笑）at the start of a wrapped line
    label = bracketed["label"].strip()
    if bracketed["open"] in "[【" or (bracketed["colon"] and _LABEL_LIKE.fullmatch(label)):
        return _Role(label, None, None, text[bracketed.end() :])
    return None


def _aliases(speaker: Speaker) -> str:
    """The role words of ``speaker``, Chinese first, one-letter ones in capitals: ``坐席/座席/…/A``."""
    words = [
        alias.upper() if len(alias) == 1 else alias for alias, s in SPEAKER_ALIASES.items() if s == speaker
    ]
    return "/".join(sorted(words, key=str.isascii))


_ROLES_ACCEPTED = (
    f"a turn starts with a role and a colon, e.g. 坐席：… or 客户：… (agent roles: {_aliases('agent')}; "
    f"customer roles: {_aliases('customer')}), optionally with a staff number (坐席1027：…), a name or "
    "staff number in brackets (坐席(张经理)：…, 客户(王先生)：…) or a time ([00:01.2-00:03.5] 客户：…)"
)


def _unknown_role(label: str, *, first_turn: bool = False) -> InputError:
    """The error for a line starting with ``label``, which is no role; the label is masked (it may hold a
    phone number). ``first_turn``: the file has no turn, only notes, of which this is the first."""
    hint = (
        "(a line before the first turn that starts with an unknown label is read as a note, but no line of "
        "this file starts with a known role)"
        if first_turn
        else "If the line continues the turn above, join it to that line"
    )
    return InputError(f"unknown speaker {mask(label)!r}; {_ROLES_ACCEPTED}. {hint}")


_NO_ROLE = f"the line has no recognised role prefix; {_ROLES_ACCEPTED}"
_NO_TURN_YET = f"{_NO_ROLE}. Before the first turn only comments (# …) and notes (注意：…) may come"


def _turn_start(line: str) -> _Role | None:
    """The role starting the line, with the line's time and the rest of its text; ``None`` when the line
    continues the turn above. A role whose speaker is ``None`` is an unknown label (``张经理：``).
    Raises for a time without any role."""
    time, rest = _leading_time(line)
    role = _role(rest)
    if role is not None:
        if time is not None and role.time is not None:
            raise InputError("the line carries two times, one before and one after the role; keep one")
        return _Role(role.label, role.speaker, time or role.time, role.rest)
    if time is not None and not time.said_in_text:
        raise InputError(_NO_ROLE)
    return None


@dataclass
class _Dialogue:
    """What the lines of a file have given so far: turns, notes before the first turn (line, label)."""

    path: Path
    metadata: _Metadata
    turns: list[_Turn] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)

    def read_line(self, line: str, number: int) -> None:
        if line.startswith("#"):
            header = _HEADER.match(line)
            key = header.group(1).lower().replace("-", "_") if header else ""
            if header and key in METADATA_KEYS:
                self.metadata.add(key, header.group(2), f"line {number} of {self.path.name}")
            return
        role = _turn_start(line)
        if role is None:
            if not self.turns:
                raise InputError(_NO_TURN_YET)
            self.turns[-1].parts.append(line)
        elif role.speaker is not None:
            start, end = (role.time.start, role.time.end) if role.time else (None, None)
            self.turns.append(
                _Turn(
                    role.speaker,
                    number,
                    parse_seconds(start, "start"),
                    parse_seconds(end, "end"),
                    [role.rest] if role.rest.strip() else [],
                )
            )
        elif self.turns:
            raise _unknown_role(role.label)
        else:
            self.notes.append((number, role.label))

    def utterances(self) -> list[Utterance]:
        if not self.turns and self.notes:
            number, label = self.notes[0]
            raise InputError(_unknown_role(label, first_turn=True).reason, line=number)
        utterances: list[Utterance] = []
        for turn in self.turns:
            try:
                add_utterance(utterances, turn.speaker, _join(turn.parts), turn.start, turn.end)
            except InputError as exc:
                raise InputError(exc.reason, line=turn.line) from None
        return utterances


def _read_turns(text: str, metadata: _Metadata, path: Path) -> list[Utterance]:
    dialogue = _Dialogue(path, metadata)
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            dialogue.read_line(line.strip(), number)
        except InputError as exc:
            raise InputError(exc.reason, line=number) from None
    return dialogue.utterances()


def _decode(path: Path) -> str:
    """The file's text (:func:`decode_text`), or its Big5 reading when only that has a line with a known role."""
    text = decode_text(path)
    if _has_a_turn(text):
        return text
    big5 = decode_big5(path)
    return big5 if big5 is not None and _has_a_turn(big5) else text


def _has_a_turn(text: str) -> bool:
    """Whether a line of ``text`` starts with a known role."""
    for line in _LINE_BREAK.split(text):
        try:
            role = _turn_start(line.strip())
        except InputError:
            continue
        if role is not None and role.speaker is not None:
            return True
    return False


@register_reader(".txt")
def read_text(path: Path) -> Iterator[CallRecord | Failure]:
    """The call in a plain-text dialogue, with its metadata from ``#`` header lines and a sidecar."""
    metadata = _Metadata()
    utterances = _read_turns(_decode(path), metadata, path)
    _read_sidecar(path, metadata)
    call = Call(
        call_id=metadata.text("call_id") or path.stem,
        customer_id=metadata.text("customer_id"),
        utterances=utterances,
        agent_id=metadata.text("agent_id"),
        started_at=metadata.started_at(),
        source=str(path),
    )
    yield CallRecord(call, 1)
