"""A probe worker process: reads hex-encoded paths on stdin, writes one JSON line per path.

Run by `probe_pool`; isolated so that a file that crashes or hangs libavformat costs only
that file. Ignores SIGINT: the parent decides when workers stop.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from vpo.media.probe import ProberConfig, probe_file


def serve(config: ProberConfig) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout
    for line in sys.stdin.buffer:
        path = bytes.fromhex(line.strip().decode("ascii"))
        reply: dict[str, object]
        try:
            reply = {"ok": probe_file(path, config).to_dict()}
        except ValueError as exc:
            reply = {"error": str(exc) or type(exc).__name__}
        except Exception as exc:  # noqa: BLE001 - an unexpected prober bug stays one file's error
            reply = {"error": f"prober failed: {type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def main() -> None:
    backend, ffprobe, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if backend == "pyav":
        import av  # noqa: F401 - load libav once, before the first request

    serve(ProberConfig(backend=backend, ffprobe=ffprobe, timeout=timeout))
    # stdin closed: the parent is done. Skip interpreter teardown (tens of ms with libav
    # loaded) that the parent would otherwise wait for at the end of every scan.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
