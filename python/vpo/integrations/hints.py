"""What a Radarr or Sonarr hook event already told VPO about the files it hands over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hints:
    radarr_movie_id: int | None = None  # the event's radarr_movie_id: no lookup by path
    sonarr_series_id: int | None = None  # the event's sonarr_series_id
