"""`--since` values: `90m`, `2h`, `1d`, `1w` back from now, or an ISO-8601 date/time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from vpo.errors import UsageError
from vpo.timeutil import to_iso, utcnow

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
ACCEPTED = "a duration like 30m, 2h, 1d, 1w, or an ISO-8601 date/time like 2026-11-23 or 2026-11-23T08:00Z"


def parse_since(text: str, *, now: datetime | None = None) -> str:
    """The UTC ISO cutoff for `text`. A date or time without an offset is local time."""
    now = now or utcnow()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        try:
            return to_iso(now - timedelta(**{_UNITS[unit]: amount}))
        except OverflowError:
            raise UsageError(f"--since {text!r} is too far back") from None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"invalid --since {text!r}: expected {ACCEPTED}") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a person's local time
    return to_iso(moment.astimezone(timezone.utc))
