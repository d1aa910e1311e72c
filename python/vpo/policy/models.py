"""The policy file (`schema_version: 1`), validated with pydantic; unknown keys rejected."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vpo.media.languages import ALIASES

SCHEMA_VERSION = 1

CATEGORIES = (
    "video", "audio_main", "audio_alternate", "subtitle_main", "subtitle_forced",
    "audio_commentary", "subtitle_commentary", "attachment",
)
Category = Literal[
    "video", "audio_main", "audio_alternate", "subtitle_main", "subtitle_forced",
    "audio_commentary", "subtitle_commentary", "attachment",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DefaultFlags(_Strict):
    set_first_video_default: bool = True
    set_preferred_audio_default: bool = True
    set_preferred_subtitle_default: bool = False
    clear_other_defaults: bool = True


class TranscodeSection(_Strict):
    codec: Literal["hevc", "h264", "av1", "vp9"] | None = None
    crf: int | None = Field(default=None, ge=0, le=63)
    bitrate: str | None = None
    max_resolution: Literal["480p", "720p", "1080p", "1440p", "2160p"] | None = None
    audio: Literal["copy"] = "copy"
    subtitles: Literal["copy"] = "copy"
    delete_original: bool = False


class Policy(_Strict):
    schema_version: Literal[1]
    track_order: list[Category] = Field(default_factory=lambda: list(CATEGORIES))
    audio_language_preference: list[str] = Field(default_factory=list)
    subtitle_language_preference: list[str] = Field(default_factory=list)
    commentary_patterns: list[str] = Field(default_factory=lambda: ["commentary"])
    default_flags: DefaultFlags = Field(default_factory=DefaultFlags)
    transcode: TranscodeSection | None = None

    @field_validator("track_order")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        repeated = sorted({c for c in value if value.count(c) > 1})
        if repeated:
            raise ValueError(f"categories listed twice: {', '.join(repeated)}")
        return value

    @field_validator("audio_language_preference", "subtitle_language_preference")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c.strip().lower() not in ALIASES]
        if unknown:
            raise ValueError(f"unknown ISO 639 language code(s): {', '.join(unknown)}")
        return [c.strip().lower() for c in value]

    @field_validator("commentary_patterns")
    @classmethod
    def _valid_regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value
