"""The scan progress line on stderr, for terminals only."""

from __future__ import annotations

import sys

from vpo.scan.models import ScanProgress


class ProgressLine:
    def __init__(self) -> None:
        self._width = 0

    def __call__(self, p: ScanProgress) -> None:
        rate = p.probed / p.elapsed if p.elapsed > 0 else 0.0
        left = p.queued - p.probed
        eta = f"{left / rate:.0f}s" if rate > 0 and not p.walking else "?"
        phase = "walking" if p.walking else "probing"
        text = (
            f"{phase}: {p.discovered:,} found, {p.probed:,}/{p.queued:,} probed, "
            f"{rate:,.1f} files/s, ETA {eta}"
        )
        pad = max(0, self._width - len(text))
        self._width = len(text)
        sys.stderr.write("\r" + text + " " * pad)
        sys.stderr.flush()

    def close(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()


def progress_for(json_mode: bool) -> ProgressLine | None:
    return ProgressLine() if not json_mode and sys.stderr.isatty() else None
