"""CSV and TSV transcripts: one turn a row, rows grouped into calls by ``call_id`` in file order.

The header (required) names ``call_id``, ``speaker`` and ``text``, and optionally ``customer_id``,
``agent_id``, ``started_at``, ``start`` and ``end`` (any order, any case; other columns are ignored).
Rows of one call need not be adjacent. The per-call columns (customer, agent, start time) may be
filled on every row or only some, but rows of one call must not disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from convmine.errors import InputError
from convmine.ingest.registry import CallRecord, register_reader
from convmine.ingest.values import (
    add_utterance,
    decode_text,
    parse_seconds,
    parse_speaker,
    parse_started_at,
)
from convmine.schema import Call, Failure

REQUIRED_COLUMNS = ("call_id", "speaker", "text")
OPTIONAL_COLUMNS = ("customer_id", "agent_id", "started_at", "start", "end")
_CALL_COLUMNS = ("customer_id", "agent_id", "started_at")

Row = dict[str, str]


@dataclass
class _Rows:
    """The rows of one call, with the line each came from."""

    first_line: int
    rows: list[tuple[int, Row]] = field(default_factory=list)
    error: InputError | None = None


def _header(cells: list[str], line: int) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise InputError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the header must name "
            f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)}); "
            f"found: {', '.join(columns)}",
            line=line,
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise InputError(f"the header names column {repeated[0]!r} twice; keep one", line=line)
    return columns


def _group_rows(path: Path, delimiter: str, kind: str) -> tuple[dict[str, _Rows], list[Failure]]:
    reader = csv.reader(io.StringIO(decode_text(path), newline=""), delimiter=delimiter)
    columns: list[str] | None = None
    calls: dict[str, _Rows] = {}
    failures: list[Failure] = []
    next_start = 1  # the line the next record starts on; a quoted cell may span several lines
    try:
        while (cells := next(reader, None)) is not None:
            line = next_start
            next_start = reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns = _header(cells, line)
                continue
            call_id = cells[columns.index("call_id")].strip() if len(cells) > columns.index("call_id") else ""
            if not call_id:
                failures.append(
                    Failure(str(path), "the row has no call_id; fill in the call_id column", line)
                )
                continue
            rows = calls.setdefault(call_id, _Rows(first_line=line))
            if len(cells) != len(columns) and rows.error is None:
                rows.error = InputError(
                    f"the row has {len(cells)} fields but the header has {len(columns)}; "
                    "quote cells that contain the delimiter",
                    line=line,
                )
            rows.rows.append((line, dict(zip(columns, cells, strict=False))))
    except csv.Error as exc:
        raise InputError(f"malformed {kind}: {exc}", line=reader.line_num) from None
    if columns is None:
        raise InputError(
            f"the file is empty; its first line must be a header naming {', '.join(REQUIRED_COLUMNS)}", line=1
        )
    return calls, failures


def _call_from_rows(call_id: str, rows: list[tuple[int, Row]], path: Path) -> Call:
    call = Call(call_id=call_id, customer_id=None, source=str(path))
    seen: dict[str, tuple[str, int]] = {}
    for line, row in rows:
        try:
            for name in _CALL_COLUMNS:
                value = row.get(name, "").strip()
                if not value:
                    continue
                if name in seen and seen[name][0] != value:
                    first_value, first_line = seen[name]
                    raise InputError(
                        f"call {call_id!r} has {name} {value!r} here but {first_value!r} on line "
                        f"{first_line}; rows of one call must agree"
                    )
                seen.setdefault(name, (value, line))
            add_utterance(
                call.utterances,
                parse_speaker(row.get("speaker", "")),
                row.get("text", ""),
                parse_seconds(row.get("start"), "start"),
                parse_seconds(row.get("end"), "end"),
            )
        except InputError as exc:
            raise InputError(exc.reason, line=line) from None
    call.customer_id = seen["customer_id"][0] if "customer_id" in seen else None
    call.agent_id = seen["agent_id"][0] if "agent_id" in seen else None
    if "started_at" in seen:
        value, line = seen["started_at"]
        try:
            call.started_at = parse_started_at(value)
        except InputError as exc:
            raise InputError(exc.reason, line=line) from None
    return call


def _read_table(path: Path, delimiter: str, kind: str) -> Iterator[CallRecord | Failure]:
    calls, failures = _group_rows(path, delimiter, kind)
    yield from failures
    for call_id, rows in calls.items():
        try:
            if rows.error is not None:
                raise rows.error
            call = _call_from_rows(call_id, rows.rows, path)
        except InputError as exc:
            yield Failure(str(path), exc.reason, exc.line)
            continue
        yield CallRecord(call, rows.first_line)


@register_reader(".csv")
def read_csv(path: Path) -> Iterator[CallRecord | Failure]:
    """Calls from a comma-separated file with a header row."""
    return _read_table(path, ",", "CSV")


@register_reader(".tsv")
def read_tsv(path: Path) -> Iterator[CallRecord | Failure]:
    """Calls from a tab-separated file with a header row."""
    return _read_table(path, "\t", "TSV")
