"""The policy file, validated with pydantic; unknown keys refused at every level.

One model for both schema versions. Version 1 has the track order, the language
preferences, the commentary patterns, the default flags and `transcode`; schema 2 (SPEC 13)
adds what to keep, labels, the container and rules. Their defaults change nothing, so a
version 1 policy is this model with version 2's keys left as they are: a version 1 file that
names one of them is refused as it always was (an unknown key), and its policy dumps only
version 1's keys (`policy check`, the job's record read as before).
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vpo.media.languages import ALIASES

SCHEMA_VERSIONS = (1, 2)
# what version 1 files do not have
VERSION_2_KEYS = ("keep", "labels", "container", "rules", "audio", "subtitles")
ORIGINAL = "original"  # in a language list: the file's original language

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


def _language_or_original(code: str) -> str:
    """A language code, `original` (the file's original language) or `und` (untagged)."""
    return ORIGINAL if code.strip().lower() == ORIGINAL else _language(code)


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise PydanticCustomError("invalid_regex", f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*(\d+)\s*$")


def _comparison(value: int | str) -> str:
    """`">=2"`, `"<3"`, `"2"` or 2: kept as text (the file's spelling), checked here."""
    if isinstance(value, bool):
        raise PydanticCustomError("comparison", "a comparison is a number or text such as '>=2'")
    text = str(value)
    if not _COMPARISON.match(text):
        raise PydanticCustomError(
            "comparison", f"{text!r} is not a comparison (use a number or e.g. '>=2', '<3', '!=0')"
        )
    return text.strip()


def parse_comparison(text: str) -> tuple[str, int]:
    match = _COMPARISON.match(text)
    assert match, text  # validated on load
    op = match.group(1) or "=="
    return ("==" if op == "=" else op), int(match.group(2))


TEMPLATE_FIELDS = ("language_name", "language", "channel_layout", "channels", "codec")


def _template(text: str) -> str:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise PydanticCustomError("template", f"invalid template {text!r}: {exc}") from None
    unknown = [n for n in names if n not in TEMPLATE_FIELDS]
    if unknown:
        raise PydanticCustomError(
            "template",
            f"unknown field {{{unknown[0]}}} in template; use {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}",
        )
    return text


Language = Annotated[str, AfterValidator(_language)]
Pattern = Annotated[str, AfterValidator(_regex)]
KeepLanguage = Annotated[str, AfterValidator(_language_or_original)]
Comparison = Annotated[int | str, AfterValidator(_comparison)]
Template = Annotated[str, AfterValidator(_template)]


class _Strict(BaseModel):
    """Every part of a policy: unknown keys refused, never changed once read."""

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


class KeepAudio(_Strict):
    languages: list[KeepLanguage] | None = None  # None: every language
    commentary: bool = True
    min_tracks: int = Field(default=1, ge=0)


class KeepSubtitles(_Strict):
    languages: list[KeepLanguage] | None = None
    forced: Literal["all", "kept_audio", "none"] = "all"
    commentary: bool = True


class Keep(_Strict):
    audio: KeepAudio = Field(default_factory=KeepAudio)
    subtitles: KeepSubtitles = Field(default_factory=KeepSubtitles)
    attachments: Literal["all", "fonts", "none"] = "all"


class AudioTitles(_Strict):
    when: Literal["empty", "always"] = "empty"
    template: Template = "{language_name} {channel_layout}"


class Labels(_Strict):
    untagged_audio: KeepLanguage | None = None  # what `und` audio becomes; None: left as is
    untagged_subtitles: KeepLanguage | None = None
    audio_titles: AudioTitles | None = None
    clear_titles_matching: list[Pattern] = Field(default_factory=list)


_BITRATE = re.compile(r"^\d+(\.\d+)?[kKmM]?$")
ADD_CODECS = ("aac", "ac3", "eac3", "opus")
ADD_CHANNELS = (2, 6)


class AddFrom(_Strict):
    language: KeepLanguage = ORIGINAL  # the best kept track of this language is the source


class AudioAdd(_Strict):
    """One track `audio.add` makes from a kept track when none of its language fits (SPEC 19)."""

    codec: Literal["aac", "ac3", "eac3", "opus"]
    channels: int = 2
    bitrate: str | None = None  # None: the encoder's own choice for the channels
    from_: AddFrom = Field(default_factory=AddFrom, alias="from")
    when: Literal["missing"] = "missing"
    downmix: Literal["standard", "dialogue", "night"] = "standard"
    title: Template = "{language_name} {channel_layout}"

    @field_validator("channels", mode="before")
    @classmethod
    def _two_or_six(cls, value: Any) -> Any:
        if isinstance(value, bool) or value not in ADD_CHANNELS:
            raise PydanticCustomError(
                "channels", f"channels {value!r} cannot be added: an added track has 2 or 6 channels"
            )
        return value

    @field_validator("bitrate")
    @classmethod
    def _bitrate(cls, value: str | None) -> str | None:
        if value is not None and not _BITRATE.match(value):
            raise PydanticCustomError("bitrate", f"{value!r} is not a bitrate (use e.g. 192k)")
        return value


class AudioSection(_Strict):
    add: list[AudioAdd] = Field(default_factory=list)


class SubtitleExtract(_Strict):
    """`subtitles.extract` (SPEC 19): the kept subtitle tracks written as sidecar files."""

    formats: list[Literal["srt", "ass"]] = Field(default_factory=lambda: ["srt"])  # type: ignore[arg-type]
    remove: bool = False  # the extracted tracks leave the file in the plan's one remux

    @field_validator("formats")
    @classmethod
    def _some(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("formats needs srt, ass or both")
        return value


class SubtitlesSection(_Strict):
    extract: SubtitleExtract | None = None
    embed: bool = False  # sidecars NAME.LANG[.forced][.sdh].(srt|ass|sup) become tracks

    @model_validator(mode="after")
    def _not_both_ways(self) -> SubtitlesSection:
        if self.embed and self.extract is not None and self.extract.remove:
            raise ValueError(
                "extract.remove and embed undo each other: every apply would take the "
                "subtitles out and put them back"
            )
        return self


class TrackCondition(_Strict):
    """Some track of the type has every property given; with `count`, the number of
    tracks of the type that have them compares as `count` says."""

    codec: str | list[str] | None = None
    language: KeepLanguage | list[KeepLanguage] | None = None
    channels: Comparison | None = None
    height: Comparison | None = None
    commentary: bool | None = None
    forced: bool | None = None
    count: Comparison | None = None


class When(_Strict):
    path: str | None = None  # a glob on the path under its scan root: "Anime/**"
    container: str | list[str] | None = None
    video: TrackCondition | None = None
    audio: TrackCondition | None = None
    subtitle: TrackCondition | None = None
    all: list[When] | None = None
    any: list[When] | None = None
    not_: When | None = Field(default=None, alias="not")


class RuleSet(_Strict):
    original_language: Language


class Rule(_Strict):
    when: When = Field(default_factory=When)
    set_: RuleSet | None = Field(default=None, alias="set")
    action: Literal["skip", "warn", "fail"] | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _does_something(self) -> Rule:
        if self.set_ is None and self.action is None:
            raise ValueError("a rule needs `set` or `action` (skip, warn or fail)")
        if self.action is not None and not self.reason:
            raise ValueError(f"a rule whose action is {self.action} needs a `reason`")
        return self


class Policy(_Strict):
    schema_version: Literal[1, 2]
    track_order: list[Category] = Field(default_factory=lambda: list(CATEGORIES))  # type: ignore[arg-type]
    audio_language_preference: list[Language] = Field(default_factory=list)
    subtitle_language_preference: list[Language] = Field(default_factory=list)
    commentary_patterns: list[Pattern] = Field(default_factory=lambda: ["commentary"])
    default_flags: DefaultFlags = Field(default_factory=DefaultFlags)
    transcode: TranscodeSection | None = None
    # schema 2 (VERSION_2_KEYS)
    keep: Keep = Field(default_factory=Keep)
    labels: Labels = Field(default_factory=Labels)
    container: Literal["keep", "mkv"] = "keep"
    rules: list[Rule] = Field(default_factory=list)
    audio: AudioSection = Field(default_factory=AudioSection)  # SPEC 19
    subtitles: SubtitlesSection = Field(default_factory=SubtitlesSection)  # SPEC 19

    @field_validator("track_order")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        repeated = sorted({c for c in value if value.count(c) > 1})
        if repeated:
            raise ValueError(f"categories listed twice: {', '.join(repeated)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _first_unknown_key_of_version_1(cls, data: Any) -> Any:
        """In a version 1 file version 2's keys are unknown keys, and the error names the
        first unknown key of the file, as it always did: of version 2's keys only that one
        stays, for `_not_in_version_1` to refuse (the file is refused either way)."""
        if not isinstance(data, dict) or data.get("schema_version") != 1:
            return data
        known = cls.keys(1)
        first = next((k for k in data if k not in known), None)
        return {k: v for k, v in data.items() if k not in VERSION_2_KEYS or k == first}

    @field_validator(*VERSION_2_KEYS, mode="before")
    @classmethod
    def _not_in_version_1(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("schema_version") == 1:  # an unknown key there, as it always was
            raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
        return value

    @model_serializer(mode="wrap")
    def _as_its_version(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.schema_version == 1:
            for key in VERSION_2_KEYS:
                data.pop(key, None)
        return data

    @classmethod
    def keys(cls, version: int) -> list[str]:
        """The top-level keys a file of schema `version` may hold."""
        return [k for k in cls.model_fields if version >= 2 or k not in VERSION_2_KEYS]

    @property
    def reads_original_language(self) -> bool:
        """Whether plans say which language is each file's original and where it was read
        (schema 2; version 1 has no such idea, and its output no such key)."""
        return self.schema_version >= 2

    def uses_original(self) -> bool:
        """Whether any key refers to the file's original language."""
        langs = [
            *(self.keep.audio.languages or ()),
            *(self.keep.subtitles.languages or ()),
            *(a.from_.language for a in self.audio.add),
        ]
        return ORIGINAL in langs or ORIGINAL in (self.labels.untagged_audio, self.labels.untagged_subtitles)


When.model_rebuild()
