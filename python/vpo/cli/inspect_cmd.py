"""`vpo inspect`."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from vpo.cli.context import settings_for
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_text, tracks_table


def inspect(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The media file to probe.")],
    prober: Annotated[Optional[str], typer.Option("--prober", help="pyav (default) or ffprobe.")] = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Show the tracks of one file, probed now (the catalogue is not touched)."""
    from vpo.media.inspect import inspect_file
    from vpo.media.probe import BACKENDS, prober_for

    if prober is not None and prober not in BACKENDS:
        raise typer.BadParameter(f"{prober!r}; choose from {', '.join(BACKENDS)}", param_hint="--prober")
    settings = settings_for(ctx, profile=profile, **{"scan.prober": prober})
    config = prober_for(settings)
    report = inspect_file(os.fsencode(file), config)
    if json_out:
        print_json(report)
        return 0
    print_text(f"{report['path']}")
    print_text(
        f"  container: {report['container']}, duration: {report['duration_seconds'] or '?'}s, "
        f"size: {report['size_bytes']:,} bytes"
    )
    print_text(tracks_table(report["tracks"]))
    return 0
