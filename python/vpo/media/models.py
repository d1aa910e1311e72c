"""What a probe learns about a file. Plain dataclasses: cheap to build by the thousand."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TRACK_TYPES = ("video", "audio", "subtitle", "attachment", "data")


@dataclass(frozen=True, slots=True)
class Track:
    index: int
    type: str
    codec: str | None = None
    language: str = "und"
    title: str | None = None
    default: bool = False
    forced: bool = False
    channels: int | None = None
    width: int | None = None
    height: int | None = None
    # Video: the transfer characteristic as ffprobe names it (media/hdr.py); None if unstated.
    color_transfer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    container: str
    duration_seconds: float | None
    tracks: tuple[Track, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": self.container,
            "duration_seconds": self.duration_seconds,
            "tracks": [t.to_dict() for t in self.tracks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeResult:
        return cls(
            container=data["container"],
            duration_seconds=data["duration_seconds"],
            tracks=tuple(Track(**t) for t in data["tracks"]),
        )


def normalize_container(format_name: str, path: bytes | str) -> str:
    """libavformat names families ("mov,mp4,m4a,..."); name the member the file is."""
    ext = (path.decode("utf-8", "replace") if isinstance(path, bytes) else path).rsplit(".", 1)[-1].lower()
    names = format_name.split(",")
    if "matroska" in names:
        return "webm" if ext == "webm" else "matroska"
    if "mov" in names:
        return "mov" if ext == "mov" else "mp4"
    return names[0]
