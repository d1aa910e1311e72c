"""`vpo report --html FILE`: one self-contained page, charts as inline SVG (reports/charts.py),
each with the table of its numbers: the same rows as the text and JSON report. No script,
no stylesheet, font or image from anywhere else: the page shows the same offline."""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vpo.errors import UsageError
from vpo.escape import escape
from vpo.media.siblings import temp_sibling
from vpo.reports import charts
from vpo.reports.summary import BY_NAME, Report
from vpo.reports.units import human_size

NONE = "(none)"
TOP = 15  # bars per language chart; the table below it lists every language
FOLD_ABOVE = 20  # broken and missing files listed open up to this many
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.1em;margin:0 0 8px}
.meta{color:#5a6570;margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:18px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:1.35em}.card span{color:#5a6570;font-size:.9em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:0 16px;align-items:start}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:14px 16px;margin-bottom:16px;overflow-x:auto}
svg.chart{width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.88em;margin-top:6px}
th,td{text-align:left;padding:3px 10px 3px 0;border-bottom:1px solid #eef0f2;vertical-align:top}
td.n,th.n{text-align:right}td.path{word-break:break-all}
details summary{cursor:pointer;color:#2b5d8c;margin-top:6px}
"""


def write_html(report: Report, dest: Path, *, mode: int = 0o600) -> Path:
    """Write the page to `dest` with permissions `mode` (whatever the umask), atomically: a
    private temporary file beside it (media/siblings.py's naming, which fits beside any
    name), given its mode, then renamed into place."""
    dest = Path(os.path.abspath(dest))
    page = render(report).encode("utf-8")
    tmp = temp_sibling(os.fsencode(dest))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {dest}: {exc.strerror or exc}", details={"path": str(dest)}) from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(page)
            os.fchmod(out.fileno(), mode)
        os.replace(tmp, dest)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(
                f"cannot write {dest}: {exc.strerror or exc}", details={"path": str(dest)}
            ) from None
        raise
    return dest


def render(report: Report) -> str:
    scope = ", ".join(os.fsdecode(r) for r in report.roots) or "the whole catalogue"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>VPO library report</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>VPO library report</h1>",
        f'<p class="meta">{_e(scope)} · generated {_e(report.generated_at)}</p>',
        _cards(report),
        '<div class="grid">',
    ]
    for n, name in enumerate(("containers", "video_codecs", "resolutions", "hdr")):
        parts.append(_group_section(report, name, n))
    parts.append(_audio_section(report))
    for n, name in enumerate(("audio_languages", "subtitle_languages"), start=5):
        parts.append(_language_section(report, name, n))
    parts.append(_weeks_section(report))
    parts.append("</div>")
    for name in ("transcodes", "largest", "broken", "missing"):
        parts.append(_table_section(report, name))
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def _e(value: Any) -> str:
    """Text for the page: control characters and non-UTF-8 bytes shown as on a terminal
    (`\\x1b`, `\\n`, `\\xff`: vpo/escape.py), then `<`, `>`, `&` and quotes as entities, so
    a name is only ever text, in an element or an attribute."""
    return html.escape(escape(str(value)))


def _size(n: int | None) -> str:
    return human_size(n)


def _cards(report: Report) -> str:
    totals = {r["status"]: r for r in report.rows("totals")}
    saved = report.rows("transcodes")[0]
    cards = [
        (f"{totals['ok']['files']:,}", "readable files"),
        (_size(totals["ok"]["bytes"]), "in readable files"),
        (f"{totals['error']['files']:,}", "broken files"),
        (f"{totals['missing']['files']:,}", "missing files"),
        (_size(saved["bytes_saved"]), f"saved by {saved['files']:,} transcode(s)"),
    ]
    body = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(label)}</span></div>' for v, label in cards)
    return f'<div class="cards">{body}</div>'


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{_e(c)}</th>" for i, c in enumerate(columns))
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cls = ' class="n"' if i in numeric else (' class="path"' if columns[i] == "path" else "")
            cells.append(f"<td{cls}>{_e(NONE if value is None else value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _chart_section(title: str, chart: str, table: str) -> str:
    return (
        f'<section><h2>{_e(title)}</h2><figure role="img" aria-label="{_e(title)}" style="margin:0">'
        f"{chart}</figure><details><summary>Numbers</summary>{table}</details></section>"
    )


def _empty(title: str) -> str:
    return f"<section><h2>{_e(title)}</h2><p>None.</p></section>"


def _group_section(report: Report, name: str, n: int) -> str:
    section = BY_NAME[name]
    rows = report.rows(name)
    if not rows:
        return _empty(section.title)
    key = section.columns[0]
    labels = [str(r[key]) if r[key] is not None else NONE for r in rows]
    chart = charts.bar_chart(labels, [r["files"] for r in rows], [r["bytes"] for r in rows], prefix=f"c{n}")
    table = _table(
        [key, "files", "size", "bytes"],
        [(label, f"{r['files']:,}", _size(r["bytes"]), f"{r['bytes']:,}") for label, r in zip(labels, rows)],
        numeric=(1, 2, 3),
    )
    return _chart_section(section.title, chart, table)


def _audio_section(report: Report) -> str:
    title = BY_NAME["audio"].title
    rows = report.rows("audio")
    if not rows:
        return _empty(title)
    labels = [f"{r['codec'] or NONE} {r['layout'] or ''}".strip() for r in rows]
    chart = charts.bar_chart(
        labels[:TOP], [r["files"] for r in rows[:TOP]], [r["bytes"] for r in rows[:TOP]], prefix="c4"
    )
    table = _table(
        ["codec", "channels", "files", "tracks", "size"],
        [(r["codec"], r["layout"], f"{r['files']:,}", f"{r['tracks']:,}", _size(r["bytes"])) for r in rows],
        numeric=(2, 3, 4),
    )
    return _chart_section(title, chart, table)


def _language_section(report: Report, name: str, n: int) -> str:
    title = BY_NAME[name].title
    rows = report.rows(name)
    if not rows:
        return _empty(title)
    if len(rows) > TOP:
        title = f"{title} (top {TOP} charted)"
    top = rows[:TOP]
    chart = charts.bar_chart(
        [r["language"] for r in top],
        [r["files"] for r in top],
        [r["bytes"] for r in top],
        prefix=f"c{n}",
    )
    table = _table(
        ["language", "files", "tracks", "size"],
        [(r["language"], f"{r['files']:,}", f"{r['tracks']:,}", _size(r["bytes"])) for r in rows],
        numeric=(1, 2, 3),
    )
    return _chart_section(title, chart, table)


def _weeks_section(report: Report) -> str:
    title = BY_NAME["jobs_per_week"].title
    rows = report.rows("jobs_per_week")
    if not rows:
        return _empty(title)
    weeks = sorted({r["week"] for r in rows})
    types = sorted({r["type"] for r in rows})
    counts = {(r["week"], r["type"]): r["jobs"] for r in rows}
    series = {t: [counts.get((w, t), 0) for w in weeks] for t in types}
    chart = charts.stacked_weeks(weeks, series, prefix="c7")
    table = _table(
        ["week of", *types, "total"],
        [(w, *(series[t][i] for t in types), sum(series[t][i] for t in types)) for i, w in enumerate(weeks)],
        numeric=tuple(range(1, len(types) + 2)),
    )
    return _chart_section(title, chart, table)


def _table_section(report: Report, name: str) -> str:
    section = BY_NAME[name]
    rows = report.rows(name)
    if name == "transcodes":
        r = rows[0]
        text = (
            f"{r['files']:,} file(s): {_size(r['bytes_before'])} before, {_size(r['bytes_after'])} after, "
            f"{_size(r['bytes_saved'])} saved."
            if r["files"]
            else "No transcoded files in the job history."
        )
        return f"<section><h2>{_e(section.title)}</h2><p>{_e(text)}</p></section>"
    if not rows:
        return _empty(section.title)
    columns = [c for c in section.columns if c not in ("width", "height")]
    values = [[_size(r[c]) if c == "size_bytes" else r[c] for c in columns] for r in rows]
    numeric = tuple(i for i, c in enumerate(columns) if c == "size_bytes")
    headers = ["size" if c == "size_bytes" else c.replace("_", " ") for c in columns]
    table = _table(headers, values, numeric)
    if name in ("broken", "missing"):  # a long list stays folded: the count says enough
        shown = "open" if len(rows) <= FOLD_ABOVE else ""
        table = f"<details {shown}><summary>{len(rows):,} file(s)</summary>{table}</details>"
    return f"<section><h2>{_e(section.title)} ({len(rows):,})</h2>{table}</section>"
