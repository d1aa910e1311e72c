"""What a transcode asks for. Flags on the command line beat the policy's `transcode:`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CODECS = ("hevc", "h264", "av1", "vp9")
RESOLUTIONS = {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080),
               "1440p": (2560, 1440), "2160p": (3840, 2160)}


@dataclass(frozen=True)
class TranscodeTarget:
    codec: str = "hevc"
    crf: int | None = None
    bitrate: str | None = None
    max_resolution: str | None = None
    delete_original: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscodeTarget:
        return cls(**{k: data.get(k, getattr(cls, k, None)) for k in cls.__dataclass_fields__})
