"""`--since` values: `90m`, `2h`, `1d`, `1w` back from now, or an ISO-8601 date/time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from vpo.errors import UsageError
from vpo.timeutil import utcnow

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
ACCEPTED = "a duration like 30m, 2h, 1d, 1w, or an ISO-8601 date/time like 2026-11-23 or 2026-11-23T08:00Z"
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
LATEST = datetime.max.replace(tzinfo=timezone.utc)


def parse_since(text: str, *, now: datetime | None = None) -> str:
    """The UTC ISO cutoff for `text`. A date or time without an offset is local time.

    A moment off the calendar in UTC (year 1 east of Greenwich, 9999 west of it) is
    clamped to its first or last moment: everything, or nothing.
    """
    now = now or utcnow()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        try:
            return _iso(now - timedelta(**{_UNITS[unit]: amount}))
        except OverflowError:  # further back than the calendar goes: everything
            return _iso(EARLIEST)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"invalid --since {text!r}: expected {ACCEPTED}") from None
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()  # a person's local time
        moment = moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # year 1 or 9999 falls off the calendar in UTC
        moment = EARLIEST if moment.year == 1 else LATEST
    return _iso(moment)


def _iso(moment: datetime) -> str:
    """Like timeutil.to_iso, with the year always 4 digits (strftime drops the zeros of year
    999 on glibc, and `999-...` sorts after `2026-...` as text)."""
    m = moment.astimezone(timezone.utc)
    return f"{m.year:04d}-{m:%m-%dT%H:%M:%S.%f}Z"
