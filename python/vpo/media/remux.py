"""Executors that put a file's tracks in the planned order and flags.

- `set_flags_in_place`: mkvpropedit edits Matroska headers in place (no remux).
- `mkvmerge_remux`: Matroska with a new track order, written to `dst`.
- `mkvextract_track`: one Matroska track written to a file of its own (VobSub sidecars).
- `ffmpeg_remux`: any other container (WebM included), stream copy (`-map` every stream),
  written to `dst`.
The remuxes take the current tracks and the planned layout (`final`, `order`).

File names never reach a tool as options or in a form it could misread. ffmpeg gets
`file:`-prefixed absolute paths (a leading `-` or a `:` is not special, bytes pass through
untouched). mkvtoolnix converts its arguments from the locale's character set, which turns
a non-UTF-8 byte (or, in the C locale, any non-ASCII one) into a different name; so it
never sees a media file's name at all: the file is handed over as an inherited descriptor
(`/dev/fd/N`), and mkvmerge writes a plain ASCII `dst` name relative to its working
directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from vpo.media import mkvmerge_args
from vpo.media.models import Track
from vpo.media.regular_file import open_regular, require_regular
from vpo.media.tools import run_tool

MATROSKA = ("matroska", "webm")
# mkvtoolnix in English, whatever the user's locale: its exit status 1 means "done, with
# warnings" only when it printed "Warning:" (see run_tool). It never sees a file name, so
# the C locale's character set costs nothing.
_MKVTOOLNIX_ENV = {"LC_ALL": "C", "LANGUAGE": ""}


@contextmanager
def _descriptor(path: bytes, flags: int) -> Iterator[tuple[str, int]]:
    """(`/dev/fd/N`, N) for `path`, open for as long as the tool runs; a FIFO is refused
    (media/regular_file.py), and the tool opens the very file VPO checked."""
    fd = open_regular(path, flags)
    try:
        yield f"/dev/fd/{fd}", fd
    finally:
        os.close(fd)


def matroska_track_numbers(current: Sequence[Track]) -> dict[int, int]:
    """{stream index: 1-based Matroska track position}. libavformat lists a Matroska file's
    tracks in header order and its attachments (fonts, cover art) after all of them."""
    tracks = [t.index for t in current if t.type != "attachment"]
    return {index: pos + 1 for pos, index in enumerate(tracks)}


def set_flags_in_place(
    mkvpropedit: str,
    path: bytes,
    current: Sequence[Track],
    changes: dict[int, bool],
    *,
    hold: int | None = None,
) -> None:
    """`changes`: {current track index: default flag}. `hold`: a descriptor the tool inherits
    too (the caller's lock on the file: it lasts while the tool runs, even if VPO is killed)."""
    set_properties_in_place(
        mkvpropedit,
        path,
        current,
        {i: [("flag-default", str(int(d)))] for i, d in changes.items()},
        hold=hold,
    )


def set_properties_in_place(
    mkvpropedit: str,
    path: bytes,
    current: Sequence[Track],
    edits: dict[int, list[tuple[str, str | None]]],
    *,
    hold: int | None = None,
) -> None:
    """`edits`: {current track index: [(mkvpropedit property, value; None deletes it)]};
    `hold` as for set_flags_in_place."""
    numbers = matroska_track_numbers(current)
    with _descriptor(path, os.O_RDWR) as (name, fd):
        args: list[str | bytes] = [mkvpropedit, name]
        for index, changes in sorted(edits.items()):
            args += ["--edit", f"track:{numbers[index]}"]
            for prop, value in changes:
                args += ["--delete", prop] if value is None else ["--set", f"{prop}={value}"]
        if not all(isinstance(a, str) and a.isascii() for a in args[2:]):
            # mkvtoolnix reads arguments in the locale's charset (C here): say it is UTF-8
            args = [mkvpropedit, "--command-line-charset", "UTF-8", name] + [
                a.encode("utf-8", "surrogateescape") if isinstance(a, str) else a for a in args[2:]
            ]
        run_tool(args, warning_code=1, pass_fds=(fd,) if hold is None else (fd, hold), env=_MKVTOOLNIX_ENV)


def mkvmerge_remux(
    mkvmerge: str,
    src: bytes,
    dst: bytes,
    order: Sequence[int],
    final: Sequence[Track],
    current: Sequence[Track],
    *,
    identified: mkvmerge_args.Identified | None = None,
) -> None:
    """`dst`: an ASCII name in the directory of `src`. mkvmerge track ids are the stream
    indices of the tracks of a Matroska source (attachments numbered apart), or those
    `identified` gives for another container; tracks not in `order` are left out (see
    mkvmerge_args.build)."""
    folder, name = os.path.split(dst)
    if not name.isascii() or name.startswith((b"-", b"@")):
        raise ValueError(f"mkvmerge output name must be plain ASCII: {name!r}")
    with _descriptor(src, os.O_RDONLY) as (source, fd):
        args = mkvmerge_args.build(
            mkvmerge,
            b"./" + name,
            source,
            order=order,
            final=final,
            current=current,
            identified=identified,
        )
        run_tool(args, warning_code=1, pass_fds=(fd,), cwd=folder or b".", env=_MKVTOOLNIX_ENV)


def mkvmerge_identify(mkvmerge: str, src: bytes) -> str:
    """`mkvmerge -J` of `src` (its JSON text)."""
    with _descriptor(src, os.O_RDONLY) as (source, fd):
        return run_tool([mkvmerge, "-J", source], pass_fds=(fd,), env=_MKVTOOLNIX_ENV)


def mkvextract_track(mkvextract: str, src: bytes, dst: bytes, track_id: int) -> None:
    """Track `track_id` (its mkvmerge id) of the Matroska file `src` written to `dst`, an
    ASCII name in any folder (a VobSub track: `dst` ending in `.idx`, its bitmaps beside it
    as the same name ending in `.sub`)."""
    folder, name = os.path.split(dst)
    if not name.isascii() or name.startswith((b"-", b"@")):
        raise ValueError(f"mkvextract output name must be plain ASCII: {name!r}")
    with _descriptor(src, os.O_RDONLY) as (source, fd):
        args: list[str | bytes] = [mkvextract, source, "tracks", f"{track_id}:./".encode() + name]
        run_tool(args, warning_code=1, pass_fds=(fd,), cwd=folder or b".", env=_MKVTOOLNIX_ENV)


def ffmpeg_remux(
    ffmpeg: str,
    src: bytes,
    dst: bytes,
    order: Sequence[int],
    final: Sequence[Track],
    *,
    timeout: float | None = None,
    current: Sequence[Track] = (),
) -> None:
    """`current` given: languages and titles that the plan changes are written too."""
    require_regular(src)  # ffmpeg is given the name: never a FIFO's
    args: list[str | bytes] = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", b"file:" + os.path.abspath(src)]
    for i in order:
        args += ["-map", f"0:{i}"]
    args += ["-c", "copy", "-map_metadata", "0", "-map_chapters", "0"]
    by_index = {t.index: t for t in current}
    for pos, track in enumerate(final):
        flags = [
            f
            for f, on in (
                ("default", track.default),
                ("forced", track.forced),
                ("attached_pic", track.type == "attachment"),
            )
            if on
        ]
        args += [f"-disposition:{pos}", "+".join(flags) if flags else "0"]
        was = by_index.get(order[pos])
        if was is not None and was.language != track.language:
            args += [f"-metadata:s:{pos}", f"language={track.language}"]
        if was is not None and was.title != track.title:
            args += [f"-metadata:s:{pos}", f"title={track.title or ''}".encode("utf-8", "surrogateescape")]
    args.append(b"file:" + os.path.abspath(dst))
    run_tool(args, timeout=timeout)
