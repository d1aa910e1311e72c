"""`vpo files [PATH...]`: the catalogued files that match, with their main properties."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from vpo.cli.context import open_library, resolve_settings
from vpo.cli.library_paths import paths_or_roots
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.reports.query import SORT_KEYS, STATUSES

if TYPE_CHECKING:
    from vpo.reports.query import FileEntry

ListOpt = Optional[list[str]]


def files(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="[PATH]...",
            help="Only files at or under these paths (default: the --profile's roots, else the whole "
            "catalogue).",
        ),
    ] = None,
    status: Annotated[
        ListOpt,
        typer.Option(
            "--status",
            "-s",
            metavar="STATUS",
            help=f"Scan status: {', '.join(STATUSES)} (repeat for several).",
        ),
    ] = None,
    container: Annotated[
        ListOpt,
        typer.Option(
            "--container", help="Container: matroska (or mkv), mp4, mov, avi, webm... (repeatable)."
        ),
    ] = None,
    codec: Annotated[
        ListOpt,
        typer.Option(
            "--codec",
            metavar="CODEC",
            help="Video codec of the main video track: h264, hevc, av1... (repeatable).",
        ),
    ] = None,
    min_height: Annotated[
        Optional[int], typer.Option("--min-height", min=0, metavar="PIXELS", help="Video at least this tall.")
    ] = None,
    max_height: Annotated[
        Optional[int], typer.Option("--max-height", min=0, metavar="PIXELS", help="Video at most this tall.")
    ] = None,
    hdr: Annotated[
        Optional[bool],
        typer.Option("--hdr/--sdr", help="Only HDR video (PQ or HLG), or only SDR video."),
    ] = None,
    audio_lang: Annotated[
        ListOpt,
        typer.Option("--audio-lang", metavar="LANG", help="Has an audio track in LANG (eng, en, jpn...)."),
    ] = None,
    no_audio_lang: Annotated[
        ListOpt, typer.Option("--no-audio-lang", metavar="LANG", help="Has no audio track in LANG.")
    ] = None,
    sub_lang: Annotated[
        ListOpt, typer.Option("--sub-lang", metavar="LANG", help="Has a subtitle track in LANG.")
    ] = None,
    no_sub_lang: Annotated[
        ListOpt,
        typer.Option("--no-sub-lang", metavar="LANG", help="Has no subtitle track in LANG (e.g. eng)."),
    ] = None,
    min_size: Annotated[
        Optional[str], typer.Option("--min-size", metavar="SIZE", help="At least SIZE: 700M, 1.5G, bytes.")
    ] = None,
    max_size: Annotated[
        Optional[str], typer.Option("--max-size", metavar="SIZE", help="At most SIZE: 700M, 1.5G, bytes.")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", metavar="KEY", help=f"Order by {', '.join(SORT_KEYS)}.")
    ] = "path",
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Largest / last first.")] = False,
    limit: Annotated[
        Optional[int], typer.Option("--limit", "-n", min=1, metavar="N", help="At most this many files.")
    ] = None,
    json_out: JsonOpt = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV (a header, one row per file).")] = False,
    profile: ProfileOpt = None,
) -> int:
    """List the catalogued files that match, with size, container, video, languages and status.

    Every filter given must hold. An option given twice means either value (--codec h264
    --codec hevc), except languages: each one named must be there (or, with --no-*, absent).
    Languages match in 2- and 3-letter forms alike (fr = fre = fra)."""
    from vpo.errors import UsageError
    from vpo.reports.query import FilesQuery, list_files

    if json_out and csv_out:
        raise UsageError("--json and --csv cannot be combined")
    effective = resolve_settings(ctx, profile=profile)
    query = FilesQuery(
        paths=paths_or_roots(paths, effective, required=False),
        statuses=status or (),
        containers=container or (),
        codecs=codec or (),
        min_height=min_height,
        max_height=max_height,
        hdr=hdr,
        audio_langs=audio_lang or (),
        no_audio_langs=no_audio_lang or (),
        sub_langs=sub_lang or (),
        no_sub_langs=no_sub_lang or (),
        min_size=min_size,
        max_size=max_size,
        sort=sort,
        reverse=reverse,
        limit=limit,
    )
    flt = query.to_filter()  # a bad value is a usage error before the catalogue is opened
    db = open_library(effective.settings)
    try:
        entries = list_files(db, flt)
    finally:
        db.close()
    _render(entries, json_out=json_out, csv_out=csv_out)
    return 0


def _render(entries: list[FileEntry], *, json_out: bool, csv_out: bool) -> None:
    from vpo.cli.render import print_text, table
    from vpo.cli.views import csv_text, human_size, print_json_rows, write_raw
    from vpo.reports.query import COLUMNS

    if json_out:
        print_json_rows([e.to_dict() for e in entries])
        return
    if csv_out:
        write_raw(csv_text(COLUMNS, ([e.to_dict()[c] for c in COLUMNS] for e in entries)))
        return
    if not entries:
        print_text("No matching files.")
        return
    rows = []
    for e in entries:
        video = "-"
        if e.video_codec is not None or e.height is not None:
            video = f"{e.video_codec or '?'} {e.width or '?'}x{e.height or '?'}"
            if e.hdr not in (None, "SDR"):
                video += f" {e.hdr}"
        rows.append(
            (
                human_size(e.size),
                e.status,
                e.container or "-",
                video,
                ",".join(e.audio_languages) or "-",
                ",".join(e.subtitle_languages) or "-",
                os.fsdecode(e.path),
            )
        )
    print_text(table(["SIZE", "STATUS", "CONTAINER", "VIDEO", "AUDIO", "SUBS", "PATH"], rows, right=(0,)))
    total = sum(e.size for e in entries)
    print_text(f"{len(entries):,} file(s), {human_size(total)}")
