"""The one naming scheme for files VPO writes beside a media file `/d/NAME.EXT`.

Same directory (a rename is atomic), never a video extension (no scan catalogues them):

- `/d/.vpo-tmp-PID-RANDOM.EXT`: a tool's output (apply's remux, transcode's encode).
  Hidden, with the writer's pid (a dead process's leftovers are recognised and deleted
  by `remove_stale_temps`, the one cleaner), and plain ASCII whatever the media file is
  called: it is the one name a tool (mkvmerge) is given, and mkvtoolnix mangles
  non-ASCII names.
- `/d/.NAME.vpo-original-PID.EXT`: the original's second name while a remux result
  takes its place (hidden, with the pid: `edit/recover.py` knows what a dead one is).
- `/d/NAME.EXT.vpo-original` (then `.vpo-original.2`, ...): a kept original, one per
  job that replaced the file (apply's remuxes and transcodes alike), recorded on the job
  (`vpo jobs undo`, `vpo backups`).

Names are bytes end to end: a non-UTF-8 name keeps its bytes in every sibling.

Every name fits beside any name the folder allows (`PC_NAME_MAX`, 255 bytes on Linux and
macOS file systems): when `NAME.EXT` is too long for a sibling's additions, its stem is
shortened by `shortened`, the one function that does so: its start, `~`, 12 hex digits
of a hash of the whole name, then its extension (`.NAME~1f2e3d4c5b6a.vpo-original-PID.EXT`,
`NAME~1f2e3d4c5b6a.EXT.vpo-original`). The same name always gives the same short form, so
recovery and `vpo backups` find a file's siblings by deriving them again; jobs record the
kept original's name as well (`vpo jobs undo` reads it there).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets

log = logging.getLogger(__name__)

ORIGINAL_SUFFIX = b".vpo-original"  # not a video extension: scans never catalogue it
WORKING_TAG = "original"

NAME_MAX = 255  # bytes in one name (Linux and macOS file systems), when the folder cannot say
EXTENSION_MAX = 16  # a longer "extension" is part of the name (shortened with it)
_HASH_DIGITS = 12
_PID_ROOM = 10  # digits of a pid in a hidden name
_TAKEN_ROOM = 15  # `-XXXX` suffixes of a taken hidden name (three)
_COUNT_ROOM = 6  # `.N` of a later job's kept original (up to `.99999`)

# `.vpo-tmp-PID-RANDOM.EXT`, and `.NAME.vpo-transcode-PID.EXT` of versions before the
# one scheme (their leftovers are cleaned the same way).
_TEMP_NAME = re.compile(rb"^\.vpo-tmp-(\d+)-[0-9a-f]{8}(\.[A-Za-z0-9]+)?$")
_OLD_TEMP_NAME = re.compile(rb"^\..*\.vpo-transcode-(\d+)(\.[^.]*)?$", re.DOTALL)


def name_max(folder: bytes) -> int:
    """The longest name, in bytes, `folder`'s file system allows (NAME_MAX when it cannot
    say)."""
    try:
        limit = os.pathconf(folder or b".", "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX
    return limit if limit > 0 else NAME_MAX


def shortened(name: bytes, room: int) -> tuple[bytes, bytes]:
    """`name` as (stem, extension), when it is at most `room` bytes. A longer one is cut to
    `room`: the start of its stem (never inside a UTF-8 character), `~`, 12 hex digits of
    a hash of the whole name (the same name always gives the same short form; two long
    names that start alike still differ), then its extension."""
    stem, ext = os.path.splitext(name)
    if len(name) <= room:
        return stem, ext
    if len(ext) > EXTENSION_MAX:
        stem, ext = name, b""
    tag = b"~" + hashlib.sha256(name).hexdigest()[:_HASH_DIGITS].encode()
    keep = max(0, room - len(tag) - len(ext))
    while 0 < keep < len(stem) and stem[keep] & 0xC0 == 0x80:  # a UTF-8 continuation byte
        keep -= 1
    return stem[:keep] + tag, ext


def fitting(path: bytes) -> bytes:
    """`path`, its name shortened when its folder cannot hold a name that long (a container
    change's new name: `NAME.ts` -> `NAME.mkv` is one byte longer)."""
    folder, name = os.path.split(path)
    return os.path.join(folder, b"".join(shortened(name, name_max(folder))))


def temp_sibling(path: bytes) -> bytes:
    """`/d/.vpo-tmp-PID-RANDOM.EXT`: where a tool writes its output for `path`."""
    folder, name = os.path.split(path)
    ext = os.path.splitext(name)[1]
    if not (ext[1:].isascii() and ext[1:].isalnum()) or len(ext) > EXTENSION_MAX:
        ext = b""
    return os.path.join(folder, f".vpo-tmp-{os.getpid()}-{secrets.token_hex(4)}".encode() + ext)


def remove_stale_temps(folder: bytes) -> list[bytes]:
    """Delete the tool outputs a dead process left in `folder` (killed, power loss). Only
    those: a leftover original may be the one intact copy, and is never deleted here."""
    removed: list[bytes] = []
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return removed
    for entry in names:
        match = _TEMP_NAME.match(entry) or _OLD_TEMP_NAME.match(entry)
        if not match:
            continue
        pid = int(match.group(1))
        if alive(pid):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
        except OSError:
            continue
        removed.append(os.path.join(folder, entry))
        log.info("removed %s, left by process %d", os.fsdecode(os.path.join(folder, entry)), pid)
    return removed


def hidden_sibling(path: bytes, tag: str = WORKING_TAG) -> bytes:
    """`/d/.NAME.vpo-TAG-PID.EXT` for `/d/NAME.EXT`; never an existing file (which could be
    the only copy a crashed run left): a taken name gets `-XXXX` suffixes."""
    stem, ext = _hidden_forms(path, tag)[-1]
    base = os.path.join(os.path.dirname(path), b"." + stem + f".vpo-{tag}-{os.getpid()}".encode())
    while os.path.lexists(base + ext):
        base += f"-{secrets.token_hex(2)}".encode()
    return base + ext


def stale_siblings(path: bytes, tag: str = WORKING_TAG) -> list[tuple[bytes, int]]:
    """`(sibling, pid)` for each `hidden_sibling(path, tag)` (also with `-XXXX` suffixes)
    whose process no longer exists, oldest name first."""
    folder = os.path.dirname(path)
    pattern = re.compile(
        b"|".join(
            re.escape(b"." + stem + f".vpo-{tag}-".encode())
            + rb"(\d+)(?:-[0-9a-f]{4})*"
            + re.escape(ext)
            + rb"$"
            for stem, ext in _hidden_forms(path, tag)
        )
    )
    try:
        names = sorted(os.listdir(folder or b"."))
    except OSError:
        return []
    found = []
    for entry in names:
        match = pattern.match(entry)
        pid = next((int(g) for g in match.groups() if g is not None), 0) if match else 0
        if match and not alive(pid):
            found.append((os.path.join(folder, entry), pid))
    return found


def _hidden_forms(path: bytes, tag: str) -> list[tuple[bytes, bytes]]:
    """(stem, ext) of `hidden_sibling(path, tag)`: the name as it is, and (last: the one
    new names take) shortened so the sibling fits whatever its pid and suffixes. Both are
    looked for: versions before shortening wrote long names in full while they fitted."""
    folder, name = os.path.split(path)
    room = name_max(folder) - len(f"..vpo-{tag}-".encode()) - _PID_ROOM - _TAKEN_ROOM
    forms = [os.path.splitext(name), shortened(name, room)]
    return forms[1:] if forms[0] == forms[1] else forms


def kept_original(path: bytes) -> bytes:
    """The first free kept-original name of `path`: `NAME.EXT.vpo-original`, then `.2`, ..."""
    return free_name(_kept_bases(path)[-1])


def free_name(candidate: bytes) -> bytes:
    """`candidate`, or the first of `candidate.2`, `candidate.3`, ... that does not exist."""
    name, n = candidate, 1
    while os.path.lexists(name):
        n += 1
        name = candidate + f".{n}".encode()
    return name


def kept_originals(path: bytes) -> list[bytes]:
    """Every kept original of `path` there is, in the order they were made."""
    folder = os.path.dirname(path)
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return []
    found = []
    for age, base in enumerate(_kept_bases(path)):
        pattern = re.compile(re.escape(os.path.basename(base)) + rb"(?:\.(\d+))?$")
        for entry in names:
            match = pattern.match(entry)
            if match:
                found.append((age, int(match.group(1) or 1), os.path.join(folder, entry)))
    return [p for *_, p in sorted(found)]


def kept_for(kept: bytes) -> bytes:
    """The file the kept original `kept` (`NAME.EXT.vpo-original[.N]`) belongs to: `NAME.EXT`,
    or, for a shortened name, the file of its folder whose kept originals take that name
    (the shortened name itself when there is none any more)."""
    folder, name = os.path.split(kept)
    base = re.sub(re.escape(ORIGINAL_SUFFIX) + rb"(?:\.\d+)?$", b"", name)
    plain = os.path.join(folder, base)
    if not _SHORT.search(base) or os.path.lexists(plain):
        return plain
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return plain
    wanted = plain + ORIGINAL_SUFFIX
    return next(
        (os.path.join(folder, n) for n in names if wanted in _kept_bases(os.path.join(folder, n))), plain
    )


_SHORT = re.compile(rb"~[0-9a-f]{%d}" % _HASH_DIGITS)


def _kept_bases(path: bytes) -> list[bytes]:
    """`NAME.EXT.vpo-original` of `path` as it is and (last: the one new kept originals
    take) with the name shortened so that it fits with any `.N`; both are looked for, as
    for hidden names."""
    folder, name = os.path.split(path)
    room = name_max(folder) - len(ORIGINAL_SUFFIX) - _COUNT_ROOM
    forms = [name, b"".join(shortened(name, room))]
    return [os.path.join(folder, n + ORIGINAL_SUFFIX) for n in (forms[1:] if forms[0] == forms[1] else forms)]


def alive(pid: int) -> bool:
    """Whether process `pid` exists (this one always does; another user's counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:  # not a pid at all (a name with a huge number)
        return False
    return True


_OWN_NAME = re.compile(
    rb"^\.vpo-tmp-|^\..*\.vpo-(original|backup|transcode)-\d+|\.vpo-(original|backup)(\.\d+)?$", re.DOTALL
)


def is_own_name(name: bytes) -> bool:
    """Whether a file name is one VPO writes beside media (a tool's output, a working or
    kept original, of this scheme or an older one): `vpo watch` never handles these."""
    return _OWN_NAME.search(name) is not None
