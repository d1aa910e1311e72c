"""The policy file (`schema_version: 1`), validated with pydantic; unknown keys rejected."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from vpo.media.languages import ALIASES

SCHEMA_VERSION = 1

CATEGORIES = (
    "video",
    "audio_main",
    "audio_alternate",
    "subtitle_main",
    "subtitle_forced",
    "audio_commentary",
    "subtitle_commentary",
    "attachment",
)
Category = Literal[
    "video",
    "audio_main",
    "audio_alternate",
    "subtitle_main",
    "subtitle_forced",
    "audio_commentary",
    "subtitle_commentary",
    "attachment",
]


def _language(code: str) -> str:
    """A known ISO 639-1/2 code, lower-cased (`FR` -> `fr`); its error names the one item."""
    text = code.strip().lower()
    if text not in ALIASES:
        raise PydanticCustomError(
            "unknown_language",
            f"unknown ISO 639 language code {code!r} "
            "(use a 2- or 3-letter code such as en, eng, fr, fre, fra)",
        )
    return text


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise PydanticCustomError("invalid_regex", f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


Language = Annotated[str, AfterValidator(_language)]
Pattern = Annotated[str, AfterValidator(_regex)]


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
    track_order: list[Category] = Field(default_factory=lambda: list(CATEGORIES))  # type: ignore[arg-type]
    audio_language_preference: list[Language] = Field(default_factory=list)
    subtitle_language_preference: list[Language] = Field(default_factory=list)
    commentary_patterns: list[Pattern] = Field(default_factory=lambda: ["commentary"])
    default_flags: DefaultFlags = Field(default_factory=DefaultFlags)
    transcode: TranscodeSection | None = None

    @field_validator("track_order")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        repeated = sorted({c for c in value if value.count(c) > 1})
        if repeated:
            raise ValueError(f"categories listed twice: {', '.join(repeated)}")
        return value
