"""Schema 2's `keep`: which tracks stay. Pure. The safety rules are part of it: the last
video track is never removed (video is never removed at all), audio never goes under
`min_tracks` (the best-ranked removed tracks stay, said in a note), forced subtitles are
decided by `forced` alone, fonts stay while styled (ASS/SSA) subtitles remain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vpo.media.models import Track
from vpo.policy.models import ORIGINAL, Keep, Policy
from vpo.policy.plan import identity

STYLED_SUBTITLES = ("ass", "ssa")
FONT_CODECS = ("ttf", "otf", "woff", "woff2")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


@dataclass(frozen=True)
class Kept:
    removed: dict[int, str]  # current index -> why it goes
    notes: tuple[str, ...]  # what stays on purpose although the policy would drop it


def is_font(t: Track) -> bool:
    """A font, or an attachment of unknown kind (catalogued before VPO named attachments):
    such a one is kept while styled subtitles remain, as a font would be."""
    if t.codec is None:
        return True
    return t.codec.lower() in FONT_CODECS or (t.title or "").lower().endswith(_FONT_SUFFIXES)


def choose(
    tracks: Sequence[Track],
    policy: Policy,
    *,
    original: str | None,
    commentary: frozenset[int],
    carrier: int | None = None,
) -> Kept:
    """`tracks` relabelled (labels come first); `original`: the original language's code;
    `carrier`: the audio track it was read from, if it was. That track stays while
    `keep.subtitles.languages` says `original`: without it, the next evaluation would read
    another original language off the result and drop the subtitles this one kept."""
    keep = policy.keep
    if _keeps_everything(keep):
        return Kept({}, ())
    removed: dict[int, str] = {}
    notes: list[str] = []
    audio = [t for t in tracks if t.type == "audio"]
    _drop_audio(audio, keep, original, commentary, removed)
    if carrier in removed and ORIGINAL in (keep.subtitles.languages or ()):
        notes.append(
            f"keep track {carrier} although {removed.pop(carrier)}: it carries the original "
            f"language ({original or 'unknown'}), which keep.subtitles.languages refers to"
        )
    kept_audio = _restore_min_tracks(audio, policy, commentary, removed, notes)
    _drop_subtitles(tracks, keep, original, commentary, {identity(t.language) for t in kept_audio}, removed)
    _drop_attachments(tracks, keep, removed, notes)
    return Kept(removed, tuple(notes))


def _wanted(languages: list[str] | None, original: str | None) -> tuple[set[str] | None, str]:
    """A `keep.*.languages` list as language identities (`original` read as the original
    language, dropped when it is unknown) and as shown in a reason; None: every language."""
    if languages is None:
        return None, ""
    ids = {
        identity(original) if x == ORIGINAL and original else identity(x)
        for x in languages
        if x != ORIGINAL or original
    }
    shown = ", ".join(f"original={original or 'unknown'}" if x == ORIGINAL else x for x in languages)
    return ids, shown


def _drop_audio(
    audio: list[Track], keep: Keep, original: str | None, commentary: frozenset[int], removed: dict[int, str]
) -> None:
    """Adds to `removed` the audio tracks `keep.audio` drops: commentary, other languages."""
    langs, shown = _wanted(keep.audio.languages, original)
    for t in audio:
        if t.index in commentary and not keep.audio.commentary:
            removed[t.index] = f"audio track {t.index} is commentary (keep.audio.commentary: false)"
        elif langs is not None and identity(t.language) not in langs:
            removed[t.index] = f"audio language {t.language} is not kept (keep.audio.languages: {shown})"


def _restore_min_tracks(
    audio: list[Track], policy: Policy, commentary: frozenset[int], removed: dict[int, str], notes: list[str]
) -> list[Track]:
    """The audio tracks that stay: those not in `removed`, plus the best-ranked removed ones
    (taken back out of `removed`, with a note) while fewer than `keep.audio.min_tracks` stay."""
    min_tracks = policy.keep.audio.min_tracks
    kept = [t for t in audio if t.index not in removed]
    short = min_tracks - len(kept)
    if short <= 0:
        return kept
    prefs = [identity(c) for c in policy.audio_language_preference]

    def rank(t: Track) -> tuple[int, int, int, int]:
        lang = identity(t.language)
        return (
            int(t.index in commentary),
            prefs.index(lang) if lang in prefs else len(prefs),
            int(not t.default),
            t.index,
        )

    for t in sorted((t for t in audio if t.index in removed), key=rank)[:short]:
        notes.append(
            f"keep track {t.index} although {removed.pop(t.index)}: keep.audio.min_tracks is {min_tracks}"
        )
        kept.append(t)
    return kept


def _drop_subtitles(
    tracks: Sequence[Track],
    keep: Keep,
    original: str | None,
    commentary: frozenset[int],
    kept_audio_langs: set[str],
    removed: dict[int, str],
) -> None:
    """Adds to `removed` the subtitle tracks `keep.subtitles` drops: forced ones by `forced`
    alone, then commentary, then other languages."""
    langs, shown = _wanted(keep.subtitles.languages, original)
    for t in tracks:
        if t.type != "subtitle":
            continue
        if t.forced:
            if keep.subtitles.forced == "none":
                removed[t.index] = f"subtitle track {t.index} is forced (keep.subtitles.forced: none)"
            elif keep.subtitles.forced == "kept_audio" and identity(t.language) not in kept_audio_langs:
                removed[t.index] = (
                    f"forced subtitle language {t.language} is not a kept audio language "
                    "(keep.subtitles.forced: kept_audio)"
                )
        elif t.index in commentary and not keep.subtitles.commentary:
            removed[t.index] = f"subtitle track {t.index} is commentary (keep.subtitles.commentary: false)"
        elif langs is not None and identity(t.language) not in langs:
            removed[t.index] = (
                f"subtitle language {t.language} is not kept (keep.subtitles.languages: {shown})"
            )


def _drop_attachments(tracks: Sequence[Track], keep: Keep, removed: dict[int, str], notes: list[str]) -> None:
    """Adds to `removed` the attachments `keep.attachments` drops; fonts stay while styled
    (ASS/SSA) subtitles remain, whatever it says."""
    if keep.attachments == "all":
        return
    styled = any(
        t.type == "subtitle" and (t.codec or "").lower() in STYLED_SUBTITLES and t.index not in removed
        for t in tracks
    )
    for t in tracks:
        if t.type != "attachment":
            continue
        if is_font(t):
            if styled:
                if keep.attachments == "none":
                    notes.append(
                        f"keep track {t.index} although keep.attachments is none: "
                        "it is a font and styled (ASS/SSA) subtitles remain"
                    )
                continue
            removed[t.index] = f"attachment {t.index} is a font and no styled (ASS/SSA) subtitles remain"
        else:
            removed[t.index] = f"attachment {t.index} is not a font (keep.attachments: {keep.attachments})"


def _keeps_everything(keep: Keep) -> bool:
    """Every language, commentary and forced track and every attachment stays: the default
    (and so every version 1 policy), where there is nothing to look at."""
    audio, subtitles = keep.audio, keep.subtitles
    return (
        audio.languages is None
        and audio.commentary
        and subtitles.languages is None
        and subtitles.forced == "all"
        and subtitles.commentary
        and keep.attachments == "all"
    )
