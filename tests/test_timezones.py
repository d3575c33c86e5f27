"""One module owns the default time zone and the parsing of UTC offsets and moments."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

from convmine.batch import tag_paths
from convmine.errors import ConvmineError
from convmine.reports import Scope
from convmine.timezones import CHINA_TIME, DEFAULT_UTC_OFFSET, parse_moment, parse_offset


def test_the_default_offset_is_china_time_everywhere():
    assert parse_offset(DEFAULT_UTC_OFFSET) == CHINA_TIME
    assert CHINA_TIME.utcoffset(None) == timedelta(hours=8) and CHINA_TIME.tzname(None) == "UTC+08:00"
    assert inspect.signature(tag_paths).parameters["local_time"].default is CHINA_TIME
    assert Scope().tz is CHINA_TIME


@pytest.mark.parametrize(
    ("text", "hours", "name"),
    [("+08:00", 8, "UTC+08:00"), (" -05:30 ", -5.5, "UTC-05:30"), ("Z", 0, "UTC"), ("utc", 0, "UTC")],
)
def test_parse_offset(text, hours, name):
    zone = parse_offset(text)
    assert zone.utcoffset(None) == timedelta(hours=hours) and zone.tzname(None) == name


@pytest.mark.parametrize("text", ["8h", "", "+8", "Asia/Shanghai"])
def test_parse_offset_refuses_what_is_no_offset(text):
    with pytest.raises(ConvmineError, match="a UTC offset looks like"):
        parse_offset(text)


def test_parse_moment_takes_a_day_or_a_time_in_the_zone_unless_it_names_one():
    assert parse_moment("2026-06-01", CHINA_TIME) == datetime(2026, 6, 1, tzinfo=CHINA_TIME)
    assert parse_moment("2026-06-01T09:30Z", CHINA_TIME) == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    with pytest.raises(ConvmineError, match="a date looks like 2026-06-01"):
        parse_moment("June 1st", CHINA_TIME)
