"""The one renderer: JSON documents, tables and error lines. stdout holds results only."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout. Non-UTF-8 names arrive as surrogate-escaped str
    and leave as `\\udcXX` escapes (ensure_ascii), which `os.fsencode` reverses."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=True) + "\n")


def print_text(text: str = "") -> None:
    sys.stdout.write(safe(text) + "\n")


def safe(text: str) -> str:
    """Text for a terminal: lone surrogates (non-UTF-8 names) shown as \\xNN, not a crash."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def print_error(code: str, message: str, details: dict[str, Any], *, json_mode: bool) -> None:
    if json_mode:
        print_json({"error": True, "code": code, "message": message, "details": details})
    else:
        sys.stderr.write(f"Error: {safe(message)}\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> str:
    widths = [len(h) for h in headers]
    cells = [[safe(str(c)) for c in row] for row in rows]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(values)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in cells])


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


def human_bytes(n: int) -> str:
    """`0 B`, `812 KiB`, `3.4 GiB`: sizes for people (the JSON has the exact count)."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
