"""Each track's category (video, audio_main, audio_alternate, subtitle_main, ...), with
why: what version 1's order and default flags are decided on. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vpo.media.models import Track
from vpo.policy.models import Policy
from vpo.policy.plan import identity, regexes


@dataclass(frozen=True)
class TrackClass:
    category: str
    reason: str
    rank: int  # its language's place in the preferences (their length: not preferred)


def classify(tracks: list[Track] | tuple[Track, ...], policy: Policy) -> dict[int, TrackClass]:
    """Each track's category, with why. Keyed by the track's current index."""
    patterns = tuple(zip(regexes(tuple(policy.commentary_patterns)), policy.commentary_patterns))
    audio_prefs = [identity(c) for c in policy.audio_language_preference]
    sub_prefs = [identity(c) for c in policy.subtitle_language_preference]
    out: dict[int, TrackClass] = {}
    audio = []
    for t in tracks:
        if t.type == "video":
            out[t.index] = TrackClass("video", f"track {t.index} is video", 0)
        elif t.type == "audio":
            hit = _commentary(t, patterns)
            if hit:
                out[t.index] = TrackClass(
                    "audio_commentary",
                    f"track {t.index} is audio_commentary: title matches {hit!r}",
                    _rank(t, audio_prefs),
                )
            else:
                audio.append(t)
        elif t.type == "subtitle":
            out[t.index] = _subtitle(t, _commentary(t, patterns), sub_prefs)
        else:
            out[t.index] = TrackClass("attachment", f"track {t.index} is {t.type}: kept with attachments", 0)
    if audio:
        out.update(_main_and_alternate(audio, audio_prefs))
    return out


def _commentary(track: Track, patterns: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    """The first commentary pattern (as written) that the track's title matches."""
    for pattern, source in patterns:
        if track.title and pattern.search(track.title):
            return source
    return None


def _rank(track: Track, prefs: list[str]) -> int:
    lang = identity(track.language)
    return prefs.index(lang) if lang in prefs else len(prefs)


def _subtitle(t: Track, commentary: str | None, prefs: list[str]) -> TrackClass:
    """A subtitle track: commentary (its title matched `commentary`), forced, or main."""
    if commentary:
        return TrackClass(
            "subtitle_commentary",
            f"track {t.index} is subtitle_commentary: title matches {commentary!r}",
            _rank(t, prefs),
        )
    if t.forced:
        return TrackClass(
            "subtitle_forced", f"track {t.index} is subtitle_forced: forced flag set", _rank(t, prefs)
        )
    r = _rank(t, prefs)
    why = (
        f"language {t.language} is subtitle preference #{r + 1}"
        if r < len(prefs)
        else f"language {t.language} is not a preferred subtitle language"
    )
    return TrackClass("subtitle_main", f"track {t.index} is subtitle_main: {why}", r)


def _main_and_alternate(audio: list[Track], prefs: list[str]) -> dict[int, TrackClass]:
    """The non-commentary audio tracks: the main language's (the best-preferred language
    present, else the default or first track's) are audio_main, the others audio_alternate."""
    best = min(audio, key=lambda t: (_rank(t, prefs), t.index))
    if _rank(best, prefs) < len(prefs):
        main_lang = identity(best.language)
        main_why = f"language {best.language} is audio preference #{_rank(best, prefs) + 1}"
    else:
        chosen = next((t for t in audio if t.default), audio[0])
        main_lang = identity(chosen.language)
        main_why = (
            f"no preferred audio language present; keeps the "
            f"{'default' if chosen.default else 'first'} audio track's language {chosen.language}"
        )
    out = {}
    for t in audio:
        r = _rank(t, prefs)
        if identity(t.language) == main_lang:
            out[t.index] = TrackClass("audio_main", f"track {t.index} is audio_main: {main_why}", r)
        else:
            out[t.index] = TrackClass(
                "audio_alternate",
                f"track {t.index} is audio_alternate: language {t.language} ranks below {main_lang}",
                r,
            )
    return out
