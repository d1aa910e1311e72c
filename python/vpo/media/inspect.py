"""`inspect`: probe one file now and describe it (SPEC section 10 keys)."""

from __future__ import annotations

import os
from typing import Any

from vpo.errors import FileNotCataloguedError, ProbeError, UsageError
from vpo.media.probe import BACKENDS, ProberConfig, probe_file


def inspect_file(path: bytes, config: ProberConfig) -> dict[str, Any]:
    if config.backend not in BACKENDS:
        raise UsageError(
            f"unknown prober {config.backend!r}; choose from {', '.join(BACKENDS)}",
            details={"prober": config.backend},
        )
    path = os.path.abspath(path)
    shown = os.fsdecode(path)
    if os.path.isdir(path):
        raise UsageError(
            f"{shown} is a directory; vpo inspect needs one media file (vpo scan catalogues a directory)",
            details={"path": shown},
        )
    if not os.path.exists(path):
        raise FileNotCataloguedError(f"no such file: {shown}", details={"path": shown})
    # A FIFO, socket or device: the probe refuses it (media/regular_file.py), one error.
    try:
        result = probe_file(path, config)
    except ValueError as exc:
        raise ProbeError(shown, str(exc)) from None
    return {
        "path": shown,
        "container": result.container,
        "duration_seconds": result.duration_seconds,
        "size_bytes": os.path.getsize(path),
        "tracks": [t.to_dict() for t in result.tracks],
    }
