"""Probe adapter: PyAV (libavformat in-process). The default: no process per file."""

from __future__ import annotations

import os

from vpo.media.hdr import transfer_name
from vpo.media.languages import normalize
from vpo.media.models import ProbeResult, Track, normalize_container
from vpo.media.regular_file import open_regular


def probe(path: bytes, *, tail: bool = False) -> ProbeResult:
    """Read container and track metadata. Raises ValueError with the reason on failure.

    `tail`: also read the last packets and compare their time with the declared duration
    (media.tail, the quick check's second half)."""
    import av  # imported here: costs ~100 ms, and only probe workers and `inspect` need it

    fd = None
    try:
        # Opened here first (media/regular_file.py): a FIFO is refused, never waited on.
        fd = open_regular(path)
        if os.fstat(fd).st_size == 0:
            raise ValueError("empty file (0 bytes)")
        with av.open(_name_for_libav(path, fd), metadata_errors="replace") as container:
            result = _result(container, path)
            if tail:
                from vpo.media.tail import check_tail

                check_tail(container)
            return result
    except av.FFmpegError as exc:
        raise ValueError(_describe(exc)) from None
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    finally:
        if fd is not None:
            os.close(fd)


def _name_for_libav(path: bytes, fd: int) -> str:
    """The name libavformat opens: the path itself (its extension helps a few formats'
    detection), or, for a name that is not UTF-8 (libavformat takes UTF-8 names), the
    descriptor already open on it."""
    name = os.fsdecode(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return f"/dev/fd/{fd}"
    return name


def _result(container, path: bytes) -> ProbeResult:  # type: ignore[no-untyped-def]
    import av

    if not container.streams:
        raise ValueError("no streams found")
    Disposition = av.stream.Disposition
    tracks = []
    for stream in container.streams:
        kind = stream.type
        meta = stream.metadata
        disposition = stream.disposition
        ctx = stream.codec_context
        if kind == "video" and disposition & Disposition.attached_pic:
            kind = "attachment"
        tracks.append(
            Track(
                index=stream.index,
                type=kind if kind in ("video", "audio", "subtitle", "attachment") else "data",
                codec=_codec_name(stream, ctx),
                language=normalize(meta.get("language")),
                title=meta.get("title") or None,
                default=bool(disposition & Disposition.default),
                forced=bool(disposition & Disposition.forced),
                channels=(ctx.channels or None) if kind == "audio" and ctx is not None else None,
                width=(ctx.width or None) if kind == "video" and ctx is not None else None,
                height=(ctx.height or None) if kind == "video" and ctx is not None else None,
                color_transfer=_transfer(ctx) if kind == "video" else None,
            )
        )
    duration = container.duration / 1_000_000 if container.duration else None
    return ProbeResult(
        container=normalize_container(container.format.name, path),
        duration_seconds=duration,
        tracks=tuple(tracks),
    )


def _transfer(ctx) -> str | None:  # type: ignore[no-untyped-def]
    """The video stream's transfer characteristic (HDR or not; see media/hdr.py)."""
    return transfer_name(getattr(ctx, "color_trc", None)) if ctx is not None else None


_ATTACHMENT_CODECS = {
    "application/x-truetype-font": "ttf",
    "application/x-font-ttf": "ttf",
    "application/x-font": "ttf",
    "font/ttf": "ttf",
    "application/vnd.ms-opentype": "otf",
    "application/x-font-opentype": "otf",
    "font/otf": "otf",
    "font/sfnt": "ttf",
}


def _codec_name(stream, ctx) -> str | None:  # type: ignore[no-untyped-def]
    """The codec's descriptor name (`subrip`, `mp3`), as ffprobe reports it, not the
    decoder's (`srt`, `mp3float`)."""
    codec = ctx.codec if ctx is not None else getattr(stream, "codec", None)
    if codec is None:  # an attachment: named from its MIME type, as ffprobe names it
        return _ATTACHMENT_CODECS.get(str(getattr(stream, "mimetype", "") or "").lower())
    return getattr(codec, "canonical_name", None) or codec.name


def _describe(exc: Exception) -> str:
    strerror = getattr(exc, "strerror", None)
    return strerror or str(exc).split(": '", 1)[0]
