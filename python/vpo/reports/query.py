"""`vpo files`: the command's filters (a FilesQuery) into a FileFilter, the rows into entries."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vpo.catalogue import ScanStatus
from vpo.db import listing
from vpo.db.connection import Database
from vpo.db.listing import FileFilter
from vpo.errors import UsageError
from vpo.media.classes import resolution_class
from vpo.media.hdr import hdr_label
from vpo.media.iso639_data import ALIASES
from vpo.media.track_summary import split

STATUSES = tuple(s.value for s in ScanStatus)
SORT_KEYS = tuple(listing.SORT_COLUMNS)
# What people type for a container -> what the catalogue stores (media/models.py).
CONTAINER_ALIASES = {
    "mkv": "matroska",
    "m4v": "mp4",
    "mpg": "mpeg",
    "ts": "mpegts",
    "m2ts": "mpegts",
    "wmv": "asf",
}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_size(text: str, option: str = "--min-size") -> int:
    """`700M`, `1.5G`, `2GiB`, `123456`: bytes (K, M, G, T are powers of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(
            f"{option}: {text!r} is not a size; write e.g. 700M, 1.5G or a number of bytes",
            details={"option": option, "value": text},
        )
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * _UNITS[unit])


def language_codes(code: str, option: str) -> tuple[str, ...]:
    """Every stored code of the language `code` names: `fr`, `fre` and `fra` all give
    ("fra", "fre"), as a policy treats them (2- and 3-letter codes are one language)."""
    key = ALIASES.get(code.strip().lower().split("-", 1)[0])
    if key is None:
        raise UsageError(
            f"{option}: {code!r} is not an ISO 639 language code (e.g. eng, en, jpn, und)",
            details={"option": option, "value": code},
        )
    return tuple(sorted(alias for alias, same in ALIASES.items() if same == key and len(alias) == 3))


def check_choices(values: Sequence[str], choices: Sequence[str], option: str) -> list[str]:
    out = [v.strip().lower() for v in values]
    for value in out:
        if value not in choices:
            raise UsageError(
                f"{option}: {value!r} is not one of {', '.join(choices)}",
                details={"option": option, "value": value, "choices": list(choices)},
            )
    return out


@dataclass(frozen=True)
class FilesQuery:
    """What `vpo files` was asked, as typed: one field per option. `to_filter` checks it
    and says it as the catalogue stores things."""

    paths: Sequence[str | bytes] = ()
    statuses: Sequence[str] = ()
    containers: Sequence[str] = ()
    codecs: Sequence[str] = ()
    min_height: int | None = None
    max_height: int | None = None
    hdr: bool | None = None
    audio_langs: Sequence[str] = ()
    no_audio_langs: Sequence[str] = ()
    sub_langs: Sequence[str] = ()
    no_sub_langs: Sequence[str] = ()
    min_size: str | None = None
    max_size: str | None = None
    sort: str = "path"
    reverse: bool = False
    limit: int | None = None

    def to_filter(self) -> FileFilter:
        """Validated and normalised (absolute byte paths, stored container names, every
        code of each language). Raises UsageError, naming the option."""
        return FileFilter(
            roots=tuple(os.path.abspath(os.fsencode(p)) for p in self.paths),
            statuses=tuple(check_choices(self.statuses, STATUSES, "--status")),
            containers=tuple(
                CONTAINER_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in self.containers
            ),
            codecs=tuple(c.strip().lower() for c in self.codecs),
            min_height=self.min_height,
            max_height=self.max_height,
            hdr=self.hdr,
            audio_langs=tuple(language_codes(c, "--audio-lang") for c in self.audio_langs),
            no_audio_langs=tuple(language_codes(c, "--no-audio-lang") for c in self.no_audio_langs),
            sub_langs=tuple(language_codes(c, "--sub-lang") for c in self.sub_langs),
            no_sub_langs=tuple(language_codes(c, "--no-sub-lang") for c in self.no_sub_langs),
            min_size=parse_size(self.min_size, "--min-size") if self.min_size is not None else None,
            max_size=parse_size(self.max_size, "--max-size") if self.max_size is not None else None,
            sort=check_choices([self.sort], SORT_KEYS, "--sort")[0],
            reverse=self.reverse,
            limit=self.limit,
        )


@dataclass(frozen=True)
class FileEntry:
    """One line of `vpo files`."""

    id: int
    path: bytes
    size: int
    container: str | None
    status: str
    error: str | None
    video_codec: str | None
    width: int | None
    height: int | None
    hdr: str | None  # PQ, HLG, SDR; None without a video track
    audio_languages: tuple[str, ...]  # each language once, in code order
    subtitle_languages: tuple[str, ...]

    @property
    def resolution(self) -> str | None:
        return resolution_class(self.width, self.height)

    def to_dict(self) -> dict[str, Any]:
        """The `--json` object (and, with lists joined, the `--csv` row)."""
        return {
            "id": self.id,
            "path": os.fsdecode(self.path),
            "size_bytes": self.size,
            "container": self.container,
            "video_codec": self.video_codec,
            "width": self.width,
            "height": self.height,
            "resolution": self.resolution,
            "hdr": self.hdr,
            "audio_languages": list(self.audio_languages),
            "subtitle_languages": list(self.subtitle_languages),
            "status": self.status,
            "error": self.error,
        }


COLUMNS = (
    "id",
    "path",
    "size_bytes",
    "container",
    "video_codec",
    "width",
    "height",
    "resolution",
    "hdr",
    "audio_languages",
    "subtitle_languages",
    "status",
    "error",
)


def list_files(db: Database, flt: FileFilter) -> list[FileEntry]:
    """The catalogued files that match, in the asked order (SQL does the work)."""
    rows = listing.query_files(db.conn, flt)
    return [
        FileEntry(
            id=r.id,
            path=r.path,
            size=r.size,
            container=r.container,
            status=r.status,
            error=r.error,
            video_codec=r.video_codec,
            width=r.width,
            height=r.height,
            hdr=hdr_label(r.color_transfer, has_video=bool(r.has_video)),
            audio_languages=tuple(split(r.audio_languages)),
            subtitle_languages=tuple(split(r.subtitle_languages)),
        )
        for r in rows
    ]
