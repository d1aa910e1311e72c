"""A probe worker process: reads its configuration (one JSON line), then hex-encoded paths
on stdin, and writes one JSON line per path.

Run by `probe_pool`; isolated so that a file that crashes or hangs libavformat costs only
that file. Ignores SIGINT: the parent decides when workers stop. Dies with its parent
(`--parent PID`: PR_SET_PDEATHSIG, media/children.py), even one killed outright.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator

from vpo.media.probe import ProberConfig, probe_file


def serve(lines: Iterator[bytes], config: ProberConfig) -> None:
    out = sys.stdout
    for line in lines:
        path = bytes.fromhex(line.strip().decode("ascii"))
        reply: dict[str, object]
        try:
            reply = {"ok": probe_file(path, config).to_dict()}
        except ValueError as exc:
            reply = {"error": str(exc) or type(exc).__name__}
        except Exception as exc:
            reply = {"error": f"prober failed: {type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def _die_with_parent(args: list[str]) -> None:
    """Killed with the `vpo` that started this worker, even a SIGKILLed one: a worker stuck
    in a read would otherwise wait forever (media/children.py)."""
    if "--parent" in args:
        from vpo.media.children import die_with_parent

        die_with_parent(int(args[args.index("--parent") + 1]))


def _load_pyav() -> None:
    """Load libav before the first request."""
    import av  # noqa: F401


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(sys.argv[1:])
    lines = iter(sys.stdin.buffer)
    first = next(lines, b"")
    if first:
        config = ProberConfig(**json.loads(first))
        if config.backend == "pyav":
            _load_pyav()
        serve(lines, config)
    # stdin closed: the parent is done. Skip interpreter teardown (tens of ms with libav
    # loaded) that the parent would otherwise wait for at the end of every scan.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
