"""A language as Radarr and Sonarr give it, made an ISO 639-2/B code.

Their Custom Script environment gives a film's or series' original language as a
three-letter code (`radarr_movie_originallanguage=jpn`, ISO 639-2/T: `fra`, `deu`); their
API and pages name it ("Japanese"). Names are read off media/language_names.py (ISO 639-2's
English names, "Greek, Modern (1453-)" also as "Greek"), and the few Radarr and Sonarr
spell their own way (src/NzbDrone.Core/Parser/IsoLanguages.cs in both projects)."""

from __future__ import annotations

from functools import cache

from vpo.media.iso639_data import ALIASES, BIBLIOGRAPHIC
from vpo.media.language_names import NAMES

# Radarr's and Sonarr's names that ISO 639-2 spells otherwise
THEIR_NAMES = {
    "bengali": "ben",
    "farsi": "fas",
    "flemish": "nld",
    "greek": "ell",
    "persian": "fas",
    "norwegian bokmal": "nob",
    "portuguese (brazil)": "por",
    "spanish (latino)": "spa",
}
NOT_A_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def language_code(text: str | None) -> str | None:
    """The ISO 639-2/B code of a code (`ja`, `jpn`, `fra`, `zh-CN`) or a name (`Japanese`);
    None for nothing, `und`, or what names no language (Radarr's "Original", "Unknown")."""
    if not text or not text.strip():
        return None
    key = text.strip().lower()
    terminologic = ALIASES.get(key.split("-", 1)[0]) or _by_name().get(key)
    if terminologic is None or terminologic in NOT_A_LANGUAGE:
        return None
    return BIBLIOGRAPHIC.get(terminologic, terminologic)


@cache
def _by_name() -> dict[str, str]:
    """Lower-case name -> ISO 639-2/T code: each name, and each of `A; B` and the part before
    a comma ("Greek, Modern (1453-)" is "Greek") where no other language has that name."""
    found: dict[str, str] = {}
    for code, name in NAMES.items():
        for part in name.lower().split(";"):
            found.setdefault(part.strip(), code)
    for code, name in NAMES.items():
        short = name.lower().split(",", 1)[0].strip()
        found.setdefault(short, code)
    return {**found, **THEIR_NAMES}
