"""Language codes: the catalogue stores ISO 639-2; policies compare by language identity."""

from __future__ import annotations

from vpo.media.iso639_data import ALIASES, BIBLIOGRAPHIC

__all__ = ["ALIASES", "UNDETERMINED", "identity", "normalize", "same_language"]

UNDETERMINED = "und"


def normalize(code: str | None) -> str:
    """The ISO 639-2 code to store: 2-letter codes become the 3-letter (bibliographic) form;
    unknown or empty tags become `und`; 3-letter codes are kept as the file states them."""
    if not code:
        return UNDETERMINED
    text = code.strip().lower().split("-", 1)[0]  # "en-US" -> "en"
    terminologic = ALIASES.get(text)
    if terminologic is None:
        return UNDETERMINED
    if len(text) == 3:
        return text
    return BIBLIOGRAPHIC.get(terminologic, terminologic)


def identity(code: str | None) -> str:
    """One key per language: `fr`, `fre` and `fra` all give `fra`."""
    if not code:
        return UNDETERMINED
    return ALIASES.get(code.strip().lower().split("-", 1)[0], UNDETERMINED)


def same_language(a: str | None, b: str | None) -> bool:
    return identity(a) == identity(b)
