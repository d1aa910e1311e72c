"""Reading SQL text: which parts are code, and which are string literals ('a;b'), quoted
identifiers ("a;b") and comments (`--` to the line's end, `/* */`). Migration scripts are
split into statements on the code's `;` (db/migrations.py); PostgreSQL's placeholders are
the code's `?` (db/postgres.py). Nothing here changes what a statement says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple


class Part(NamedTuple):
    text: str
    code: bool  # False: a literal, a quoted identifier or a comment, taken as it is


def parts(sql: str) -> Iterator[Part]:
    """`sql` cut into code and the rest; joined again they are `sql`."""
    start = i = 0
    n = len(sql)
    while i < n:
        end = _end_of_quoted(sql, i)
        if end is None:
            i += 1
            continue
        if start < i:
            yield Part(sql[start:i], True)
        yield Part(sql[i:end], False)
        start = i = end
    if start < n:
        yield Part(sql[start:], True)


def _end_of_quoted(sql: str, i: int) -> int | None:
    """Where the literal, quoted identifier or comment opened at `i` ends (just past it);
    None if nothing opens there."""
    ch = sql[i]
    if ch in "'\"":
        return _closing_quote(sql, i)
    if sql.startswith("--", i):
        newline = sql.find("\n", i)
        return len(sql) if newline < 0 else newline
    if sql.startswith("/*", i):
        close = sql.find("*/", i + 2)
        return len(sql) if close < 0 else close + 2
    return None


def _closing_quote(sql: str, start: int) -> int:
    """The index just past the literal opened at `start`; a doubled quote ('it''s') is part of it."""
    quote = sql[start]
    i = start + 1
    while True:
        end = sql.find(quote, i)
        if end < 0:
            return len(sql)
        if sql.startswith(quote * 2, end):
            i = end + 2
            continue
        return end + 1
