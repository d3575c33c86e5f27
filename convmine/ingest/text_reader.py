"""Plain-text dialogues (``.txt``): one turn a line, prefixed by the speaker's role.

    # customer_id: CUST-0002
    [00:01.2-00:03.5] 坐席：您好，这里是…银行。
    客户:嗯，你说。

Roles are any :data:`~convmine.ingest.values.SPEAKER_ALIASES` (坐席/客服/客户经理/A, 客户/用户/C, …),
followed by a full- or half-width colon; an optional ``[start-end]`` time range may precede the role.
Blank lines are skipped; a line without a role prefix continues the turn above it, but a line that
starts with an unknown short label and a colon (``张经理：``) is an error rather than a guess.

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
    decode_text,
    parse_id,
    parse_seconds,
    parse_speaker,
    parse_started_at,
)
from convmine.schema import Call, Failure, Speaker, Utterance

METADATA_KEYS = ("call_id", "customer_id", "agent_id", "started_at")
SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")

_TIME = r"\d+(?::\d+){0,2}(?:[.,]\d+)?"
_TIME_RANGE = re.compile(rf"^\[\s*({_TIME})\s*[-–~]\s*({_TIME})\s*\]\s*")
_ROLE = re.compile(r"^([^:：]{1,12}?)\s*[:：]\s*")
_LABEL_LIKE = re.compile(r"[^\W\d][\w ]{0,9}")
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


def _role(line: str) -> tuple[Speaker | None, str, str | None]:
    """``(speaker, rest of line, label)``: the speaker when the line starts with a known role; else ``None``
    and, when the line starts with what looks like an unknown role label, that label."""
    match = _ROLE.match(line)
    if not match:
        return None, line, None
    label = match.group(1).strip()
    speaker = SPEAKER_ALIASES.get(label.lower())
    if speaker is None:
        return None, line, label if _LABEL_LIKE.fullmatch(label) else None
    return speaker, line[match.end() :], label


def _read_line(line: str, number: int, turns: list[_Turn], metadata: _Metadata, path: Path) -> None:
    if line.startswith("#"):
        header = _HEADER.match(line)
        key = header.group(1).lower().replace("-", "_") if header else ""
        if header and key in METADATA_KEYS:
            metadata.add(key, header.group(2), f"line {number} of {path.name}")
        return
    times = _TIME_RANGE.match(line)
    speaker, rest, label = _role(line[times.end() :] if times else line)
    if speaker is not None:
        start = parse_seconds(times.group(1), "start") if times else None
        end = parse_seconds(times.group(2), "end") if times else None
        turns.append(_Turn(speaker, number, start, end, [rest] if rest.strip() else []))
    elif label is not None:
        parse_speaker(label)  # raises: names the unknown role and the known ones
    elif times is not None or not turns:
        raise InputError(
            "the line has no recognised role prefix; start each turn with a role and a colon, "
            "e.g. 坐席：… / 客户：… / 客服: … / A: … / C: …"
        )
    else:
        turns[-1].parts.append(rest)


def _read_turns(text: str, metadata: _Metadata, path: Path) -> list[Utterance]:
    turns: list[_Turn] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            _read_line(line.strip(), number, turns, metadata, path)
        except InputError as exc:
            raise InputError(exc.reason, line=number) from None
    utterances: list[Utterance] = []
    for turn in turns:
        try:
            add_utterance(utterances, turn.speaker, _join(turn.parts), turn.start, turn.end)
        except InputError as exc:
            raise InputError(exc.reason, line=turn.line) from None
    return utterances


@register_reader(".txt")
def read_text(path: Path) -> Iterator[CallRecord | Failure]:
    """The call in a plain-text dialogue, with its metadata from ``#`` header lines and a sidecar."""
    metadata = _Metadata()
    utterances = _read_turns(decode_text(path), metadata, path)
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
