"""`vpo scan`."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from vpo.cli.context import open_library, resolve_settings
from vpo.cli.library_paths import paths_or_roots
from vpo.cli.live_run import run_live
from vpo.cli.notifying import from_scan, notifying
from vpo.cli.options import JsonOpt, ProfileOpt, optional_paths_argument
from vpo.cli.progress import scan_display
from vpo.cli.render import print_counts, print_problems, print_summary, safe

if TYPE_CHECKING:
    from vpo.config.settings import Settings
    from vpo.scan.models import ScanOptions, ScanReport


def scan(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],
        optional_paths_argument("Directories (or files) to catalogue (default: the --profile's roots)."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Probe every file, changed or not.")] = False,
    prune: Annotated[
        Optional[bool],
        typer.Option("--prune/--no-prune", help="Delete records of missing files instead of marking them."),
    ] = None,
    verify_hash: Annotated[
        bool, typer.Option("--verify-hash", help="Hash every file's full content to catch silent changes.")
    ] = False,
    extensions: Annotated[
        Optional[list[str]],
        typer.Option("--extensions", "-e", help="File extensions to catalogue (repeat, or comma-separate)."),
    ] = None,
    workers: Annotated[
        Optional[int], typer.Option("--workers", "-w", min=1, help="Probe processes (default: CPU cores).")
    ] = None,
    follow_symlinks: Annotated[
        Optional[bool],
        typer.Option("--follow-symlinks/--no-follow-symlinks", help="Follow symbolic links while walking."),
    ] = None,
    prober: Annotated[
        Optional[str],
        typer.Option("--prober", help="Metadata reader: pyav (in-process, default) or ffprobe."),
    ] = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Catalogue the video files under PATH; only new or changed files are probed."""
    from vpo.media.probe import BACKENDS, prober_for
    from vpo.scan.models import ScanOptions

    if prober is not None and prober not in BACKENDS:
        raise typer.BadParameter(f"{prober!r}; choose from {', '.join(BACKENDS)}", param_hint="--prober")
    effective = resolve_settings(
        ctx,
        profile=profile,
        flags={
            "scan.extensions": _split(extensions) if extensions else None,
            "scan.prune": prune,
            "scan.workers": workers,
            "scan.follow_symlinks": follow_symlinks,
            "scan.prober": prober,
        },
    )
    settings = effective.settings
    cfg = settings.scan
    options = ScanOptions(
        roots=tuple(os.fsencode(p) for p in paths_or_roots(paths, effective, required=True)),
        full=full,
        prune=cfg.prune,
        verify_hash=verify_hash,
        follow_symlinks=cfg.follow_symlinks,
        extensions=cfg.extensions,
        workers=settings.workers(),
        prober=prober_for(settings, scanning=True),
    )
    with notifying(settings, "scan") as notice:  # from the catalogue's opening on
        report = _scan(settings, options, json_out)
        notice.run = from_scan(report)
    return 1 if report.counts.errors else 0


def _scan(settings: Settings, options: ScanOptions, json_out: bool) -> ScanReport:
    """Open the catalogue, scan, print the report."""
    from vpo.scan.roots import check_file_roots, normalize_roots
    from vpo.scan.service import scan as run_scan

    db = open_library(settings, creates_jobs=True)
    roots = normalize_roots(list(options.roots), must_exist=False)
    check_file_roots(roots, options.extensions)  # before the header: it fails at once
    if not json_out and all(os.path.exists(r) for r in roots):  # else the scan fails at once
        for root in roots:
            print_summary(f"Scanning {safe(os.fsdecode(root))} ...")
        sys.stdout.flush()  # before the work, not after it
    return run_live(db, run_scan, options, scan_display, json_out=json_out, summary=_print_summary)


def _split(values: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip().lstrip(".").lower() for v in value.split(",") if v.strip())
    return tuple(out)


def _print_summary(report: ScanReport) -> None:
    c = report.counts
    rows = [
        ("Discovered:", c.discovered, "files"),
        ("Skipped (unchanged):", c.skipped, ""),
        ("Scanned (changed):", c.scanned, ""),
        ("Added (new):", c.added, ""),
        ("Moved:", c.moved, ""),
        ("Removed (missing):", c.removed, ""),
        ("Errors:", c.errors, ""),
    ]
    if c.restored:
        rows.insert(5, ("Restored (reappeared):", c.restored, ""))
    if c.known_broken:
        rows.append(("Known broken (unchanged):", c.known_broken, ""))
    if c.pruned:
        rows.append(("Pruned (records deleted):", c.pruned, ""))
    print_counts(rows)
    print_problems(report.errors, report.job_id)
    print_summary(f"Scan complete in {report.duration_seconds:.1f}s (job {report.job_id[:8]})")
