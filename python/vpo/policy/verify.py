"""Is a rewritten file what the plan said it would be? Pure comparison of two layouts."""

from __future__ import annotations

from collections.abc import Sequence

from vpo.media.models import ProbeResult, Track

DURATION_TOLERANCE_SECONDS = 1.0
DURATION_TOLERANCE_RATIO = 0.02


def verify(planned: Sequence[Track], before_duration: float | None, after: ProbeResult) -> str | None:
    """None when `after` matches the plan, else what is wrong (one line)."""
    got = after.tracks
    if len(got) != len(planned):
        return f"expected {len(planned)} streams, found {len(got)}"
    for want, have in zip(planned, got):
        if want.type != have.type:
            return f"stream {want.index}: expected {want.type}, found {have.type}"
        if want.codec and have.codec and want.codec != have.codec:
            return f"stream {want.index}: expected codec {want.codec}, found {have.codec}"
        if want.language != have.language:
            return f"stream {want.index}: expected language {want.language}, found {have.language}"
        if want.type in ("video", "audio", "subtitle") and want.default != have.default:
            return f"stream {want.index}: expected default={want.default}, found default={have.default}"
    if before_duration and after.duration_seconds is not None:
        tolerance = max(DURATION_TOLERANCE_SECONDS, before_duration * DURATION_TOLERANCE_RATIO)
        if abs(after.duration_seconds - before_duration) > tolerance:
            return f"duration changed from {before_duration:.2f}s to {after.duration_seconds:.2f}s"
    elif before_duration and after.duration_seconds is None:
        return "duration unreadable after the change"
    return None
