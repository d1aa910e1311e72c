"""A file VPO writes in the place of a media file (an apply's remux or container change, a
transcode) takes the original's permissions and, where the system allows, its owner and
group: a file its owner kept private (0600) stays private, and a library shared through a
group stays readable by it. Not its mtime: the content changed, and backup tools and other
catalogues must see that."""

from __future__ import annotations

import os
import stat


def same_owner_and_mode(original: bytes, new: bytes) -> None:
    """Give `new` the owner, group and permission bits of `original`. The owner only as
    root; the group also as a member of it; the mode always. Set last, because a chown
    clears the set-id bits."""
    st = os.stat(original)
    try:
        os.chown(new, st.st_uid, st.st_gid)
    except PermissionError:
        try:
            os.chown(new, -1, st.st_gid)  # not root: the group, when this user is in it
        except PermissionError:
            pass
    os.chmod(new, stat.S_IMODE(st.st_mode))
