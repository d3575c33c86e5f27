"""Checking and converting the values every transcript format shares: text encoding, speakers, times, IDs.

Helpers raise :class:`~convmine.errors.InputError` without a place; the reader that calls them knows
the file and line and adds them.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from datetime import date, datetime
from pathlib import Path

from convmine.errors import InputError
from convmine.schema import Speaker, Utterance
from convmine.text.pii import mask

# Lower-case alias → speaker. Traditional-character spellings are included; "bot" is an outbound robot,
# which speaks for the bank. A/C are the one-letter roles that call-centre exports use.
_AGENT_ALIASES = (
    "agent staff bot a 坐席 座席 客服 客户经理 客戶經理 理财经理 理財經理 专员 專員 机器人 機器人"
)
_CUSTOMER_ALIASES = "customer client user c 客户 客戶 用户 用戶 顾客 顧客"
SPEAKER_ALIASES: dict[str, Speaker] = {
    **dict.fromkeys(_AGENT_ALIASES.split(), "agent"),
    **dict.fromkeys(_CUSTOMER_ALIASES.split(), "customer"),
    **dict.fromkeys(["unknown", "未知"], "unknown"),
}

MAX_SECONDS = 86_400  # the latest a turn may start or end: 24 hours into the call
EARLIEST_YEAR, LATEST_YEAR = 1970, 2099  # the years a call's started_at may fall in
_DIGIT_RUN = re.compile(r"\d{9,}")

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


#: C0 and C1 control characters but tab and newline, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _mostly_utf8(raw: bytes) -> bool:
    """Whether more non-ASCII characters decode as UTF-8 than fail to (GB18030 text nearly always fails)."""
    lenient = raw.decode("utf-8", errors="replace")
    invalid = lenient.count("\ufffd")
    return sum(not char.isascii() for char in lenient) - invalid > invalid


def decode_text(path: Path) -> str:
    """The file's text: UTF-16 when it has a UTF-16 byte-order mark, else UTF-8 (with or without a BOM),
    else GB18030 (a superset of GBK/GB2312, which Chinese call-centre exports often use).

    A file whose non-ASCII characters are mostly valid UTF-8 is a damaged UTF-8 file rather than a
    GB18030 one: decoding it as GB18030 would silently turn it into nonsense, so it is refused."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}") from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError("the file starts with a UTF-16 byte-order mark but is not UTF-16 text") from exc
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as utf8_error:
            bad, line = raw[utf8_error.start], _line_of(raw, utf8_error.start)
            if _mostly_utf8(raw):
                raise InputError(
                    f"the file is UTF-8 but byte 0x{bad:02x} on line {line} is not valid UTF-8 "
                    "(a damaged or mixed-encoding file); repair or re-export it",
                    line=line,
                ) from None
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                raise InputError(
                    f"the file is neither UTF-8 nor GB18030 text (byte 0x{bad:02x} on line {line} is not "
                    "valid in either); re-save it as UTF-8",
                    line=line,
                ) from None
    if "\x00" in text:
        raise InputError(
            "the file holds NUL bytes, so it is not a text file (is it binary, or saved as another kind of file?)"
        )
    return text


