"""Jellyfin (https://api.jellyfin.org/, LibraryController and SystemController of
github.com/jellyfin/jellyfin) and Emby (https://dev.emby.media/reference/RestAPI.html,
LibraryService): the same requests, each server with its own key header.

- the key: Jellyfin `Authorization: MediaBrowser Token="KEY"` (also the older
  `X-Emby-Token`), Emby `X-Emby-Token` (or the `api_key` query parameter); a wrong or
  missing one is answered 401;
- `POST /Library/Media/Updated` with a MediaUpdateInfoDto,
  `{"Updates": [{"Path": "/media/films/X", "UpdateType": "Modified"}]}`: 204 No Content;
- `GET /System/Info`: `{"ServerName", "Version", "Id", "OperatingSystem", ...}`;
- `GET /Library/VirtualFolders`: `[{"Name", "Locations": [...], "CollectionType", "ItemId"}]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from protocol.server import NOT_FOUND, Answer, FakeService, Recorded, as_json

_TOKEN = re.compile(r'Token="([^"]*)"')


@dataclass
class FakeMediaBrowser(FakeService):
    product: str = "Jellyfin"  # or "Emby"
    libraries: list[tuple[str, list[str]]] = field(default_factory=list)

    def authorised(self, request: Recorded) -> bool:
        given = request.headers.get("x-emby-token") or (request.query.get("api_key") or [""])[0]
        if self.product == "Jellyfin" and not given:
            found = _TOKEN.search(request.headers.get("authorization", ""))
            given = found.group(1) if found else ""
        return given == self.key

    def answer(self, request: Recorded) -> Answer:
        key = (request.method, request.path.rstrip("/").lower())  # their routes ignore case
        if key == ("POST", "/library/media/updated"):
            body = request.json()
            if not isinstance(body, dict) or not isinstance(body.get("Updates"), list):
                return as_json({"error": "Updates required"}, 400)
            return 204, "text/plain", b""
        if key == ("GET", "/system/info"):
            return as_json(
                {"ServerName": "fake", "Version": "10.10.3", "Id": "f" * 32, "OperatingSystem": "Linux"}
            )
        if key == ("GET", "/library/virtualfolders"):
            return as_json(
                [
                    {"Name": n, "Locations": p, "CollectionType": "movies", "ItemId": str(i)}
                    for i, (n, p) in enumerate(self.libraries)
                ]
            )
        return NOT_FOUND

    def updates(self) -> list[dict[str, Any]]:
        """Every `Updates` entry sent, in order."""
        out: list[dict[str, Any]] = []
        for r in self.calls("POST"):
            if r.path.lower() == "/library/media/updated":
                out += (r.json() or {}).get("Updates", [])
        return out
