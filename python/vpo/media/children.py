"""Children die with VPO, even when VPO is killed outright (Linux: PR_SET_PDEATHSIG).

A probe worker stuck in a read, an ffprobe or a decoding ffmpeg would otherwise run on,
or wait forever, after the `vpo` that started it was SIGKILLed (or OOM-killed): each
runs in its own session, so that a terminal's Ctrl+C reaches VPO only, and nothing else
would ever stop it. On a normal stop (Ctrl+C, SIGTERM) VPO stops its children itself
(media/tools.py:stop_child); this is for the stop VPO never sees.

Two ways in, one call (`die_with_parent`: prctl, then a look at getppid in case the
parent died before the prctl):

- VPO's own probe workers make the call themselves, first thing at start-up
  (media/probe_worker.py, told their parent's pid on the command line). No code runs
  between fork and exec.
- External tools (ffmpeg, ffprobe, mkvmerge, mkvpropedit) cannot, so `tool_preexec()` is
  their Popen `preexec_fn`. Python's documentation warns that preexec_fn is not safe
  with threads: the child of a fork holds only the forking thread, and code that needs a
  lock another thread held at that moment deadlocks. This function needs none: prctl is
  resolved in the parent beforehand (ctypes loaded, the symbol looked up), so the child
  only makes two system calls through that pointer (nothing imported, nothing logged,
  no lock taken). The cost is a fork() where subprocess would use vfork(), a few ms per
  tool run. Should preexec_fn be deprecated (python/cpython#82616), this is the one
  place to change (for a small exec wrapper, say).

The "parent" of PR_SET_PDEATHSIG is the thread that started the child: each runs for as
long as the thread that waits for it (a probe pool's feeder, a decode or transcode
worker), and those threads end only after their child did.

Elsewhere (macOS) there is no such call: children are stopped on a normal stop only.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1
_SIGKILL = int(signal.SIGKILL)
_UNLOADED: Any = object()
_prctl: Any = _UNLOADED


def die_with_parent(parent: int) -> None:
    """In a child: be SIGKILLed when the parent that started it dies, and leave at once
    if `parent` is already gone (it died before the prctl)."""
    _arm(_load_prctl(), parent)


def tool_preexec() -> Callable[[], None] | None:
    """The `preexec_fn` of an external tool's Popen: None where there is no prctl."""
    prctl = _load_prctl()  # here, in the parent: the child must not load anything
    if prctl is None:
        return None
    return functools.partial(_arm, prctl, os.getpid())


def _arm(prctl: Any, parent: int) -> None:
    """Between fork and exec, or first thing in a worker: two system calls, nothing else."""
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _load_prctl() -> Any:
    """libc's prctl (cached), or None off Linux."""
    global _prctl
    if _prctl is _UNLOADED:
        _prctl = None
        if sys.platform == "linux":
            try:
                import ctypes

                _prctl = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):
                pass
    return _prctl
