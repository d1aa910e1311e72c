"""Pure decisions: does a file need transcoding, the ffmpeg arguments that do it, and is
the output what was asked for."""

from __future__ import annotations

from collections.abc import Sequence

from vpo.media.models import ProbeResult, Track
from vpo.transcode.models import RESOLUTIONS, TranscodeTarget

# Encoders in order of preference for each target codec (the first one ffmpeg has wins).
ENCODERS = {
    "hevc": ("libx265", "hevc_nvenc", "hevc_vaapi"),
    "h264": ("libx264", "h264_nvenc", "h264_vaapi", "libopenh264"),
    "av1": ("libsvtav1", "libaom-av1", "librav1e"),
    "vp9": ("libvpx-vp9",),
}
# Encoders whose constant-quality mode needs an unconstrained bitrate (`-b:v 0`) beside -crf.
_CRF_NEEDS_ZERO_BITRATE = ("libvpx-vp9", "libaom-av1")
# Containers that only hold some video codecs (WebM: VP8, VP9 and AV1).
_CONTAINER_CODECS = {"webm": ("vp8", "vp9", "av1")}
# A re-encode may shift the end by a frame or two; more than this is a truncated output.
DURATION_TOLERANCE_SECONDS = 1.0
DURATION_TOLERANCE_RATIO = 0.02


def main_video(tracks: Sequence[Track]) -> Track | None:
    return next((t for t in tracks if t.type == "video"), None)


def within(track: Track, max_resolution: str | None) -> bool:
    """Does the picture fit the box of `max_resolution` (e.g. 1280x720 for 720p)?"""
    if max_resolution is None:
        return True
    width, height = RESOLUTIONS[max_resolution]
    return (track.width or 0) <= width and (track.height or 0) <= height


def skip_reason(tracks: Sequence[Track], target: TranscodeTarget, container: str | None = None) -> str | None:
    """Why a file gets no transcode (None: it needs one)."""
    video = main_video(tracks)
    if video is None:
        return "no video track"
    allowed = _CONTAINER_CODECS.get(container or "")
    if allowed and target.codec not in allowed:
        return f"{container} cannot hold {target.codec} (only {', '.join(allowed)})"
    if video.codec != target.codec or not within(video, target.max_resolution):
        return None
    if target.max_resolution:
        return f"already {target.codec} at {target.max_resolution} or below"
    return f"already {target.codec}"


