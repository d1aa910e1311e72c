"""Radarr's v3 API. Documented at https://radarr.video/docs/api/ (the OpenAPI file
src/Radarr.Api.V3/openapi.json in github.com/Radarr/Radarr): `GET /api/v3/movie`
(MovieResource: id, path, movieFile.path, originalLanguage {id, name}),
`POST /api/v3/command` with `{"name": "RescanMovie", "movieId": N}` (RescanMovieCommand),
`GET /api/v3/rootfolder`, `GET /api/v3/system/status`; header `X-Api-Key`."""

from __future__ import annotations

from vpo.config.integrations import ApiKeyService
from vpo.integrations.arr import ArrClient, ArrKind

RADARR = ArrKind("radarr", "Radarr", "/api/v3/movie", "RescanMovie", "movieId", "movie")


def radarr_client(settings: ApiKeyService, *, timeout: float, retries: int) -> ArrClient:
    return ArrClient(RADARR, settings, timeout=timeout, retries=retries)
