"""PLACEHOLDER (Part I owns this module): what a hook event already told us."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hints:
    radarr_movie_id: int | None = None
    sonarr_series_id: int | None = None
