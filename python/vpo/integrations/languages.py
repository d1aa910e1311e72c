"""PLACEHOLDER (Part I owns this module): a film's or series' original language from the
Radarr or Sonarr API. No integration can be configured on this branch: never known."""

from __future__ import annotations

from vpo.config.settings import Settings


def original_language_for(settings: Settings, path: bytes) -> tuple[str, str] | None:
    return None
