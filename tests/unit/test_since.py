"""`--since` parsing (vpo.jobs.since.parse_since): pure, with `now` injected."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from vpo.errors import UsageError
from vpo.jobs.since import parse_since

NOW = datetime(2026, 11, 23, 23, 1, 21, 123456, tzinfo=timezone.utc)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def at(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def local_zone() -> Iterator[None]:
    """Local time is Auckland (+13:00 in November) for the test: never UTC by accident."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Auckland"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("30s", timedelta(seconds=30)),
        ("90m", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("1.5h", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
        ("3 d", timedelta(days=3)),
        ("0h", timedelta(0)),
    ],
)
def test_durations_count_back_from_now(text: str, back: timedelta) -> None:
    assert parse_since(text, now=NOW) == at(NOW - back)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-20T08:00:00Z", datetime(2026, 11, 20, 8, tzinfo=timezone.utc)),
        ("2026-11-20T08:00Z", datetime(2026, 11, 20, 8, tzinfo=timezone.utc)),
        ("2026-11-20t08:00z", datetime(2026, 11, 20, 8, tzinfo=timezone.utc)),
        ("2026-11-20T08:00:00+05:30", datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)),
        ("2026-11-20T08:00:00.25-07:00", datetime(2026, 11, 20, 15, 0, 0, 250000, tzinfo=timezone.utc)),
    ],
)
def test_iso_times_with_an_offset_are_converted_to_utc(text: str, moment: datetime) -> None:
    assert parse_since(text, now=NOW) == at(moment)


def test_a_date_or_time_without_offset_is_local_time(local_zone: None) -> None:
    assert parse_since("2026-11-20", now=NOW) == "2026-11-19T11:00:00.000000Z"  # Auckland midnight
    assert parse_since("2026-11-20T08:30", now=NOW) == "2026-11-19T19:30:00.000000Z"
    assert parse_since("2026-07-01", now=NOW) == "2026-06-30T12:00:00.000000Z"  # winter: +12:00


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "yesterday",
        "2x",
        "h",
        "-1h",
        "+2h",
        "1e3d",
        "2 hours",
        "2026-13-01",
        "2026-11-31",
        "11/23/2026",
        "now",
        "1h30m",
    ],
)
def test_anything_else_is_a_usage_error_naming_the_accepted_forms(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_since(text, now=NOW)
    message = info.value.message
    assert repr(text) in message
    for form in ("2h", "1d", "1w", "ISO-8601"):
        assert form in message


@pytest.mark.parametrize(
    "text",
    [
        "0999-01-01T00:00:00Z",
        "0500-06-01",
        "0001-01-01",
        "0001-01-01T00:00+05:00",
        "99999999999w",
        "1000000d",
        "100000000000h",
    ],
)
def test_the_far_past_is_a_cutoff_before_every_job(text: str, local_zone: None) -> None:
    cutoff = parse_since(text, now=NOW)
    assert ISO_Z.match(cutoff), cutoff  # four-digit year: text order stays time order
    assert cutoff < "1970-01-01T00:00:00.000000Z"
    assert cutoff < at(NOW - timedelta(days=365 * 1000))


@pytest.mark.parametrize("text", ["9999-12-31", "9999-12-31T23:59:59-05:00", "3000-01-01T00:00Z"])
def test_the_far_future_is_a_cutoff_after_every_job(text: str, local_zone: None) -> None:
    cutoff = parse_since(text, now=NOW)
    assert ISO_Z.match(cutoff), cutoff
    assert cutoff >= "3000-01-01T00:00:00.000000Z"


def test_the_cutoff_is_fixed_width_utc_with_z() -> None:
    for text in ("2h", "2026-11-20", "2026-11-20T08:00:00+01:00"):
        assert ISO_Z.match(parse_since(text, now=NOW)), text


def test_now_defaults_to_the_clock() -> None:
    before = datetime.now(timezone.utc)
    cutoff = datetime.fromisoformat(parse_since("1h").replace("Z", "+00:00"))
    after = datetime.now(timezone.utc)
    assert before - timedelta(hours=1) <= cutoff <= after - timedelta(hours=1)
