"""Each track's category (video, audio_main, audio_alternate, subtitle_main, ...), with
why: what version 1's order and default flags are decided on. Pure."""

from __future__ import annotations

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
    patterns = regexes(tuple(policy.commentary_patterns))
    audio_prefs = [identity(c) for c in policy.audio_language_preference]
    sub_prefs = [identity(c) for c in policy.subtitle_language_preference]
    out: dict[int, TrackClass] = {}

    def commentary(track: Track) -> str | None:
        for pattern, source in zip(patterns, policy.commentary_patterns):
            if track.title and pattern.search(track.title):
                return source
        return None

    def rank(track: Track, prefs: list[str]) -> int:
        lang = identity(track.language)
        return prefs.index(lang) if lang in prefs else len(prefs)

    audio = []
    for t in tracks:
        if t.type == "video":
            out[t.index] = TrackClass("video", f"track {t.index} is video", 0)
        elif t.type == "audio":
            hit = commentary(t)
            if hit:
                out[t.index] = TrackClass(
                    "audio_commentary",
                    f"track {t.index} is audio_commentary: title matches {hit!r}",
                    rank(t, audio_prefs),
                )
            else:
                audio.append(t)
        elif t.type == "subtitle":
            hit = commentary(t)
            if hit:
                out[t.index] = TrackClass(
                    "subtitle_commentary",
                    f"track {t.index} is subtitle_commentary: title matches {hit!r}",
                    rank(t, sub_prefs),
                )
            elif t.forced:
                out[t.index] = TrackClass(
                    "subtitle_forced",
                    f"track {t.index} is subtitle_forced: forced flag set",
                    rank(t, sub_prefs),
                )
            else:
                r = rank(t, sub_prefs)
                why = (
                    f"language {t.language} is subtitle preference #{r + 1}"
                    if r < len(sub_prefs)
                    else f"language {t.language} is not a preferred subtitle language"
                )
                out[t.index] = TrackClass("subtitle_main", f"track {t.index} is subtitle_main: {why}", r)
        else:
            out[t.index] = TrackClass("attachment", f"track {t.index} is {t.type}: kept with attachments", 0)
    if audio:
        best = min(audio, key=lambda t: (rank(t, audio_prefs), t.index))
        if rank(best, audio_prefs) < len(audio_prefs):
            main_lang = identity(best.language)
            main_why = f"language {best.language} is audio preference #{rank(best, audio_prefs) + 1}"
        else:
            chosen = next((t for t in audio if t.default), audio[0])
            main_lang = identity(chosen.language)
            main_why = (
                f"no preferred audio language present; keeps the "
                f"{'default' if chosen.default else 'first'} audio track's language {chosen.language}"
            )
        for t in audio:
            r = rank(t, audio_prefs)
            if identity(t.language) == main_lang:
                out[t.index] = TrackClass("audio_main", f"track {t.index} is audio_main: {main_why}", r)
            else:
                out[t.index] = TrackClass(
                    "audio_alternate",
                    f"track {t.index} is audio_alternate: language {t.language} ranks below {main_lang}",
                    r,
                )
    return out
