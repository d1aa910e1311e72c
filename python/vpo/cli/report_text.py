"""`vpo report` as text: one titled table per section, sized for a terminal."""

from __future__ import annotations

from typing import Any

from vpo.cli.render import safe, table
from vpo.cli.views import count, elide, human_size, terminal_width
from vpo.reports.summary import BY_NAME, Report

NONE = "(none)"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def section_text(report: Report, name: str, *, limit: int) -> str:
    title = BY_NAME[name].title
    rows = report.rows(name)
    width = terminal_width()
    lines = [title, "-" * len(title)]
    table_rows: list[tuple[str, ...]]
    if not rows and not BY_NAME[name].record:
        return "\n".join([*lines, "None."])
    if name == "totals":
        table_rows = [(r["status"], count(r["files"]), human_size(r["bytes"])) for r in rows]
        lines.append(table(["STATUS", "FILES", "SIZE"], table_rows, right=(1, 2)))
    elif name in ("containers", "video_codecs", "resolutions", "hdr"):
        key = BY_NAME[name].columns[0]
        whole = sum(r["bytes"] for r in rows)
        table_rows = [
            (r[key] or NONE, count(r["files"]), human_size(r["bytes"]), _share(r["bytes"], whole))
            for r in rows
        ]
        lines.append(
            table([key.replace("_", " ").upper(), "FILES", "SIZE", "SHARE"], table_rows, right=(1, 2, 3))
        )
    elif name == "audio":
        table_rows = [
            (
                r["codec"] or NONE,
                r["layout"] or NONE,
                count(r["files"]),
                count(r["tracks"]),
                human_size(r["bytes"]),
            )
            for r in rows
        ]
        lines.append(table(["CODEC", "CHANNELS", "FILES", "TRACKS", "SIZE"], table_rows, right=(2, 3, 4)))
    elif name in ("audio_languages", "subtitle_languages"):
        table_rows = [
            (r["language"], count(r["files"]), count(r["tracks"]), human_size(r["bytes"])) for r in rows
        ]
        lines.append(table(["LANGUAGE", "FILES", "TRACKS", "SIZE"], table_rows, right=(1, 2, 3)))
    elif name in ("broken", "missing"):
        other = "error" if name == "broken" else "missing_since"
        shown = rows[:limit]
        path_width = max(20, width - 40)
        # the reason is cut to what is left of the line (--json and --csv keep it whole);
        # both are escaped before they are cut, so the cut is measured on what is shown
        table_rows = [
            (elide(safe(r["path"]), path_width), _cut(safe(r[other] or ""), width - path_width - 2))
            for r in shown
        ]
        lines.append(table(["PATH", "ERROR" if name == "broken" else "MISSING SINCE"], table_rows))
        if len(rows) > len(shown):
            lines.append(f"... {len(rows) - len(shown):,} more (--json or --csv lists them all)")
    elif name == "largest":
        path_width = max(20, width - 36)
        table_rows = [
            (human_size(r["size_bytes"]), _video(r), elide(safe(r["path"]), path_width)) for r in rows
        ]
        lines.append(table(["SIZE", "VIDEO", "PATH"], table_rows, right=(0,)))
    elif name == "transcodes":
        r = rows[0]
        if not r["files"]:
            lines.append("No transcoded files in the job history.")
        else:
            lines.append(
                f"{count(r['files'])} file(s): {human_size(r['bytes_before'])} before, "
                f"{human_size(r['bytes_after'])} after, {human_size(r['bytes_saved'])} saved "
                f"({_share(r['bytes_saved'], r['bytes_before'])})"
            )
    elif name == "jobs_per_week":
        lines.append(_weeks(rows))
    return "\n".join(lines)


def _video(row: dict[str, Any]) -> str:
    if row["video_codec"] is None and row["height"] is None:
        return NONE
    text = f"{row['video_codec'] or '?'} {row['resolution'] or '?'}"
    return text + (f" {row['hdr']}" if row["hdr"] not in (None, "SDR") else "")


def _weeks(rows: list[dict[str, Any]]) -> str:
    """Weeks down, job types across."""
    types = sorted({r["type"] for r in rows})
    weeks: dict[str, dict[str, int]] = {}
    for r in rows:
        weeks.setdefault(r["week"], {})[r["type"]] = r["jobs"]
    table_rows = [
        (week, *(count(by_type.get(t, 0)) for t in types), count(sum(by_type.values())))
        for week, by_type in weeks.items()
    ]
    headers = ["WEEK OF", *(t.upper() for t in types), "TOTAL"]
    return table(headers, table_rows, right=tuple(range(1, len(headers))))


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"
