"""Putting an original back (`vpo jobs undo`): an in-place edit's from its journal, a remux's
or transcode's from its kept original. The caller holds the file's lock and has checked
that the file is what the job left."""

from __future__ import annotations

import os

from vpo.edit import journal as journals
from vpo.edit.fileops import sync_folder


def restore_journal(journal: bytes, path: bytes) -> None:
    """Write the undo journal `journal` back into `path`. It is made pending again first: if
    this process is killed mid-way, the next command finishes putting the original back, as
    for a killed edit (rollback.py). Gone once the original is back."""
    pending = journals.claim(journal)
    try:
        journals.restore(pending, path)
    except BaseException:
        os.replace(pending, journal)
        raise
    os.unlink(pending)


def restore_kept(kept: bytes, path: bytes, target: bytes) -> None:
    """The kept original takes `target` with one rename. After a container change (`target`
    is the old name, `path` the converted file's) the original is linked to its old name
    (never over a file that took it meanwhile) before the converted file goes."""
    if target == path:
        os.replace(kept, path)
    else:
        os.link(kept, target)
        os.unlink(path)
        os.unlink(kept)
    sync_folder(os.path.dirname(path))
