"""Plans people can read: per file, its tracks before and after (removed ones marked),
every action with its reason, and the totals of a run."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from json.encoder import encode_basestring_ascii as _text  # json's C string encoder
from typing import Any, TextIO

from vpo.apply.outcome import ApplyReport, FileOutcome
from vpo.cli import render
from vpo.cli.render import safe, table
from vpo.policy.plan import shown_index
from vpo.reports.units import human_size


class JsonLines:
    """The apply document, one line per file, written as the outcomes come (an
    ApplyReport's sink): the same JSON as print_json of `report.to_dict()`, keys in the
    same order. The lines wait in a temporary file, not in memory, until the counts that
    come before them are known (a dry run of 1,000,000 files writes 600 MB). Built for
    large runs: each file's own values go through json's C encoder, and the actions and
    schema 2 keys that the files sharing a plan share are encoded once (an indented
    document is encoded in Python, 5 s of a dry run of 100,000). Non-UTF-8 names leave
    as `\\udcXX` escapes."""

    LINES = 1000  # written to the spool together (one write per line: 3 % of a dry run)

    def __init__(self, spool: TextIO) -> None:
        self.spool = spool
        self.shared = _Encoded()
        self.separator = "    "
        self.lines: list[str] = []

    def __call__(self, f: FileOutcome) -> None:
        self.lines.append(self.separator + file_json(f, self.shared))
        self.separator = ",\n    "
        if len(self.lines) >= self.LINES:
            self._write()

    def _write(self) -> None:
        self.spool.write("".join(self.lines))
        self.lines.clear()

    def print(self, report: ApplyReport) -> None:
        self._write()
        head = json.dumps(report.to_dict(files=False), indent=2, ensure_ascii=True)
        sys.stdout.write(head[:-2] + ',\n  "files": [\n')
        self.spool.seek(0)
        shutil.copyfileobj(self.spool, sys.stdout, 1 << 20)
        sys.stdout.write(("\n" if self.separator != "    " else "") + "  ]\n}\n")


@contextmanager
def json_lines() -> Iterator[JsonLines]:
    """A JsonLines over a temporary file, removed at the end."""
    with tempfile.TemporaryFile("w+", encoding="ascii") as spool:
        yield JsonLines(spool)


class _Encoded:
    """JSON of values shared by many files (the same list or dict object), encoded once;
    forgotten past LIMIT values, as the planner's memo forgets its layouts."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.done: dict[int, tuple[object, str]] = {}

    def __call__(self, value: list[Any] | dict[str, Any]) -> str:
        found = self.done.get(id(value))
        if found is None or found[0] is not value:
            if len(self.done) >= self.LIMIT:
                self.done.clear()
            found = self.done[id(value)] = (value, json.dumps(value))
        return found[1]


def file_json(f: FileOutcome, shared: _Encoded) -> str:
    """`json.dumps(f.to_dict())`, from pieces (see JsonLines)."""
    extra = ", " + shared(f.extra)[1:-1] if f.extra else ""
    actions = shared(f.actions) if f.actions else "[]"
    return (
        f'{{"path": {_text(f.path)}, "status": {_text(f.status)}, "actions": {actions}, '
        f'"error": {_maybe(f.error)}, "note": {_maybe(f.note)}, "kept_bytes": {int(f.kept_bytes)}{extra}}}'
    )


def _maybe(value: str | None) -> str:
    return "null" if value is None else _text(value)


def _flags(t: dict[str, Any]) -> str:
    return ",".join(n for n in ("default", "forced") if t.get(n)) or "-"


def plan_table(before: list[dict[str, Any]], after: list[dict[str, Any]], order: list[int] | None) -> str:
    """One row per track as it is now; the AFTER columns say where it goes, or REMOVED; a
    track the plan adds (in `order`, not in `before`) has a row marked ADDED."""
    position = {index: pos for pos, index in enumerate(order)} if order is not None else {}
    rows = []
    known = {t["index"] for t in before}
    added = [{"index": i, "type": "ADDED", "language": ""} for i in (order or ()) if i not in known]
    for t in [*before, *added]:
        pos = position.get(t["index"]) if order is not None else t["index"]
        if pos is None or pos >= len(after):
            planned = ["REMOVED", "", "", "", ""]
        else:
            a = after[pos]
            planned = [str(pos), a.get("codec") or "-", a["language"], a.get("title") or "", _flags(a)]
        rows.append(
            [
                shown_index(t["index"]),
                t["type"],
                t.get("codec") or "-",
                t["language"],
                t.get("title") or "",
                _flags(t),
                "->",
                *planned,
            ]
        )
    headers = ["#", "TYPE", "CODEC", "LANG", "TITLE", "FLAGS", "", "NEW#", "CODEC", "LANG", "TITLE", "FLAGS"]
    return table(headers, rows)


def print_file(f: FileOutcome, *, dry_run: bool) -> None:
    """One file's outcome: as a report's file, or as it comes (an ApplyReport's sink)."""
    # a dry run's plan is what was asked for; a real run's lines are its summary (-q: none)
    print_text = render.print_text if dry_run else render.print_summary
    print_text(f"{f.status.upper():<9} {safe(f.path)}")
    extra = f.extra
    if extra.get("original_language"):
        o = extra["original_language"]
        print_text(f"    original language: {safe(o['code'] or 'unknown')} ({safe(o['source'])})")
    if extra.get("rule"):
        print_text(f"    rule: {extra['rule']['action']}: {safe(extra['rule']['reason'])}")
    for w in extra.get("warnings", ()):
        print_text(f"    warning: {safe(w)}")
    if f.before and f.after and f.actions and f.order is not None:
        before = [t.to_dict() for t in f.before]
        after = [t.to_dict() for t in f.after]
        for line in plan_table(before, after, list(f.order)).splitlines():
            print_text(f"    {line}")
    for a in f.actions:
        print_text(f"    {_action_line(a)}")
    for n in (*extra.get("notes", ()), *([f.note] if f.note else [])):
        print_text(f"    note: {safe(n)}")
    if f.error:
        print_text(f"    error: {safe(f.error)}")


def _action_line(a: dict[str, Any]) -> str:
    """One action of a plan as a person reads it."""
    target = (
        f"track {a['track']}"
        if a["track"] is not None
        else ("file" if a["action"] == "container" else "tracks")
    )
    if a["action"] == "remove":
        return f"remove {target}: {safe(a['reason'].split(': ', 1)[-1])}"
    if a["action"] in ("add", "extract", "embed"):  # its reason says what, from where, why
        return safe(a["reason"])
    if a["action"] == "reorder":  # tracks the plan adds by their `new` names, not numbers
        was, now = (f"[{', '.join(shown_index(i) for i in a[k])}]" for k in ("from", "to"))
        return f"reorder {target}: {was} -> {now}  ({safe(a['reason'])})"
    return f"{a['action']} {target}: {safe(a['from'])} -> {safe(a['to'])}  ({safe(a['reason'])})"


def print_totals(report: ApplyReport) -> None:
    """The run's counts and totals, after its files."""
    print_text = render.print_text if report.dry_run else render.print_summary
    c = report.counts()
    totals = report.totals()
    tail = f" (job {report.job_id[:8]})" if report.job_id else " (dry run: nothing changed)"
    print_text(
        f"{c['changed']} changed, {c['planned']} planned, {c['unchanged']} unchanged, "
        f"{c['failed']} failed{tail}"
    )
    verb = "would be" if report.dry_run else "were"
    saved = totals["bytes_saved"]
    print_text(
        f"totals: {totals['files_changed']} files {verb} changed, {totals['tracks_removed']} tracks "
        f"removed" + ("" if report.dry_run else f", {human_size(saved)} saved")
    )
    if report.job_id:
        print_text(f"originals kept for undo: {human_size(report.kept_bytes())}")
