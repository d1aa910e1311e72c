"""The one renderer: JSON documents, tables and error lines. stdout holds results only."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from vpo.escape import escape, escape_lines
from vpo.redact import scrub, scrub_tree


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout. Non-UTF-8 names arrive as surrogate-escaped str
    and leave as `\\udcXX` escapes (ensure_ascii), which `os.fsencode` reverses."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=True) + "\n")


# `-q`: the human summary of a command that does work is not printed (its exit code and
# `--json` are unchanged); what a query command prints is its result and always appears.
QUIET = False


def print_text(text: str = "") -> None:
    """A line (or lines) for a person. Each value from outside in it went through `safe`
    already; this is the last guard: no control character but the newline gets through."""
    sys.stdout.write(escape_lines(text) + "\n")


def print_summary(text: str = "") -> None:
    """A line of a command's human summary: nothing with `-q`."""
    if not QUIET:
        print_text(text)


def print_counts(rows: Sequence[tuple[str, int, str]]) -> None:
    """A summary's counts, `(label, number, unit)` a line: labels padded to one column,
    numbers right-aligned in the next, the unit (if any) after its number."""
    width = max(len(label) for label, _, _ in rows) + 2
    number = max(len(f"{n:,}") for _, n, _ in rows)
    for label, n, unit in rows:
        print_summary(f"  {label.ljust(width)}{f'{n:,}'.rjust(number)}{' ' + unit if unit else ''}")


def print_problems(problems: Sequence[dict[str, Any]], job_id: str, shown: int = 20) -> None:
    """A summary's files that failed, `! PATH: why`, the first `shown` of them; the rest
    are counted and left to `vpo jobs show`."""
    for problem in problems[:shown]:
        print_summary(f"  ! {safe(problem['path'])}: {safe(problem['error'])}")
    if len(problems) > shown:
        print_summary(f"  ! ... and {len(problems) - shown} more (vpo jobs show {job_id[:8]})")


def safe(value: object) -> str:
    """A value from outside (a path, a title, a tag, a tool's or an error's message) as it
    goes into a line for a terminal: control characters shown as `\\x1b`, `\\n`, `\\t`...,
    the bytes of a non-UTF-8 name as `\\xNN` (vpo/escape.py says exactly how), so it can
    neither drive the terminal nor start a line of its own. Every line that shows such a
    value passes it through here; --json and --csv keep the exact value."""
    return escape(value if isinstance(value, str) else str(value))


def print_error(code: str, message: str, details: dict[str, Any], *, json_mode: bool) -> None:
    message, details = scrub(message), scrub_tree(details)  # never a password (vpo/redact.py)
    if json_mode:
        print_json({"error": True, "code": code, "message": message, "details": details})
    else:
        sys.stderr.write(f"Error: {safe(message)}\n")


def width(text: str) -> int:
    """Terminal cells `text` takes: a wide (CJK) character two, a combining mark or a
    zero-width character none, as wcwidth(3) counts them. unicodedata, not rich.cells:
    this runs for every table, and importing rich costs more than most commands."""
    if text.isascii():
        return len(text)
    import unicodedata

    cells = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        cells += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return cells


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> str:
    """Columns aligned by terminal cells (wide characters count twice), two spaces apart.
    Every cell is escaped (`safe`) before it is measured."""
    cells = [[escape(str(c)) for c in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - width(v))
            parts.append(pad + v if i in right else v + pad)
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in cells])


def tracks_table(tracks: Sequence[dict[str, Any]]) -> str:
    """A file's tracks (`Track.to_dict()` rows), as `vpo inspect` and `vpo jobs show` print them."""
    rows = [
        (
            str(t["index"]),
            t["type"],
            t.get("codec") or "-",
            t.get("language") or "und",
            t.get("title") or "",
            "yes" if t.get("default") else "",
            "yes" if t.get("forced") else "",
            str(t.get("channels") or "")
            if t["type"] == "audio"
            else (f"{t['width']}x{t['height']}" if t.get("width") else ""),
        )
        for t in tracks
    ]
    return table(["#", "TYPE", "CODEC", "LANG", "TITLE", "DEFAULT", "FORCED", "CH/SIZE"], rows)


def indent(text: str, by: int) -> str:
    return "\n".join(" " * by + line if line else line for line in text.splitlines())


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
