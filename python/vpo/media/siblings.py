"""The one naming scheme for files VPO writes beside a media file `/d/NAME.EXT`.

Same directory (a rename is atomic), never a video extension (no scan catalogues them):

- `/d/.vpo-tmp-PID-RANDOM.EXT`: a tool's output (apply's remux, transcode's encode).
  Hidden, with the writer's pid (a dead process's leftovers are recognised and deleted
  by `remove_stale_temps`, the one cleaner), and plain ASCII whatever the media file is
  called: it is the one name a tool (mkvmerge) is given, and mkvtoolnix mangles
  non-ASCII names.
- `/d/.NAME.vpo-original-PID.EXT`: the original's second name while a remux result
  takes its place (hidden, with the pid: `policy/recover.py` knows what a dead one is).
- `/d/NAME.EXT.vpo-original` (then `.vpo-original.2`, ...): a kept original, one per
  job that replaced the file (apply's remuxes and transcodes alike), recorded on the job
  (`vpo jobs undo`, `vpo backups`).

Names are bytes end to end: a non-UTF-8 name keeps its bytes in every sibling.
"""

from __future__ import annotations

import logging
import os
import re
import secrets

log = logging.getLogger(__name__)

ORIGINAL_SUFFIX = b".vpo-original"  # not a video extension: scans never catalogue it
WORKING_TAG = "original"

# `.vpo-tmp-PID-RANDOM.EXT`, and `.NAME.vpo-transcode-PID.EXT` of versions before the
# one scheme (their leftovers are cleaned the same way).
_TEMP_NAME = re.compile(rb"^\.vpo-tmp-(\d+)-[0-9a-f]{8}(\.[A-Za-z0-9]+)?$")
_OLD_TEMP_NAME = re.compile(rb"^\..*\.vpo-transcode-(\d+)(\.[^.]*)?$", re.DOTALL)


def temp_sibling(path: bytes) -> bytes:
    """`/d/.vpo-tmp-PID-RANDOM.EXT`: where a tool writes its output for `path`."""
    folder, name = os.path.split(path)
    ext = os.path.splitext(name)[1]
    if not (ext[1:].isascii() and ext[1:].isalnum()):
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
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    sibling = os.path.join(folder, b"." + stem + f".vpo-{tag}-{os.getpid()}".encode() + ext)
    while os.path.lexists(sibling):
        base, extension = os.path.splitext(sibling)
        sibling = base + f"-{secrets.token_hex(2)}".encode() + extension
    return sibling


def stale_siblings(path: bytes, tag: str = WORKING_TAG) -> list[tuple[bytes, int]]:
    """`(sibling, pid)` for each `hidden_sibling(path, tag)` (also with `-XXXX` suffixes)
    whose process no longer exists, oldest name first."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    pattern = re.compile(
        re.escape(b"." + stem + f".vpo-{tag}-".encode()) + rb"(\d+)(?:-[0-9a-f]{4})*" + re.escape(ext) + rb"$"
    )
    try:
        names = sorted(os.listdir(folder or b"."))
    except OSError:
        return []
    found = []
    for entry in names:
        match = pattern.match(entry)
        if match and not alive(int(match.group(1))):
            found.append((os.path.join(folder, entry), int(match.group(1))))
    return found


def kept_original(path: bytes) -> bytes:
    """The first free kept-original name of `path`: `NAME.EXT.vpo-original`, then `.2`, ..."""
    candidate = path + ORIGINAL_SUFFIX
    name, n = candidate, 1
    while os.path.lexists(name):
        n += 1
        name = candidate + f".{n}".encode()
    return name


def kept_originals(path: bytes) -> list[bytes]:
    """Every kept original of `path` there is, in the order they were made."""
    folder, name = os.path.split(path)
    pattern = re.compile(re.escape(name + ORIGINAL_SUFFIX) + rb"(?:\.(\d+))?$")
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return []
    found = []
    for entry in names:
        match = pattern.match(entry)
        if match:
            found.append((int(match.group(1) or 1), os.path.join(folder, entry)))
    return [p for _, p in sorted(found)]


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
