"""SIGTERM and SIGHUP stop a command the way Ctrl+C does.

Python turns SIGINT into KeyboardInterrupt, and every command stops cleanly on it: the
work so far is kept and its job `cancelled`, its children are stopped
(media/tools.py:stop_child), an apply puts back the file it was changing. SIGTERM (`kill`,
systemd, a container stopping) and SIGHUP (the terminal went away) would otherwise end
VPO on the spot: its job left `running` until a later command notices, its probe workers
and decoders left to the kernel. So they raise the same KeyboardInterrupt in the main
thread, and the exit code says which signal it was (128 + its number: 143, 129, as a
shell reports a process such a signal killed). Python runs handlers in the main thread
only, and the main thread waits for worker threads and children with timeouts or in calls
a signal interrupts, never in an open() of a library file (media/regular_file.py), so the
handler runs at once.

A signal ignored when VPO starts (`nohup`) stays ignored. `vpo jobs run` installs its own
handlers while it works the queue (cli/queue_cmd.py: SIGTERM can drain a worker there).
"""

from __future__ import annotations

import signal

STOPPING = (signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []


def install() -> None:
    """From now on SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread."""
    for sig in STOPPING:
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def exit_code(interrupted: int = 130) -> int:
    """The exit code of a command stopped by a signal: 130 after Ctrl+C, 128 + N after
    the signal N this module turned into the interrupt."""
    return 128 + _received[0] if _received else interrupted


def ignore() -> None:
    """On the way out: a late signal must not interrupt the last flush with a traceback."""
    for sig in STOPPING:
        if signal.getsignal(sig) is _interrupt:
            signal.signal(sig, signal.SIG_IGN)
