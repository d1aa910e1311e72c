"""The policy file, `schema_version: 2` (SPEC 13): version 1's keys plus what to keep,
labels, the container and rules. Unknown keys are refused at every level."""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from vpo.policy.models import Language, Pattern, Policy, _language, _Strict

ORIGINAL = "original"

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


def _language_or_original(code: str) -> str:
    """A language code, `original` (the file's original language) or `und` (untagged)."""
    return ORIGINAL if code.strip().lower() == ORIGINAL else _language(code)


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


KeepLanguage = Annotated[str, AfterValidator(_language_or_original)]
Comparison = Annotated[int | str, AfterValidator(_comparison)]
Template = Annotated[str, AfterValidator(_template)]


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


class PolicyV2(Policy):
    schema_version: Literal[2]  # type: ignore[assignment]
    keep: Keep = Field(default_factory=Keep)
    labels: Labels = Field(default_factory=Labels)
    container: Literal["keep", "mkv"] = "keep"
    rules: list[Rule] = Field(default_factory=list)

    def uses_original(self) -> bool:
        """Whether any key refers to the file's original language."""
        langs = [*(self.keep.audio.languages or ()), *(self.keep.subtitles.languages or ())]
        return ORIGINAL in langs or ORIGINAL in (self.labels.untagged_audio, self.labels.untagged_subtitles)


When.model_rebuild()
