"""The ffmpeg child of a transcode: it dies with its worker, and its stderr goes to an
anonymous temporary file."""

from __future__ import annotations

import functools
import os
import signal
import sys


def _die_with_parent(parent: int) -> None:
    """Linux: ffmpeg is killed when the worker dies (even by SIGKILL), instead of running on
    for hours into a temporary file nobody will use (ffmpeg ignores SIGPIPE, so the broken
    progress pipe does not stop it). Runs in the child between fork and exec."""
    _prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the worker died before the prctl
        os._exit(1)


def child_setup():  # type: ignore[no-untyped-def]
    return functools.partial(_die_with_parent, os.getpid()) if _prctl is not None else None


def _load_prctl():  # type: ignore[no-untyped-def]
    if sys.platform != "linux":
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _load_prctl()


class TempLog:
    """ffmpeg's stderr goes to an anonymous temporary file (no pipe to deadlock on)."""

    def __enter__(self) -> TempLog:
        import tempfile

        self.file = tempfile.TemporaryFile()
        return self

    def text(self) -> str:
        self.file.seek(0)
        return self.file.read()[-65536:].decode("utf-8", "replace")

    def __exit__(self, *exc: object) -> None:
        self.file.close()
