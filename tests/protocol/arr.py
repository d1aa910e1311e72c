"""Radarr and Sonarr, v3 API, as documented at https://radarr.video/docs/api/ and
https://sonarr.tv/docs/api/ (the OpenAPI files of github.com/Radarr/Radarr and
github.com/Sonarr/Sonarr):

- the key: `X-Api-Key` header (or `apikey` query parameter); a wrong or missing one
  is answered 401 with no body;
- `GET /api/v3/movie` / `GET /api/v3/series`: every item (MovieResource /
  SeriesResource: `id`, `title`, `path`, `originalLanguage: {"id", "name"}`; a movie also
  its `movieFile: {"path", ...}`);
- `POST /api/v3/command` `{"name": "RescanMovie", "movieId": N}` /
  `{"name": "RescanSeries", "seriesId": N}`: 201 with the CommandResource (`id`, `name`,
  `body`, `status: "queued"`); `GET /api/v3/command/{id}`: the same resource;
- `GET /api/v3/rootfolder`: `[{"id", "path", "accessible", "freeSpace"}]`;
- `GET /api/v3/system/status`: `{"appName", "version", ...}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol.server import NOT_FOUND, Answer, FakeService, Recorded, as_json


@dataclass
class FakeArr(FakeService):
    app: str = "Radarr"
    items: list[dict[str, Any]] = field(default_factory=list)
    root_folders: list[str] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)

    @property
    def _noun(self) -> str:
        return "movie" if self.app == "Radarr" else "series"

    def authorised(self, request: Recorded) -> bool:
        given = request.headers.get("x-api-key") or (request.query.get("apikey") or [""])[0]
        return given == self.key

    def unauthorised(self) -> Answer:
        return 401, "text/plain", b""

    def answer(self, request: Recorded) -> Answer:
        method, path = request.method, request.path.rstrip("/")
        if (method, path) == ("GET", f"/api/v3/{self._noun}"):
            return as_json(self.items)
        if (method, path) == ("GET", "/api/v3/rootfolder"):
            return as_json(
                [
                    {"id": n, "path": p, "accessible": True, "freeSpace": 10**12}
                    for n, p in enumerate(self.root_folders, 1)
                ]
            )
        if (method, path) == ("GET", "/api/v3/system/status"):
            return as_json({"appName": self.app, "instanceName": self.app, "version": "5.14.0.9383"})
        if (method, path) == ("POST", "/api/v3/command"):
            return self._command(request)
        if method == "GET" and path.startswith("/api/v3/command/"):
            wanted = path.rsplit("/", 1)[1]
            found = [c for c in self.commands if str(c["id"]) == wanted]
            return as_json(found[0]) if found else NOT_FOUND
        return NOT_FOUND

    def _command(self, request: Recorded) -> Answer:
        body = request.json() or {}
        known = {"Radarr": ("RescanMovie", "movieId"), "Sonarr": ("RescanSeries", "seriesId")}[self.app]
        if body.get("name") != known[0]:
            return as_json({"message": f"unknown command {body.get('name')!r}"}, 400)
        command = {
            "id": len(self.commands) + 1,
            "name": body["name"],
            "commandName": "Rescan " + ("Movie" if self.app == "Radarr" else "Series"),
            "body": body,
            "priority": "normal",
            "status": "queued",
            "trigger": "manual",
        }
        self.commands.append(command)
        return as_json(command, 201)


def movie(
    movie_id: int, folder: str, *, file: str | None = None, language: str = "English"
) -> dict[str, Any]:
    """A MovieResource as Radarr returns it (the fields VPO reads, and a few around them)."""
    ids = {"English": 1, "French": 2, "German": 4, "Japanese": 8, "Italian": 5, "Spanish": 3}
    return {
        "id": movie_id,
        "title": folder.rstrip("/").rsplit("/", 1)[-1],
        "path": folder,
        "hasFile": file is not None,
        "movieFile": {"id": movie_id, "movieId": movie_id, "path": file} if file else None,
        "originalLanguage": {"id": ids.get(language, 0), "name": language},
        "monitored": True,
    }


def series(series_id: int, folder: str, *, language: str = "English") -> dict[str, Any]:
    """A SeriesResource as Sonarr returns it."""
    return {
        "id": series_id,
        "title": folder.rstrip("/").rsplit("/", 1)[-1],
        "path": folder,
        "originalLanguage": {"id": 1 if language == "English" else 8, "name": language},
        "monitored": True,
    }
