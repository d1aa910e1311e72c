"""The quick check's end-of-streams half: seek near the end, read the last packets, and
compare how far they reach with the duration the container declares (SPEC section 14).

Runs inside the PyAV probe, on the container it already opened: one seek and the packets
of the last few seconds, demuxed but not decoded. Only for containers that *declare* a
duration (MP4/MOV, AVI, FLV, ASF): for MPEG-TS/PS libavformat estimates the duration from
the last packets themselves, so the comparison would prove nothing. Matroska and WebM are
read by `media.ebml_tail` instead, for every backend, at a fraction of the cost.

Tolerance (TOLERANCE_SECONDS = 2 s): in a complete file the last packet ends where the
container's duration ends, give or take the last frame or audio packet (tens of ms) and a
subtitle or packet whose duration the container does not store (a last cue's display
time, a final video frame in Matroska without BlockDuration). Two seconds is well above
those and well below what a cut loses in practice; a cut that loses less than that is left
to the structure check (Matroska and MP4 declare their sizes) or to `vpo check --thorough`.
"""

from __future__ import annotations

from typing import Any

TOLERANCE_SECONDS = 2.0
WINDOW_SECONDS = 3.0  # seek this far before the declared end (then back to a keyframe)
GIVE_UP_SECONDS = 120.0  # a seek that lands further back than this: no cheap verdict
DECLARED = ("mov", "mp4", "avi", "flv", "asf")  # Matroska: media.ebml_tail, without libavformat


def check_tail(container: Any) -> None:
    """Raise ValueError(reason) when the streams end well before the declared duration."""
    import av

    names = set(container.format.name.split(","))
    if container.duration is None or not names.intersection(DECLARED):
        return
    start = (container.start_time or 0) / 1_000_000
    duration = container.duration / 1_000_000
    target = max(0.0, duration - WINDOW_SECONDS)
    end: float | None = None
    try:
        # any_frame: to the packet at the target, not back to the keyframe before it (the
        # packets are demuxed, never decoded); a few seconds of packets, not a whole GOP.
        container.seek(int((start + target) * 1_000_000), backward=True, any_frame=True)
        for packet in container.demux():
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None or packet.time_base is None:
                continue
            t = float((ts + (packet.duration or 0)) * packet.time_base) - start
            if end is None and t < target - GIVE_UP_SECONDS:
                return  # no index to seek by: reading to the end would cost a full pass
            end = t if end is None else max(end, t)
            if end >= duration - TOLERANCE_SECONDS:
                return  # the streams reach the end: no need to read the rest
    except av.FFmpegError as exc:
        raise ValueError(f"unreadable near the end: {_describe(exc)}") from None
    except EOFError:
        pass
    if end is None:
        raise ValueError(f"incomplete: no packet can be read after {target:.1f} s of {duration:.1f} s")
    if duration - end > TOLERANCE_SECONDS:
        raise ValueError(f"incomplete: the streams end at {end:.1f} s, the container says {duration:.1f} s")


def _describe(exc: Exception) -> str:
    strerror = getattr(exc, "strerror", None)
    return strerror or str(exc).split(": '", 1)[0]
