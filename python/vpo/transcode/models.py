"""What a transcode asks for. Flags on the command line beat the policy's `transcode:`."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

CODECS = ("hevc", "h264", "av1", "vp9")
RESOLUTIONS = {
    "480p": (854, 480),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "1440p": (2560, 1440),
    "2160p": (3840, 2160),
}
# The CRF scale of each codec's encoders (x264/x265: 0-51; libvpx-vp9, libaom/svt-av1: 0-63).
CRF_RANGE = {"hevc": (0, 51), "h264": (0, 51), "av1": (0, 63), "vp9": (0, 63)}
BITRATE = re.compile(r"[1-9][0-9]*(\.[0-9]+)?[kKmMgG]?")


@dataclass(frozen=True)
class TranscodeTarget:
    codec: str = "hevc"
    crf: int | None = None
    bitrate: str | None = None
    max_resolution: str | None = None
    delete_original: bool = False

    def problem(self) -> str | None:
        """Why ffmpeg would refuse this target (None: it is fine). Checked when queueing,
        so a bad value fails at once instead of hours later in `vpo jobs run`."""
        if self.codec not in CODECS:
            return f"unknown codec {self.codec!r}: choose from {', '.join(CODECS)}"
        if self.crf is not None:
            low, high = CRF_RANGE[self.codec]
            if not low <= self.crf <= high:
                return f"crf {self.crf} is out of range for {self.codec} ({low}-{high})"
        if self.bitrate is not None and not BITRATE.fullmatch(self.bitrate):
            return f"invalid bitrate {self.bitrate!r}: a number with an optional k, M or G suffix (e.g. 4M)"
        if self.max_resolution is not None and self.max_resolution not in RESOLUTIONS:
            return f"unknown max resolution {self.max_resolution!r}: choose from {', '.join(RESOLUTIONS)}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscodeTarget:
        values: dict[str, Any] = {k: data.get(k, getattr(cls, k, None)) for k in cls.__dataclass_fields__}
        return cls(**values)


def from_section(section: Any) -> TranscodeTarget:
    """The target a policy's `transcode:` section asks for (None: the defaults); what
    `vpo transcode --policy` and `vpo watch` queue."""
    values = section.model_dump() if section is not None else {}
    return TranscodeTarget(
        **{k: v for k, v in values.items() if k in TranscodeTarget.__dataclass_fields__ and v is not None}
    )


def merge(
    base: TranscodeTarget,
    *,
    codec: str | None = None,
    crf: int | None = None,
    bitrate: str | None = None,
    max_resolution: str | None = None,
) -> TranscodeTarget:
    """The policy's target with the command line's flags on top. Rate control is one
    choice: a --crf or --bitrate flag replaces the policy's crf and bitrate together (a
    policy's `crf: 22` must not turn `--bitrate 2M` into a mix of both)."""
    rate = (crf, bitrate) if crf is not None or bitrate is not None else (base.crf, base.bitrate)
    return TranscodeTarget(
        codec=codec or base.codec,
        crf=rate[0],
        bitrate=rate[1],
        max_resolution=max_resolution or base.max_resolution,
        delete_original=base.delete_original,
    )
