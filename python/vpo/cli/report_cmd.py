"""`vpo report [PATH...]`: the library at a glance as text, JSON, CSV or an HTML page."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vpo.cli.context import open_library, resolve_settings
from vpo.cli.library_paths import paths_or_roots
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.errors import UsageError
from vpo.reports.summary import SECTION_NAMES

PRIVATE_MODE = 0o600  # the --html page lists every file of the library: the owner's alone by default

TEXT_LIST_LIMIT = 20  # broken and missing files listed in text (JSON and CSV list them all)


def report(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="[PATH]...",
            help="Only files at or under these paths (default: the --profile's roots, else the whole "
            "catalogue).",
        ),
    ] = None,
    section: Annotated[
        Optional[list[str]],
        typer.Option(
            "--section", metavar="NAME", help=f"Only this section (repeatable): {', '.join(SECTION_NAMES)}."
        ),
    ] = None,
    json_out: JsonOpt = False,
    csv_out: Annotated[
        bool, typer.Option("--csv", help="Print CSV: one table per section, each after a '# NAME' line.")
    ] = False,
    html: Annotated[
        Optional[Path],
        typer.Option(
            "--html", metavar="FILE", help="Also write one self-contained HTML page with the charts to FILE."
        ),
    ] = None,
    mode: Annotated[
        Optional[str],
        typer.Option(
            "--mode",
            metavar="OCTAL",
            help="Permissions of the --html file, in octal (default 600: only you can read it; "
            "644 lets everyone on this host read it).",
        ),
    ] = None,
    profile: ProfileOpt = None,
) -> int:
    """Show the library at a glance: files and bytes by container, video codec, resolution,
    HDR, audio and languages; broken, missing and largest files; bytes saved by transcodes;
    jobs per week. --html FILE also writes the same as one page of charts."""
    from vpo.reports.query import check_choices
    from vpo.reports.summary import build_report

    if json_out and csv_out:
        raise UsageError("--json and --csv cannot be combined")
    if mode is not None and html is None:
        raise UsageError("--mode is the --html file's: give --html FILE too")
    file_mode = octal_mode(mode) if mode is not None else PRIVATE_MODE
    names = check_choices(section, SECTION_NAMES, "--section") if section else list(SECTION_NAMES)
    names = [n for n in SECTION_NAMES if n in names]
    effective = resolve_settings(ctx, profile=profile)
    db = open_library(effective.settings)
    try:
        result = build_report(db, [os.fsencode(p) for p in paths_or_roots(paths, effective, required=False)])
    finally:
        db.close()
    written = None
    if html is not None:
        from vpo.reports.html import write_html

        written = write_html(result, html, mode=file_mode)
    if json_out:
        from vpo.cli.views import print_json_rows

        doc = result.to_dict(names)
        if written is not None:
            doc["html"] = str(written)
        print_json_rows(doc)
    elif csv_out:
        _print_csv(result, names)
    else:
        _print_text(result, names)
        if written is not None:
            from vpo.cli.render import print_text, safe

            print_text(f"HTML report written to {safe(written)}")
    return 0


def octal_mode(text: str) -> int:
    """A file mode given as octal digits (`644`, `0640`); UsageError for anything else."""
    if not re.fullmatch(r"0?[0-7]{3}", text):
        raise UsageError(f"--mode {text!r}: not a file mode (three octal digits, like 600 or 644)")
    return int(text, 8)


def _print_csv(result: Any, names: list[str]) -> None:
    from vpo.cli.views import csv_text, write_raw
    from vpo.reports.summary import BY_NAME

    parts = []
    for name in names:
        columns = BY_NAME[name].columns
        body = csv_text(columns, ([row[c] for c in columns] for row in result.rows(name)))
        parts.append(body if len(names) == 1 else f"# {name}\r\n{body}")
    write_raw("\r\n".join(parts))


def _print_text(result: Any, names: list[str]) -> None:
    from vpo.cli.render import print_text, safe
    from vpo.cli.report_text import section_text

    scope = ", ".join(safe(os.fsdecode(r)) for r in result.roots) or "the whole catalogue"
    print_text(f"Library report for {scope}")
    for name in names:
        print_text()
        print_text(section_text(result, name, limit=TEXT_LIST_LIMIT))
