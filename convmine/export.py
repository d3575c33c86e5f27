"""Write rows to JSON Lines or CSV. CSV cells are made safe to open in Excel (no formula injection)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import IO, Any

from convmine.timezones import CHINA_TIME, local_time

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with ``'`` (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(rows: Iterable[Mapping[str, Any]], out: IO[str], columns: list[str]) -> int:
    """Write ``rows`` as CSV with a header; returns the number of rows written."""
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({key: safe_cell("" if row.get(key) is None else row.get(key)) for key in columns})
        n += 1
    return n


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    """Write ``rows`` as JSON Lines (UTF-8 text kept readable); returns the number written."""
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


TAG_COLUMNS = [
    "call_id", "customer_id", "agent_id", "observed_at", "label", "value", "confidence", "source",
    "utterance_index", "span_start", "span_end", "quote", "start", "end", "taxonomy_version", "model_version",
]  # fmt: skip


def tag_rows(observations: Iterable[Any], tz: tzinfo = CHINA_TIME) -> Iterable[dict[str, Any]]:
    """Flatten store observations (a tag with its call's metadata) into export rows, times in ``tz``."""
    for obs in observations:
        tag, ev = obs.tag, obs.tag.evidence
        yield {
            "call_id": obs.call_id,
            "customer_id": obs.customer_id,
            "agent_id": obs.agent_id,
            "observed_at": local_time(obs.observed_at, tz),
            "label": tag.label,
            "value": tag.value,
            "confidence": tag.confidence,
            "source": tag.source,
            "utterance_index": ev.utterance_index,
            "span_start": ev.span[0] if ev.span else None,
            "span_end": ev.span[1] if ev.span else None,
            "quote": ev.quote,
            "start": ev.start,
            "end": ev.end,
            "taxonomy_version": tag.taxonomy_version,
            "model_version": tag.model_version,
        }
