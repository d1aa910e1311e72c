"""Sonarr's v3 API. Documented at https://sonarr.tv/docs/api/ (src/Sonarr.Api.V3 in
github.com/Sonarr/Sonarr): `GET /api/v3/series` (SeriesResource: id, path,
originalLanguage {id, name} from Sonarr v4), `POST /api/v3/command` with
`{"name": "RescanSeries", "seriesId": N}` (RescanSeriesCommand), `GET /api/v3/rootfolder`,
`GET /api/v3/system/status`; header `X-Api-Key`."""

from __future__ import annotations

from vpo.config.integrations import ApiKeyService
from vpo.integrations.arr import ArrClient, ArrKind

SONARR = ArrKind("sonarr", "Sonarr", "/api/v3/series", "RescanSeries", "seriesId", "series")


def sonarr_client(settings: ApiKeyService, *, timeout: float, retries: int) -> ArrClient:
    return ArrClient(SONARR, settings, timeout=timeout, retries=retries)
