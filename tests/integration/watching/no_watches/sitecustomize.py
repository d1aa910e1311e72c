"""Makes a host look out of inotify watches, for tests/integration/watching: put this folder
first on a process's PYTHONPATH. Lowering fs.inotify.max_user_watches would change the whole
machine, so the failure is made at the adapter boundary instead: creating a watchfiles
watcher raises what watchfiles 1.x raises when inotify_add_watch fails with ENOSPC (notify's
MaxFilesWatch error, mapped to OSError). VPO's own code carries no test hook for it."""

from __future__ import annotations

import watchfiles.main


class _OutOfWatches:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OSError("OS file watch limit reached. (Error { kind: MaxFilesWatch, paths: [] })")


watchfiles.main.RustNotify = _OutOfWatches  # type: ignore[misc,assignment]
