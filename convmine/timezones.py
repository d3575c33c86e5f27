"""Time zones: China Standard Time by default, fixed UTC offsets as written on the command line.

Call-centre exports write start times without an offset; they are China Standard Time unless the
user names another offset (``--utc-offset -05:00``). Reports show and bucket dates in the same zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

from convmine.errors import ConvmineError, InputError

#: The offset start times without one are taken to be in, and dates are shown in, unless told otherwise.
DEFAULT_UTC_OFFSET = "+08:00"
#: China Standard Time, the zone of :data:`DEFAULT_UTC_OFFSET`.
CHINA_TIME = timezone(timedelta(hours=8), "UTC+08:00")


def parse_offset(text: str) -> timezone:
    """``"+08:00"``, ``"-05:30"`` or ``"Z"`` as a fixed UTC offset."""
    if text.strip().upper() in ("Z", "UTC", "+00:00"):
        return UTC
    try:
        moment = datetime.fromisoformat(f"2000-01-01T00:00:00{text.strip()}")
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConvmineError(f"a UTC offset looks like +08:00 or -05:30, got {text!r}")
    return timezone(moment.utcoffset() or timedelta(0), f"UTC{text.strip()}")


def local_time(moment: datetime, tz: tzinfo) -> str:
    """``moment`` as ISO 8601 in ``tz`` with its offset (``2026-05-01T09:30:00+08:00``), as reports show it."""
    return moment.astimezone(tz).isoformat()


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """A day (``2026-06-01``: its midnight) or an ISO datetime; without an offset it is in ``tz``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConvmineError(f"a date looks like 2026-06-01 or 2026-06-01T09:30, got {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def check_order(
    since: datetime | None, until: datetime | None, names: tuple[str, str] = ("since", "until")
) -> None:
    """Raise :class:`ConvmineError` unless ``since`` comes before ``until`` (either may be missing);
    ``names`` are what the user called them (``("--since", "--as-of")``)."""
    if since is not None and until is not None and since >= until:
        raise InputError(
            f"{names[0]} ({since.isoformat(timespec='minutes')}) must come before "
            f"{names[1]} ({until.isoformat(timespec='minutes')})"
        )


def parse_range(
    since: str | None, until: str | None, tz: tzinfo, names: tuple[str, str] = ("since", "until")
) -> tuple[datetime | None, datetime | None]:
    """``since`` and ``until`` read by :func:`parse_moment` (either may be missing) and checked by
    :func:`check_order` (``names``: what the user called them)."""
    start, end = (parse_moment(text, tz) if text else None for text in (since, until))
    check_order(start, end, names)
    return start, end
