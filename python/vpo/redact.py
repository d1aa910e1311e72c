"""Secrets (database URLs' passwords, the media stack's API keys and tokens), masked as
`***` in everything VPO prints, logs or stores.

A PostgreSQL URL holds a secret in its user part (`user:password@host`) or in a query
parameter (`password=`, `sslpassword=`, in any case); a malformed one may hold it anywhere
between `://` and its last `@`, or after the `:` of a "port" when the `@host` is missing
(`postgresql://vpo:secret/db`). libpq's own error messages quote the whole URI or the bare
password. Three defences, all here, so every printer uses the same rules:

- `mask_url(url)`: the URL with each secret as `***`. Well-formed or not, it never fails
  and errs on the side of masking too much (a port after `user:`, a query with an `@`).
- `remember(url)`: the URL's secrets join the process's known secrets. Every URL VPO
  resolves from its settings or connects with passes here (cli/context.py, db/postgres.py).
- `remember_secrets(values)`: bare secrets, e.g. the API keys and tokens under
  `integrations:` (the config loader passes each here the moment it reads the file).
- `remember_secret_url(url)`, `mask_secret_url(url)`: a URL that is a secret as a whole
  (a notification URL: Apprise puts tokens in its host, path or query) is masked whole and
  in each token-like part, since a service's error may quote a part of it alone.
- `scrub(text)`: any text with every known secret, every URL-shaped part and every
  `password=value` masked: error messages (cli/render.py), log records (`SecretFilter`,
  installed on every handler by logging.configure), job records (db/jobs.py, db/queue.py).

Standard library only: logging.py, a leaf, uses it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, unquote_plus

MASK = "***"
# query parameters whose value is a secret (libpq's names; matched in any case)
SECRET_PARAMS = ("password", "sslpassword")

_QUERY_SECRET = re.compile(r"[?&](?:ssl)?password=([^&#]*)", re.I)
# In free text: a URL (up to a space or a quote), or `password=value` as a conninfo string
# or a query writes it (not inside a path: `/films/password=x.mkv` is a file name).
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>`]*?(?=[:;,.)]*(?:[\s\"'<>`]|$))", re.I)
_KEY_VALUE = re.compile(
    r"(?<![\w/.-])((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&#'\"]+?(?=[:;,.)]*(?:[\s&#'\"]|$)))",
    re.I,
)
_HINT = re.compile(r"://|password", re.I)

_known: set[str] = set()  # secrets seen in this process, in every form they may be quoted
_by_length: list[str] = []  # the same, longest first (a secret inside another one masked last)


def _authority_start(url: str) -> int:
    scheme = url.find("://")
    return scheme + 3 if scheme >= 0 else 0


def _user_part_span(url: str, start: int, at: int) -> tuple[int, int] | None:
    """The password of `user:password@`: from the first `:` after `://` to the LAST `@`
    (a password may hold an unescaped `@` or `/`; a stray `@` later only masks more)."""
    colon = url.find(":", start, at)
    return (colon + 1, at) if colon >= 0 and at > colon + 1 else None


def _port_span(url: str, start: int) -> tuple[int, int] | None:
    """No `@`: what follows the host's `:` unless it is a port number (`vpo:secret/db` is a
    password that lost its `@host`)."""
    end = len(url)
    for stop in "/?#":
        pos = url.find(stop, start)
        if pos >= 0:
            end = min(end, pos)
    authority = url[start:end]
    if authority.startswith("["):  # an IPv6 address: its own colons are no secret
        close = authority.find("]")
        if close < 0:
            return None
        colon = authority.find(":", close)
    else:
        colon = authority.find(":")
    if colon < 0 or authority[colon + 1 :].isdigit() or colon + 1 == len(authority):
        return None
    return (start + colon + 1, end)


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where in `url` its secrets are, sorted, overlapping spans merged."""
    start = _authority_start(url)
    at = url.rfind("@", start)
    spans = [_user_part_span(url, start, at) if at >= 0 else _port_span(url, start)]
    spans += [m.span(1) for m in _QUERY_SECRET.finditer(url, start) if m.end(1) > m.start(1)]
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(s for s in spans if s is not None):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def url_secrets(url: str) -> list[str]:
    """The secrets `url` holds, as written in it (an empty password is none)."""
    return [url[begin:end] for begin, end in _secret_spans(url)]


def has_password(url: str) -> bool:
    return bool(url_secrets(url))


def mask_url(url: str) -> str:
    """`url` with every secret as `***`; the rest exactly as written."""
    out, pos = [], 0
    for begin, end in _secret_spans(url):
        out += [url[pos:begin], MASK]
        pos = end
    out.append(url[pos:])
    return "".join(out)


def remember(url: str | None = None, *, password: str | None = None) -> None:
    """Add the secrets of `url` (and an explicit `password`, e.g. typed at a prompt) to the
    ones `scrub` masks, as written and as libpq decodes them."""
    found = url_secrets(url) if url else []
    if password:
        found.append(password)
    forms = {form for secret in found for form in (secret, unquote(secret), unquote_plus(secret)) if form}
    if forms - _known:
        _known.update(forms)
        _by_length[:] = sorted(_known, key=len, reverse=True)


def remember_secrets(values: Iterable[str]) -> None:
    """Add bare secrets (API keys, tokens) to the ones `scrub` masks."""
    for value in values:
        remember(password=value)


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*", re.I)
_URL_PARTS = re.compile(r"[/:@?&=#,;+]")
_HOST_LIKE = re.compile(r"(?:[a-z0-9-]+\.)+[a-z0-9-]+", re.I)  # a host name or an IPv4 address
TOKEN_MIN = 8  # shorter parts of a secret URL (a port, `api`, a chat id) are not masked alone


def _token_like(part: str) -> bool:
    """A part of a secret URL that is masked wherever it appears: long enough, not a host
    name, and not a plain lower-case word (`webhooks`, `notify`)."""
    if len(part) < TOKEN_MIN or _HOST_LIKE.fullmatch(part):
        return False
    return not part.replace("-", "").isalpha() or not part.islower()


def remember_secret_url(url: str) -> None:
    """`url`, whose every part may be a secret (a notification URL), joins the known
    secrets whole, with its user-part password and with each token-like part."""
    remember(url, password=url)
    _, sep, rest = url.partition("://")
    for part in _URL_PARTS.split(rest if sep else url):
        if _token_like(part):
            remember(password=part)


def mask_secret_url(url: str) -> str:
    """A secret URL as it may be shown: its scheme (which service) and `***`."""
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://{MASK}" if sep and _SCHEME.fullmatch(scheme) else MASK


def scrub(text: str) -> str:
    """`text` with every known secret, every URL's secrets and every `password=...` masked."""
    if not _by_length and not _HINT.search(text):
        return text  # the common case: nothing that could be a secret
    for secret in _by_length:
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
    return _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)


def scrub_tree(value: Any) -> Any:
    """`scrub` over every string of a JSON-like value (dicts, lists, tuples)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrub_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_tree(item) for item in value]
    return value


class SecretFilter(logging.Filter):
    """The last line of defence for logs: every record leaves with its message, its
    traceback and its extra fields scrubbed, in text and JSON alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info:
            # rendered now, so the formatters (text and JSON) print the scrubbed text
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        for key, value in list(vars(record).items()):
            if key not in ("msg", "exc_text") and isinstance(value, str):
                setattr(record, key, scrub(value))
        return True


SECRET_FILTER = SecretFilter()
