"""Jellyfin and Emby: the same MediaBrowser API for what VPO needs.

Jellyfin: documented at https://api.jellyfin.org/ (LibraryController in
github.com/jellyfin/jellyfin): `POST /Library/Media/Updated` with a MediaUpdateInfoDto,
`{"Updates": [{"Path": ..., "UpdateType": "Modified"}]}` (204), `GET /System/Info`,
`GET /Library/VirtualFolders` (each library's `Name` and `Locations`); the key in
`Authorization: MediaBrowser Token="KEY"`.
Emby: documented at https://dev.emby.media/reference/RestAPI.html (LibraryService):
the same three requests; the key in the `X-Emby-Token` header.
"""

from __future__ import annotations

import logging
from typing import Any

from vpo.config.integrations import ApiKeyService
from vpo.integrations.http import Service

log = logging.getLogger(__name__)


class MediaBrowserClient:
    def __init__(self, name: str, settings: ApiKeyService, *, timeout: float, retries: int) -> None:
        self.name = name
        if name == "jellyfin":
            headers = {"Authorization": f'MediaBrowser Token="{settings.api_key}"'}
        else:
            headers = {"X-Emby-Token": settings.api_key}
        self.service = Service(name, settings.url, headers, timeout=timeout, retries=retries)

    def close(self) -> None:
        self.service.close()

    def info(self) -> dict[str, Any]:
        found = self.service.get_json("/System/Info")
        return found if isinstance(found, dict) else {}

    def libraries(self) -> list[tuple[str, list[str]]]:
        """(name, folders) of each library."""
        found = self.service.get_json("/Library/VirtualFolders")
        if not isinstance(found, list):
            return []
        return [
            (str(f.get("Name", "")), [str(p) for p in f.get("Locations") or []])
            for f in found
            if isinstance(f, dict)
        ]

    def updated(self, folder: str) -> None:
        body = {"Updates": [{"Path": folder, "UpdateType": "Modified"}]}
        self.service.request("POST", "/Library/Media/Updated", json=body)
        log.info("told %s that %s changed", self.name.capitalize(), folder)
