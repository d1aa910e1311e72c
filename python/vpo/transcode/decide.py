"""Pure decisions: does a file need transcoding, and the ffmpeg arguments that do it."""

from __future__ import annotations

from collections.abc import Sequence

from vpo.media.models import Track
from vpo.transcode.models import RESOLUTIONS, TranscodeTarget

# Encoders in order of preference for each target codec (the first one ffmpeg has wins).
ENCODERS = {
    "hevc": ("libx265", "hevc_nvenc", "hevc_vaapi"),
    "h264": ("libx264", "h264_nvenc", "h264_vaapi", "libopenh264"),
    "av1": ("libsvtav1", "libaom-av1", "librav1e"),
    "vp9": ("libvpx-vp9",),
}


def main_video(tracks: Sequence[Track]) -> Track | None:
    return next((t for t in tracks if t.type == "video"), None)


def skip_reason(tracks: Sequence[Track], target: TranscodeTarget) -> str | None:
    """Why a file needs no transcode (None: it needs one)."""
    video = main_video(tracks)
    if video is None:
        return "no video track"
    if video.codec != target.codec:
        return None
    if target.max_resolution:
        width, height = RESOLUTIONS[target.max_resolution]
        if (video.width or 0) > width or (video.height or 0) > height:
            return None
        return f"already {target.codec} at {target.max_resolution} or below"
    return f"already {target.codec}"


def ffmpeg_args(ffmpeg: str, src: bytes, dst: bytes, tracks: Sequence[Track], target: TranscodeTarget,
                encoder: str) -> list[str | bytes]:
    """Every stream kept (`-map 0`), copied except the main video stream."""
    video = main_video(tracks)
    assert video is not None
    out_index = sum(1 for t in tracks if t.type == "video" and t.index < video.index)
    spec = f"v:{out_index}"
    args: list[str | bytes] = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", b"file:" + src,
                               "-map", "0", "-c", "copy", "-map_metadata", "0", "-map_chapters", "0",
                               f"-c:{spec}", encoder]
    if target.crf is not None:
        args += [f"-crf:{spec}", str(target.crf)]
        if encoder in ("libvpx-vp9", "libaom-av1"):
            args += [f"-b:{spec}", "0"]  # constant quality needs an unconstrained bitrate
    if target.bitrate:
        args += [f"-b:{spec}", target.bitrate]
    if target.max_resolution:
        width, height = RESOLUTIONS[target.max_resolution]
        args += [f"-filter:{spec}",
                 f"scale=w='min(iw,{width})':h='min(ih,{height})':force_original_aspect_ratio=decrease:"
                 "force_divisible_by=2"]
    args += ["-progress", "pipe:1", "-nostats", b"file:" + dst]
    return args
