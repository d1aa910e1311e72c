"""A client for each configured service, built from the settings in one place."""

from __future__ import annotations

from vpo.config.integrations import ApiKeyService, IntegrationsSettings, PlexService, Service
from vpo.integrations.arr import ArrClient
from vpo.integrations.mediabrowser import MediaBrowserClient
from vpo.integrations.plex import PlexClient
from vpo.integrations.radarr import radarr_client
from vpo.integrations.sonarr import sonarr_client

Client = ArrClient | PlexClient | MediaBrowserClient


def client_for(name: str, service: Service, settings: IntegrationsSettings) -> Client:
    timeout, retries = settings.timeout, settings.retries
    if isinstance(service, PlexService):
        return PlexClient(service, timeout=timeout, retries=retries)
    assert isinstance(service, ApiKeyService)
    if name == "radarr":
        return radarr_client(service, timeout=timeout, retries=retries)
    if name == "sonarr":
        return sonarr_client(service, timeout=timeout, retries=retries)
    return MediaBrowserClient(name, service, timeout=timeout, retries=retries)
