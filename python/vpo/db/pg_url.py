"""What is wrong with a `database.url`, said before any work starts (never by a traceback
from deep inside a command, never with its password: see vpo/redact.py)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from vpo.db.postgres import is_url

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a PostgreSQL URL, in words that quote none of it; None if it
    can. libpq has the last word on what it accepts; these are the mistakes it would
    answer with a message quoting the password, or Python with a traceback."""
    if not is_url(url):
        return "must be a postgresql:// URL (leave it unset for the SQLite file under VPO_HOME)"
    if _SPACE_OR_CONTROL.search(url):
        return "must not hold spaces or control characters (write a space as %20)"
    if _BAD_PERCENT.search(url):
        return "has a % that is not followed by two hex digits (write a % as %25)"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        if "IPv6" in str(exc):
            return "has an IPv6 address without its closing ] (postgresql://user@[::1]:5432/db)"
        return "is not a valid URL"
    try:
        port = parts.port
    except ValueError:
        return "has a port that is not a number from 1 to 65535 (a password goes between `user:` and `@host`)"
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    return None
