"""The spare probe worker: started before anyone knows it will be needed.

A probe worker spends ~0.13 s importing PyAV before it can probe anything, and `vpo scan`
spends about as long loading the CLI before it knows whether anything changed. So
`cli/main.py` starts one worker first thing in `vpo scan`; it loads on another core while
the CLI does, and `ProbePool` adopts it for its first probes. A scan that probes nothing
stops it unused at exit (`discard`), having cost an otherwise idle core ~0.13 s of CPU.

On a single CPU there is no idle core to load it on, so none is started there.

Imports only `os`, `subprocess` and `sys`: it runs before the rest of VPO is loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys

_spare: subprocess.Popen[bytes] | None = None


def spawn_worker(*, preload: bool) -> subprocess.Popen[bytes]:
    """A probe worker (`vpo.media.probe_worker`), waiting for its configuration on stdin."""
    argv = [sys.executable, "-m", "vpo.media.probe_worker", "--parent", str(os.getpid())]
    if preload:
        argv.append("--preload-pyav")
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        # Its own session: a terminal's Ctrl+C reaches only VPO, which stops the workers
        # itself. A worker whose parent dies is killed (it arms PR_SET_PDEATHSIG itself,
        # media/children.py: no preexec_fn), or sees EOF on stdin and exits.
        start_new_session=True,
    )


def start() -> None:
    """Start the spare worker, once per process. Not starting is not an error: the pool
    starts its workers itself, and reports what goes wrong then."""
    global _spare
    if _spare is None and _cpus() > 1:
        try:
            _spare = spawn_worker(preload=True)
        except OSError:
            pass


def _cpus() -> int:
    """The CPUs this process may run on (taskset and cpusets count, unlike cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def take() -> subprocess.Popen[bytes] | None:
    """The spare worker if it is still alive (the caller owns it from now on), or None."""
    global _spare
    child, _spare = _spare, None
    if child is not None and child.poll() is not None:
        _close(child)
        return None
    return child


def discard() -> None:
    """Stop the spare worker if nobody took it. It has only been importing: killing it
    loses nothing, and is immediate where closing its stdin would let it finish loading."""
    child = take()
    if child is not None:
        import logging  # loaded by now (the CLI configured it); not at the top: see above
        import signal

        from vpo.media.tools import stop_child

        stop_child(child, signal_first=signal.SIGKILL)
        _close(child)
        logging.getLogger(__name__).debug("stopped the spare probe worker, unused")


def _close(child: subprocess.Popen[bytes]) -> None:
    child.wait()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            pipe.close()
