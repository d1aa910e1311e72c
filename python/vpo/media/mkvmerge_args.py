"""mkvmerge's command line for one remux: which tracks and attachments stay, their order,
languages, names and flags, and text subtitles brought in from other files (MP4 mov_text
converted to SRT beforehand). Pure: the caller runs it (media/remux.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from vpo.media.models import Track

_SELECT = {
    "video": ("--video-tracks", "-D"),
    "audio": ("--audio-tracks", "-A"),
    "subtitle": ("--subtitle-tracks", "-S"),
}


@dataclass(frozen=True)
class Extra:
    """A track that comes from a file of its own (`name`, relative to mkvmerge's folder)."""

    index: int  # the source track it replaces, or the number of a track added to the file
    name: bytes


@dataclass(frozen=True)
class Identified:
    """A source in another container, as `mkvmerge -J` identified it: its tracks' mkvmerge
    ids (identified_ids) and the tracks brought in from files of their own. Every language,
    name and forced flag is written: the container's own may not carry over."""

    ids: dict[int, int]
    extras: Sequence[Extra] = ()


def matroska_ids(current: Sequence[Track]) -> dict[int, int]:
    """{stream index: mkvmerge id} for a Matroska source: tracks keep their stream index,
    attachments are numbered from 1 in their order."""
    ids = {t.index: t.index for t in current if t.type != "attachment"}
    attachments = [t.index for t in current if t.type == "attachment"]
    ids.update({index: pos + 1 for pos, index in enumerate(attachments)})
    return ids


def identified_ids(current: Sequence[Track], identify_json: str) -> dict[int, int]:
    """{stream index: mkvmerge id} from `mkvmerge -J` of a non-Matroska source: the n-th
    track of a type is mkvmerge's n-th track of that type. Tracks mkvmerge does not list
    (MP4 mov_text, data) have no id."""
    text = identify_json[identify_json.find("{") :]
    found = json.loads(text).get("tracks") or []
    by_type: dict[str, list[int]] = {}
    for t in found:
        by_type.setdefault({"subtitles": "subtitle"}.get(t["type"], t["type"]), []).append(int(t["id"]))
    ids: dict[int, int] = {}
    seen: dict[str, int] = {}
    for t in current:
        if t.type not in ("video", "audio", "subtitle") or t.codec == "mov_text":
            continue
        n = seen.get(t.type, 0)
        seen[t.type] = n + 1
        listed = by_type.get(t.type, [])
        if n < len(listed):
            ids[t.index] = listed[n]
    return ids


def build(
    mkvmerge: str,
    output: bytes,
    source: str,
    *,
    order: Sequence[int],
    final: Sequence[Track],
    current: Sequence[Track],
    identified: Identified | None = None,
) -> list[str | bytes]:
    """`order`: current indices of the tracks that stay, in their planned order; `final`:
    their planned layout; `identified`: for a source that is not Matroska. Languages, names
    and the forced flag are written where they change (every one for an identified
    source); default flags always."""
    ids = identified.ids if identified is not None else matroska_ids(current)
    extras = identified.extras if identified is not None else ()
    by_index = {t.index: t for t in current}
    planned = {i: final[pos] for pos, i in enumerate(order)}
    from_extra = {e.index for e in extras}
    args: list[str | bytes] = [mkvmerge, "--quiet", "-o", output, "--command-line-charset", "UTF-8"]
    args += _selection(current, ids, planned, from_extra)
    file_of = {e.index: n for n, e in enumerate(extras, 1)}
    tracks = [i for i in order if i in file_of or by_index[i].type != "attachment"]
    args += [
        "--track-order",
        ",".join(f"{file_of[i]}:0" if i in file_of else f"0:{ids[i]}" for i in tracks),
    ]
    for i in tracks:
        if i not in from_extra:
            args += _properties(ids[i], planned[i], by_index[i], identified is not None)
    args.append(source)
    for e in extras:
        # an added track (not in `current`) is written with every property, as planned
        args += _properties(0, planned[e.index], by_index.get(e.index, planned[e.index]), True)
        args.append(b"./" + e.name)
    return args


def _selection(
    current: Sequence[Track], ids: dict[int, int], planned: dict[int, Track], from_extra: set[int]
) -> list[str | bytes]:
    """The options that leave out the tracks and attachments not `planned` (none when all
    of a kind stay). Tracks replaced by a file of their own are not counted."""
    args: list[str | bytes] = []
    for kind, (option, none) in _SELECT.items():
        listed = [t for t in current if t.type == kind and t.index in ids and t.index not in from_extra]
        if not listed:
            continue
        keep = [ids[t.index] for t in listed if t.index in planned]
        if len(keep) < len(listed):
            args += [option, ",".join(map(str, keep))] if keep else [none]
    attachments = [t for t in current if t.type == "attachment"]
    if attachments:
        keep = [ids[t.index] for t in attachments if t.index in planned]
        if len(keep) < len(attachments):
            args += ["--attachments", ",".join(map(str, keep))] if keep else ["-M"]
    return args


def _properties(tid: int, want: Track, was: Track, every: bool) -> list[str | bytes]:
    """Track `tid`'s default flag, and its forced flag, language and name where they
    change (`every`: all of them)."""
    out: list[str | bytes] = ["--default-track-flag", f"{tid}:{int(want.default)}"]
    if every or want.forced != was.forced:
        out += ["--forced-display-flag", f"{tid}:{int(want.forced)}"]
    if every or want.language != was.language:
        out += ["--language", f"{tid}:{want.language}"]
    if every or want.title != was.title:
        out += ["--track-name", f"{tid}:{want.title or ''}".encode("utf-8", "surrogateescape")]
    return out