def scaled(width: int, height: int, max_resolution: str | None) -> tuple[int, int]:
    """The picture size after the `max_resolution` box (aspect kept, even numbers), as the
    scale filter of `ffmpeg_args` computes it."""
    if max_resolution is None or within(Track(0, "video", width=width, height=height), max_resolution):
        return width, height
    box_w, box_h = RESOLUTIONS[max_resolution]
    ratio = min(box_w / width, box_h / height)
    return max(2, int(width * ratio) // 2 * 2), max(2, int(height * ratio) // 2 * 2)


def quality(target: TranscodeTarget) -> str:
    if target.crf is not None:
        return f"crf {target.crf}" + (f", at most {target.bitrate}" if target.bitrate else "")
    if target.bitrate:
        return f"{target.bitrate} bit/s"
    return "the encoder's default quality"


def describe(tracks: Sequence[Track], target: TranscodeTarget) -> str:
    """`h264 1920x1080 -> hevc crf 28, 1280x720`: what a transcode would do to a file."""
    video = main_video(tracks)
    if video is None:
        return "no video track"
    source = f"{video.codec or '?'} {video.width or '?'}x{video.height or '?'}"
    if video.width and video.height:
        w, h = scaled(video.width, video.height, target.max_resolution)
        size = f"{w}x{h}" + (" (scaled down)" if (w, h) != (video.width, video.height) else "")
    else:
        size = "size unknown"
    return f"{source} -> {target.codec} {quality(target)}, {size}"


def ffmpeg_args(
    ffmpeg: str,
    src: bytes,
    dst: bytes,
    tracks: Sequence[Track],
    target: TranscodeTarget,
    encoder: str,
    container: str | None = None,
    threads: int | None = None,
) -> list[str | bytes]:
    """Every stream kept (`-map 0`) and copied, except the main video stream, which is
    encoded; progress as key=value lines on stdout (`-progress pipe:1`). `threads`: the
    decoder's and the encoder's (None: theirs to choose)."""
    video = main_video(tracks)
    if video is None:
        raise ValueError("no video stream to transcode")
    # The main video is the first video stream, so in the output (same order) it is v:0.
    spec = f"v:{sum(1 for t in tracks if t.type == 'video' and t.index < video.index)}"
    args: list[str | bytes] = [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-y",
        *(["-threads", str(threads)] if threads else []),  # the decoder's
        "-i",
        b"file:" + src,
        "-map",
        "0",
        "-c",
        "copy",
        "-map_metadata",
        "0",
        "-map_chapters",
        "0",
        f"-c:{spec}",
        encoder,
    ]
    if threads:
        args += [f"-threads:{spec}", str(threads)]
    if target.crf is not None:
        args += [f"-crf:{spec}", str(target.crf)]
        if encoder in _CRF_NEEDS_ZERO_BITRATE and not target.bitrate:
            args += [f"-b:{spec}", "0"]  # pure constant quality
    if target.bitrate:
        args += [f"-b:{spec}", target.bitrate]
    if target.max_resolution:
        width, height = RESOLUTIONS[target.max_resolution]
        args += [
            f"-filter:{spec}",
            f"scale=w='min(iw,{width})':h='min(ih,{height})':force_original_aspect_ratio=decrease:"
            "force_divisible_by=2",
        ]
    if target.codec == "hevc" and container in ("mp4", "mov"):
        args += [f"-tag:{spec}", "hvc1"]  # the tag Apple players require for HEVC in MP4/MOV
    # Keep every stream's default flag as it is: without a -disposition of its own, ffmpeg
    # marks the first stream of each type default when none is (a subtitle track that had
    # no default flag would gain one). A relative no-op on the video turns that off.
    args += [f"-disposition:{spec}", "+default" if video.default else "-default"]
    if container in ("matroska", "webm"):
        args += ["-default_mode", "passthrough"]  # and the muxer must not infer one either
    if encoder == "libx265":
        # x265 logs on its own otherwise; its thread pool is its own, not ffmpeg's -threads
        args += [f"-x265-params:{spec}", "log-level=error" + (f":pools={threads}" if threads else "")]
    args += ["-progress", "pipe:1", "-nostats", b"file:" + dst]
    return args


def verify_output(before: ProbeResult, after: ProbeResult, target: TranscodeTarget) -> str | None:
    """None when the output is what was asked for, else what is wrong (one line): the same
    streams in the same order with the same language, title and default/forced flags, the
    main video in the target codec and size, every other stream still in its codec
    (copied), the same duration."""
    if len(after.tracks) != len(before.tracks):
        return f"{len(before.tracks)} streams in, {len(after.tracks)} out"
    video = main_video(before.tracks)
    for pos, (was, now) in enumerate(zip(before.tracks, after.tracks)):
        problem = _stream_problem(was, now, encoded=was is video, target=target)
        if problem is not None:
            return f"stream {pos}: {problem}"
    return _duration_problem(before.duration_seconds, after.duration_seconds)


def _stream_problem(was: Track, now: Track, *, encoded: bool, target: TranscodeTarget) -> str | None:
    """What is wrong with one output stream: its labels must stay; the encoded video must
    be in the target codec and size, every other stream copied in its own codec."""
    if now.type != was.type:
        return f"{was.type} in, {now.type} out"
    for name in ("language", "title", "default", "forced"):
        if getattr(now, name) != getattr(was, name):
            return f"{name} {getattr(was, name)!r} in, {getattr(now, name)!r} out"
    if encoded:
        if now.codec != target.codec:
            return f"video codec is {now.codec}, not {target.codec}"
        if not within(now, target.max_resolution):
            return f"picture is {now.width}x{now.height}, larger than {target.max_resolution}"
    elif was.codec and now.codec and was.codec != now.codec:
        return f"{was.type} codec {was.codec} in, {now.codec} out (it should be copied)"
    return None


def _duration_problem(before: float | None, after: float | None) -> str | None:
    if not before:
        return None
    if not after:
        return "the output has no duration"
    tolerance = max(DURATION_TOLERANCE_SECONDS, before * DURATION_TOLERANCE_RATIO)
    if abs(after - before) > tolerance:
        return f"duration {after:.2f}s, expected {before:.2f}s"
    return None


def progress_of(out_time_us: bytes, duration: float | None) -> float | None:
    """A `-progress` out_time_us value as a fraction of the real duration, kept below 1
    until the job is done (None when it cannot be read)."""
    if not duration:
        return None
    try:
        micros = int(out_time_us)
    except ValueError:  # N/A before the first packet
        return None
    return min(0.99, max(0.0, micros / 1e6 / duration))
