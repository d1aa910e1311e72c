"""Is a rewritten file what the plan said it would be? Pure comparison of two layouts.

Stream by stream, in the planned order: type, codec, language (as a language: a remux may
write `fra` as `fre`), title, channels, picture size, default and forced flags. Two tracks that differ in any of these cannot be swapped
unnoticed; the duration must stay within a tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

from vpo.media.languages import same_language
from vpo.media.models import ProbeResult, Track

DURATION_TOLERANCE_SECONDS = 1.0
DURATION_TOLERANCE_RATIO = 0.02

# Compared only when both sides know the value (a prober may not report it for every codec).
_WHEN_KNOWN = ("codec", "channels", "width", "height")
# Compared always: a title or flag the plan kept must still be there.
_ALWAYS = ("title", "forced")


def verify(planned: Sequence[Track], before_duration: float | None, after: ProbeResult) -> str | None:
    """None when `after` matches the plan, else what is wrong (one line)."""
    got = after.tracks
    if len(got) != len(planned):
        return f"expected {len(planned)} streams, found {len(got)}"
    for pos, (want, have) in enumerate(zip(planned, got)):
        wrong = _stream_differs(pos, want, have)
        if wrong is not None:
            return wrong
    return _duration_differs(before_duration, after.duration_seconds)


def _stream_differs(pos: int, want: Track, have: Track) -> str | None:
    """None when stream `pos` is the planned track, else the first difference."""
    if want.type != have.type:
        return f"stream {pos}: expected {want.type}, found {have.type}"
    for name in _WHEN_KNOWN:
        a, b = getattr(want, name), getattr(have, name)
        if a is not None and b is not None and a != b:
            return f"stream {pos}: expected {name} {a}, found {b}"
    if not same_language(want.language, have.language):  # mkvmerge writes fra as fre
        return f"stream {pos}: expected language {want.language!r}, found {have.language!r}"
    for name in _ALWAYS:
        a, b = getattr(want, name), getattr(have, name)
        if a != b:
            return f"stream {pos}: expected {name} {a!r}, found {b!r}"
    if want.type in ("video", "audio", "subtitle") and want.default != have.default:
        return f"stream {pos}: expected default={want.default}, found default={have.default}"
    return None


def _duration_differs(before: float | None, after: float | None) -> str | None:
    """None when the duration stayed within the tolerance (or was not known before)."""
    if before and after is not None:
        tolerance = max(DURATION_TOLERANCE_SECONDS, before * DURATION_TOLERANCE_RATIO)
        if abs(after - before) > tolerance:
            return f"duration changed from {before:.2f}s to {after:.2f}s"
    elif before and after is None:
        return "duration unreadable after the change"
    return None
