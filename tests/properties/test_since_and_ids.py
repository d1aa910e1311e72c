"""`--since` values and job id prefixes, on any text: a result, or UsageError (and for ids
JobNotFoundError / AmbiguousJobIdError), never another exception."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import engine
from depth import examples
from vpo.db.connection import Database, open_database
from vpo.errors import AmbiguousJobIdError, JobNotFoundError, UsageError
from vpo.jobs.queries import MIN_PREFIX, resolve_id
from vpo.jobs.since import parse_since

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)

# --------------------------------------------------------------------------- --since

relative = st.from_regex(r"\A\s*\d{1,400}(\.\d{1,20})?\s*[smhdwSMHDWyx]?\s*\Z")


@st.composite
def isoish(draw: st.DrawFn) -> str:
    """Dates and times as people type them: any year, with or without a time, seconds,
    fractions, an offset or Z; sometimes with one field out of range."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
    text = moment.strftime("%Y-%m-%d").rjust(10, "0")
    text = f"{moment.year:04d}{text[4:]}"
    if draw(st.booleans()):
        text += draw(st.sampled_from(["T", " ", "t"])) + moment.strftime("%H:%M")
        if draw(st.booleans()):
            text += moment.strftime(":%S") + draw(st.sampled_from(["", ".5", ".123456", ".1234567"]))
        offset = draw(
            st.one_of(
                st.just(""),
                st.sampled_from(["Z", "z", "+00:00", "-12:00", "+14:00", "+23:59"]),
                st.integers(-1439, 1439).map(
                    lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
                ),
            )
        )
        text += offset
    if draw(st.booleans()):  # one field out of range, or a stray character
        i = draw(st.integers(0, len(text) - 1))
        text = (
            text[:i] + draw(st.sampled_from(["9", "0", "-", ":", "x", "\0", " ", "\udcff"])) + text[i + 1 :]
        )
    return text


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.text(), relative, isoish()))
@example("9" * 400 + "w")  # further back than the calendar
@example("0001-01-01T00:00:00+14:00")  # off the calendar in UTC
@example("9999-12-31T23:59:59-12:00")
@example("0001-01-01")  # local time, maybe east of Greenwich
@example("9999-12-31T23:59:59.999999")
@example("2026-11-23Z")
@example("٣d")  # a digit, just not an ASCII one
@example("\udcff")
def test_since_is_an_iso_z_cutoff_or_a_usage_error(text: str) -> None:
    try:
        cutoff = parse_since(text, now=NOW)
    except UsageError as exc:
        assert "\n" not in exc.message
        return
    assert ISO_Z.match(cutoff), cutoff
    datetime.fromisoformat(cutoff.replace("Z", "+00:00"))  # a real moment


@settings(max_examples=examples(100), deadline=None)
@given(amount=st.integers(0, 10_000), unit=st.sampled_from("smhdw"))
def test_relative_since_counts_back_from_now(amount: int, unit: str) -> None:
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    expected = NOW - timedelta(seconds=amount * seconds)
    assert parse_since(f"{amount}{unit}", now=NOW) == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------- job ids

IDS = [str(uuid.UUID(int=n, version=4)) for n in (1, 2, 3)] + [
    "abcd1234-0000-4000-8000-000000000001",
    "abcd1234-0000-4000-8000-000000000002",  # share 16 characters
    "abce0000-0000-4000-8000-000000000000",
    "ffffffff-ffff-4fff-bfff-ffffffffffff",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    database = open_database(engine.target_for(Path(tmp_path_factory.mktemp("ids"))))
    with database.transaction() as conn:
        for i, job_id in enumerate(IDS):
            conn.execute(
                "INSERT INTO jobs (id, type, status, target, created_at) VALUES (?, 'scan', 'completed', "
                "'[]', ?)",
                (job_id, f"2026-11-23T08:00:{i:02d}.000000Z"),
            )
    return database


def prefixes() -> st.SearchStrategy[str]:
    """Cuts of the real ids, in any case, with spaces around; and near misses."""
    cut = st.tuples(st.sampled_from(IDS), st.integers(0, 40)).map(lambda t: t[0][: t[1]])
    return st.one_of(
        cut,
        cut.map(str.upper),
        cut.map(lambda s: f"  {s}\t"),
        cut.map(lambda s: s + "~"),
        cut.map(lambda s: s + "\n"),
        cut.map(lambda s: s.replace("-", "")),
    )


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.text(), prefixes()))
@example("")
@example("abcd")  # two jobs
@example("ABCD1234-0000-4000-8000-000000000001")
@example("abc%")
@example("abcd_")
@example("\0\0\0\0")
@example("\udce9\udce9\udce9\udce9")
@example("İİİİ")  # lower() makes it longer
def test_job_id_prefix_resolves_or_fails_with_a_typed_error(db: Database, text: str) -> None:
    prefix = text.strip().lower()
    matching = [i for i in IDS if i.startswith(prefix)]
    try:
        found = resolve_id(db, text)
    except UsageError:
        assert len(prefix) < MIN_PREFIX
    except AmbiguousJobIdError as exc:
        assert len(matching) > 1 and exc.details["candidates"] == matching
    except JobNotFoundError:
        assert len(prefix) >= MIN_PREFIX and not matching
    else:
        assert len(prefix) >= MIN_PREFIX and matching == [found]