def decode_big5(path: Path) -> str | None:
    """The file's text as Big5 (Traditional Chinese, code page 950), or ``None`` when it is not valid Big5
    or is UTF-16 or UTF-8 text. :func:`decode_text` reads a Big5 file as GB18030 nonsense without an error,
    so a reader that finds nothing it knows in that text may try this reading instead."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}") from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp950")
        except UnicodeDecodeError:
            return None
    return None


def read_table(path: Path, what: str) -> list[list[str]]:
    """The rows of ``what`` (``"the teams file"``), a table a spreadsheet saved as text: decoded as
    :func:`decode_text` decodes, comma-separated, or tab- or semicolon-separated (Excel's "Unicode Text",
    and "CSV" where the comma is the decimal sign), told by the header line."""
    try:
        text = decode_text(path)
    except InputError as exc:
        reason = exc.reason.removeprefix("cannot read the file: ")
        raise InputError(f"cannot read {what}: {reason}", str(path), exc.line) from None
    header = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=header.count)  # a tie keeps the comma
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _line_of(raw: bytes, offset: int) -> int:
    """The line (from 1) that holds byte ``offset``, whichever line ends (\\r\\n, \\r, \\n) the file uses."""
    return len(_LINE_BREAK.findall(raw, 0, offset)) + 1


def parse_speaker(value: object) -> Speaker:
    """``agent``, ``customer`` or ``unknown`` from the value or one of :data:`SPEAKER_ALIASES`."""
    if isinstance(value, str):
        speaker = SPEAKER_ALIASES.get(value.strip().lower())
        if speaker is not None:
            return speaker
    raise InputError(
        f"unknown speaker {value!r}; use agent, customer or unknown, or an alias: "
        "坐席/座席/客服/客户经理/理财经理/A/bot for the agent, 客户/用户/C/user for the customer"
    )


def _shown(value: object) -> str:
    """``value`` for an error message, with personal numbers and any other long digit run masked: a value in
    the wrong column may be a card or phone number."""
    return _DIGIT_RUN.sub(lambda run: f"<{len(run.group())} digits>", mask(repr(value)))


def parse_seconds(value: object, name: str) -> float | None:
    """Seconds into the call from ``12.5``, ``"12.5"``, ``"00:12.5"`` or ``"01:02:03.5"``; ``None`` for a
    missing value. A time that is negative, NaN or over :data:`MAX_SECONDS` (so also infinite) is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # an integer too large for a float
            seconds = math.inf
    elif isinstance(value, str):
        text = value.strip()
        clock = _CLOCK.match(text)
        if clock:
            hours, minutes = int(clock.group(1) or 0), int(clock.group(2))
            secs = float(clock.group(3).replace(",", "."))
            if secs < 60 and (clock.group(1) is None or minutes < 60):
                seconds = hours * 3600 + minutes * 60 + secs
        else:
            try:
                seconds = float(text)
            except ValueError:
                seconds = None
    if seconds is None:
        raise InputError(
            f"{name} {_shown(value)} is not a time; write seconds (12.5) or a clock time (00:12.5, 01:02:03.5)"
        )
    if math.isnan(seconds) or seconds < 0:
        raise InputError(f"{name} {_shown(value)} is not a time: times are seconds (0 or more) into the call")
    if seconds > MAX_SECONDS:
        raise InputError(
            f"{name} {_shown(value)} is more than 24 hours ({MAX_SECONDS:,} s) into the call; check that "
            "it holds the turn's time in seconds and not another value"
        )
    return seconds


def parse_started_at(value: object) -> datetime | None:
    """A date-time from an ISO-8601 string (``2026-03-05T10:30:00+08:00``, ``2026-03-05``); kept as written:
    timezone-aware when the value names an offset, naive otherwise. Years outside
    :data:`EARLIEST_YEAR`–:data:`LATEST_YEAR` are refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    started: datetime | None = None
    if isinstance(value, datetime):
        started = value
    elif isinstance(value, date):
        started = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            started = datetime.fromisoformat(value.strip())
        except ValueError:
            started = None
    if started is None:
        raise InputError(
            f"started_at {_shown(value)} is not an ISO-8601 date-time; write it like 2026-03-05T10:30:00+08:00"
        )
    if not EARLIEST_YEAR <= started.year <= LATEST_YEAR:
        raise InputError(
            f"started_at {_shown(value)} is not a plausible call time (years {EARLIEST_YEAR}–{LATEST_YEAR}); "
            "check the date"
        )
    return started


def parse_id(value: object, name: str) -> str | None:
    """An identifier as a stripped string (integers are accepted); ``None`` when missing or blank."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise InputError(f"{name} must be a string, got {value!r}")


def printable_name(name: str) -> str:
    """A file name that is not UTF-8 (read with Python's surrogate escapes) with its odd bytes as ``\\xNN``;
    any other name as it is."""
    if not _SURROGATE.search(name):
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte (from a JSON "source")
        raw = name.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def add_utterance(
    utterances: list[Utterance], speaker: Speaker, text: str, start: float | None, end: float | None
) -> None:
    """Append a turn, numbered in order; turns whose text is blank carry nothing and are left out.
    Control characters (a terminal's escape sequences, form feeds) become spaces: they carry no words and
    would reach terminals and spreadsheets. A lone surrogate (JSON's ``\\ud800`` from a broken encoder)
    becomes U+FFFD, the replacement character, as undecodable bytes do."""
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text)).strip()
    if not text:
        return
    if start is not None and end is not None and end < start:
        raise InputError(f"the turn ends ({end:g} s) before it starts ({start:g} s); check start and end")
    utterances.append(Utterance(index=len(utterances), speaker=speaker, text=text, start=start, end=end))
