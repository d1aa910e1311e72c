"""Radarr and Sonarr: the same v3 API, with movies or series (radarr.py, sonarr.py say
which, and where it is documented).

Used: `GET /api/v3/{movie|series}` (every item, with its `path` folder and
`originalLanguage`), `POST /api/v3/command` (`{"name": "RescanMovie", "movieId": N}`),
`GET /api/v3/rootfolder`, `GET /api/v3/system/status`; the key in `X-Api-Key`.
"""

from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass
from typing import Any

from vpo.config.integrations import ApiKeyService
from vpo.integrations.http import Service, ServiceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArrKind:
    name: str  # "radarr"
    shown: str  # "Radarr"
    items: str  # "/api/v3/movie"
    command: str  # "RescanMovie"
    id_field: str  # "movieId"
    noun: str  # "movie"


class ArrClient:
    def __init__(self, kind: ArrKind, settings: ApiKeyService, *, timeout: float, retries: int) -> None:
        self.kind = kind
        self.service = Service(
            kind.name, settings.url, {"X-Api-Key": settings.api_key}, timeout=timeout, retries=retries
        )
        self._by_folder: dict[str, dict[str, Any]] | None = None

    def close(self) -> None:
        self.service.close()

    def status(self) -> dict[str, Any]:
        found = self.service.get_json("/api/v3/system/status")
        return found if isinstance(found, dict) else {}

    def root_folders(self) -> list[str]:
        found = self.service.get_json("/api/v3/rootfolder")
        return (
            [str(f["path"]) for f in found if isinstance(f, dict) and f.get("path")]
            if isinstance(found, list)
            else []
        )

    def item_for(self, path: bytes) -> dict[str, Any] | None:
        """The movie or series whose folder holds `path` (the deepest one), or None."""
        by_folder = self._folders()
        folder = os.fsdecode(path).rstrip("/")
        while folder not in ("", "/"):
            if folder in by_folder:
                return by_folder[folder]
            parent = posixpath.dirname(folder)
            if parent == folder:
                break
            folder = parent
        return None

    def rescan(self, item_id: int) -> None:
        body = {"name": self.kind.command, self.kind.id_field: item_id}
        self.service.request("POST", "/api/v3/command", json=body)
        log.info("asked %s to rescan %s %d", self.kind.shown, self.kind.noun, item_id)

    def _folders(self) -> dict[str, dict[str, Any]]:
        """Every item by its folder, read once per client (one request per run)."""
        if self._by_folder is None:
            items = self.service.get_json(self.kind.items)
            if not isinstance(items, list):
                raise ServiceError(self.kind.name, f"GET {self.kind.items}: not a list", reached=True)
            self._by_folder = {
                str(item["path"]).rstrip("/"): item
                for item in items
                if isinstance(item, dict) and item.get("path") and isinstance(item.get("id"), int)
            }
        return self._by_folder
