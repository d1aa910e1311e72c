"""A verified new file taking the original's name, the original staying reachable under a
second name: an apply's remux (under a hidden working name, kept afterwards or not) and a
transcode (under its kept-original name) alike."""

from __future__ import annotations

import errno
import os

from vpo.edit.fileops import remove

# What link() says on a file system without hard links (some network and FUSE ones).
NO_HARD_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK)


def replace_keeping(path: bytes, new: bytes, aside: bytes) -> None:
    """`new` takes `path`'s name with one rename; the original stays reachable as `aside`,
    a second name of it (a hard link), or, where the file system has none, moved there
    first. So at every moment the original or the new file is at `path` (without hard
    links: or the original at `aside`). On any failure the original is at `path` again,
    `aside` is gone and `new` is where it was."""
    linked = moved = False
    try:
        try:
            os.link(path, aside)
            linked = True
        except OSError as exc:
            if exc.errno not in NO_HARD_LINKS:
                raise
            os.replace(path, aside)  # no hard links here: a moment without the name
            moved = True
        os.replace(new, path)
    except BaseException:
        if moved and not os.path.exists(path):
            os.replace(aside, path)
        elif linked:
            remove(aside)  # the original never moved; a second name for it is not needed
        raise
