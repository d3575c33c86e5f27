"""JSON transcripts: ``.json`` holds one call object or a list of them, ``.jsonl`` one call object a line.

A call object::

    {"call_id": "CALL-2026-0305-0001", "customer_id": "CUST-0001", "agent_id": "AG-01",
     "started_at": "2026-03-05T10:12:00+08:00", "source": "recordings/0305-0001.wav",
     "utterances": [{"speaker": "坐席", "text": "您好…", "start": 0.0, "end": 3.2}, …]}

Only ``call_id`` and ``utterances`` are required; other fields are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from convmine.errors import InputError
from convmine.ingest.registry import CallRecord, register_reader
from convmine.ingest.values import (
    add_utterance,
    decode_text,
    parse_id,
    parse_seconds,
    parse_speaker,
    parse_started_at,
)
from convmine.schema import Call, Failure, Utterance

_DECODER = json.JSONDecoder()
_JSON_SPACE = " \t\r\n"


def call_from_dict(value: object, source: str | None = None) -> Call:
    """A :class:`Call` from a decoded call object; raises :class:`InputError` naming the bad field.

    ``source`` is used when the object has no ``"source"`` of its own. The call is only parsed: the
    checks a batch applies (a customer ID, a turn with text, a unique call ID) are
    :func:`convmine.ingest.read_calls`'s.
    """
    if not isinstance(value, dict):
        raise InputError(
            f"a call must be a JSON object with call_id and utterances, got {type(value).__name__}"
        )
    call_id = parse_id(value.get("call_id"), "call_id")
    if call_id is None:
        raise InputError('the call has no call_id; add a "call_id" field')
    turns = value.get("utterances")
    if not isinstance(turns, list):
        raise InputError(
            f'call {call_id!r}: "utterances" must be a list of {{speaker, text, start, end}} objects'
        )
    utterances: list[Utterance] = []
    for number, turn in enumerate(turns):
        try:
            if not isinstance(turn, dict):
                raise InputError("must be an object with speaker and text")
            text = turn.get("text")
            if not isinstance(text, str):
                raise InputError('needs a "text" string')
            add_utterance(
                utterances,
                parse_speaker(turn.get("speaker")),
                text,
                parse_seconds(turn.get("start"), "start"),
                parse_seconds(turn.get("end"), "end"),
            )
        except InputError as exc:
            raise InputError(f"call {call_id!r}, utterances[{number}]: {exc.reason}") from None
    try:
        return Call(
            call_id=call_id,
            customer_id=parse_id(value.get("customer_id"), "customer_id"),
            utterances=utterances,
            agent_id=parse_id(value.get("agent_id"), "agent_id"),
            started_at=parse_started_at(value.get("started_at")),
            source=parse_id(value.get("source"), "source") or source,
        )
    except InputError as exc:
        raise InputError(f"call {call_id!r}: {exc.reason}") from None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _bad_json(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (column {exc.colno}); fix the syntax or re-export the file"
    # Python refuses to convert integers of more than 4,300 digits
    return "invalid JSON: it holds a number too long to read; fix the value or re-export the file"


def _decode(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(_bad_json(exc), line=getattr(exc, "lineno", None)) from None


def _list_item_lines(text: str, items: int) -> list[int]:
    """The line each element of a top-level JSON list starts on (the text is already known to be valid)."""
    lines = []
    offset = text.index("[") + 1
    line, counted = 1, 0
    for _ in range(items):
        while text[offset] in _JSON_SPACE or text[offset] == ",":
            offset += 1
        line += text.count("\n", counted, offset)
        counted = offset
        lines.append(line)
        _, offset = _DECODER.raw_decode(text, offset)
    return lines


def _other_data(value: object) -> str | None:
    """What a JSON object that is not a call is, when it is one of convmine's other files."""
    if not isinstance(value, dict) or "utterances" in value:
        return None
    if "text" in value and "labels" in value:
        return (
            'the row is labelled data ("text" and "labels", what convmine train and evaluate read), '
            "not a call with call_id and utterances"
        )
    if "label" in value and "call_id" in value:
        return "the row is a tag (as convmine export writes them), not a call with call_id and utterances"
    return None


def _record(value: object, path: Path, line: int, item: int | None = None) -> CallRecord | Failure:
    """The call ``value`` holds, or a failure; ``item`` is its index when the file holds a list of calls."""
    try:
        return CallRecord(call_from_dict(value, str(path)), line)
    except InputError as exc:
        if item is None:
            return Failure(str(path), _other_data(value) or exc.reason, line)
        return Failure(
            str(path), f"list item [{item}]: {exc.reason}; the list's other calls are still read", line
        )


@register_reader(".json")
def read_json(path: Path) -> Iterator[CallRecord | Failure]:
    """Calls from a ``.json`` file holding one call object or a list of them. A bad call in a list fails
    alone, named by its index and the line it starts on; the list's other calls are read."""
    text = decode_text(path)
    if not text.strip():
        raise InputError("the file is empty; it should hold a call object or a list of them", line=1)
    value = _decode(text)
    if not isinstance(value, list):
        yield _record(value, path, _line_of(text, len(text) - len(text.lstrip())))
        return
    for index, (item, line) in enumerate(zip(value, _list_item_lines(text, len(value)), strict=True)):
        yield _record(item, path, line, index)


@register_reader(".jsonl")
def read_jsonl(path: Path) -> Iterator[CallRecord | Failure]:
    """Calls from a JSON Lines file, one call object a line; blank lines are skipped."""
    for number, line in enumerate(decode_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = _decode(line)
        except InputError as exc:
            yield Failure(str(path), exc.reason, number)
            continue
        yield _record(value, path, number)


def call_to_dict(call: Call) -> dict[str, object]:
    """The call as a JSON call object (the inverse of :func:`call_from_dict`; what ``convmine tag`` reads)."""
    return {
        "call_id": call.call_id,
        "customer_id": call.customer_id,
        "agent_id": call.agent_id,
        "started_at": call.started_at.isoformat() if call.started_at else None,
        "source": call.source,
        "utterances": [
            {"speaker": u.speaker, "text": u.text, "start": u.start, "end": u.end} for u in call.utterances
        ],
    }
