"""Probe adapter: one `ffprobe` process per file (selectable with `--prober ffprobe`)."""

from __future__ import annotations

import json
import signal
import subprocess

from vpo.media.children import tool_preexec
from vpo.media.hdr import transfer_name
from vpo.media.languages import normalize
from vpo.media.models import ProbeResult, Track, normalize_container
from vpo.media.regular_file import require_regular


def probe(path: bytes, *, ffprobe: str = "ffprobe", timeout: float = 60.0) -> ProbeResult:
    """Raises ValueError with ffprobe's reason when the file cannot be read. A FIFO is
    refused before ffprobe is given its name (ffprobe would wait on it for a writer)."""
    try:
        require_regular(path)
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    cmd: list[str | bytes] = [
        ffprobe,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        b"file:" + path,
    ]
    try:
        done = subprocess.run(
            cmd, capture_output=True, timeout=timeout, check=False, preexec_fn=tool_preexec()
        )
    except FileNotFoundError:
        raise ValueError(f"ffprobe not found at {ffprobe}") from None
    except subprocess.TimeoutExpired:
        raise ValueError(f"ffprobe timed out after {timeout:g}s") from None
    if done.returncode != 0:
        raise ValueError(_reason(done.stderr, path, done.returncode))
    data = json.loads(done.stdout.decode("utf-8", "replace"))
    return parse(data, path)


def _reason(stderr: bytes, path: bytes, returncode: int) -> str:
    """ffprobe's last line without its `file:PATH: ` prefix: the caller names the path."""
    if returncode < 0:
        try:
            exited = f"ffprobe was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            exited = f"ffprobe was killed by signal {-returncode}"
    else:
        exited = f"ffprobe exited with {returncode}"
    lines = stderr.strip().splitlines()
    if not lines:
        return exited
    line = lines[-1]
    prefix = b"file:" + path + b": "
    if line.startswith(prefix):
        line = line[len(prefix) :]
    return line.decode("utf-8", "replace").strip() or exited


def parse(data: dict, path: bytes) -> ProbeResult:
    streams = data.get("streams") or []
    if not streams:
        raise ValueError("no streams found")
    tracks = []
    for s in streams:
        kind = s.get("codec_type", "data")
        tags = s.get("tags") or {}
        disp = s.get("disposition") or {}
        if kind == "video" and disp.get("attached_pic"):
            kind = "attachment"
        if kind not in ("video", "audio", "subtitle", "attachment"):
            kind = "data"
        tracks.append(
            Track(
                index=int(s["index"]),
                type=kind,
                codec=s.get("codec_name"),
                language=normalize(tags.get("language")),
                title=tags.get("title") or None,
                default=bool(disp.get("default")),
                forced=bool(disp.get("forced")),
                channels=s.get("channels") if kind == "audio" else None,
                width=s.get("width") if kind == "video" else None,
                height=s.get("height") if kind == "video" else None,
                color_transfer=transfer_name(s.get("color_transfer")) if kind == "video" else None,
            )
        )
    fmt = data.get("format") or {}
    duration = fmt.get("duration")
    return ProbeResult(
        container=normalize_container(fmt.get("format_name", "unknown"), path),
        duration_seconds=float(duration) if duration not in (None, "N/A") else None,
        tracks=tuple(tracks),
    )
