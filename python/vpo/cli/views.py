"""Rendering of the catalogue views (`vpo files`, `vpo report`): sizes for people, CSV
on stdout, paths elided to fit a terminal."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from vpo.reports.units import human_size

__all__ = ["count", "csv_text", "elide", "human_size", "print_json_rows", "terminal_width", "write_raw"]


def count(n: int) -> str:
    return f"{n:,}"


def elide(text: str, width: int) -> str:
    """`text` cut in the middle with `…` to at most `width` characters."""
    if len(text) <= width or width < 5:
        return text
    keep = width - 1
    return text[: keep // 3] + "…" + text[len(text) - (keep - keep // 3) :]


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 CSV (\\r\\n line ends); None as an empty field, lists joined with spaces.
    Every value is exact, except a text cell a spreadsheet would read as a formula (see
    `_neutral`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


# What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return _neutral(" ".join(str(v) for v in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _neutral(value)
    return value  # a number stays a number, a negative one too


def _neutral(text: str) -> str:
    """A text cell that starts like a formula (`=HYPERLINK(...)`, `-2+3`, `@SUM(...)`, a tab
    or a carriage return) gets a `'` in front, so a spreadsheet takes it as text and runs
    nothing; any other text is exact. Numbers are never text here, so `-1` stays `-1`."""
    return "'" + text if text.startswith(FORMULA_START) else text


def write_raw(text: str) -> None:
    """Text for programs (CSV): non-UTF-8 names leave as the raw bytes they are on disk."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def print_json_rows(document: dict[str, Any] | list[Any]) -> None:
    """One JSON document, as `print_json` writes it (`\\udcXX` escapes for non-UTF-8 names),
    laid out one row per line: a listing or report of thousands of files then takes the C
    encoder (json's pretty-printer is pure Python: half a second for 3,000 files)."""
    sys.stdout.write(_rows_json(document, "") + "\n")


def _rows_json(value: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(inner + _dumps(v) for v in value) + f"\n{indent}]"
    if isinstance(value, dict) and value and not indent:
        items = (f"{inner}{_dumps(k)}: {_rows_json(v, inner)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + "\n}"
    return _dumps(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)
