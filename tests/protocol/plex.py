"""Plex Media Server, as documented in Plex's support article "Plex Media Server URL
Commands" (https://support.plex.tv/articles/201638786-plex-media-server-url-commands/)
and sent by python-plexapi (`LibrarySection.update(path=...)`):

- the token: `X-Plex-Token` header (or query parameter); a wrong one is answered 401
  with Plex's small HTML page;
- `GET /library/sections`: XML, `<MediaContainer size="N" ...>` holding one
  `<Directory key="1" type="movie" title="Movies" ...>` per section, each with
  `<Location id="1" path="/data/movies"/>` per folder;
- `GET /library/sections/{key}/refresh?path=FOLDER`: a partial scan, 200 with no body
  (404 for an unknown section key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from protocol.server import NOT_FOUND, Answer, FakeService, Recorded

# (key, title, type, [folders])
Section = tuple[str, str, str, list[str]]


@dataclass
class FakePlex(FakeService):
    sections: list[Section] = field(default_factory=list)

    def authorised(self, request: Recorded) -> bool:
        given = request.headers.get("x-plex-token") or (request.query.get("X-Plex-Token") or [""])[0]
        return given == self.key

    def unauthorised(self) -> Answer:
        return (
            401,
            "text/html",
            b"<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>",
        )

    def answer(self, request: Recorded) -> Answer:
        path = request.path.rstrip("/")
        if (request.method, path) == ("GET", "/library/sections"):
            return 200, "text/xml;charset=utf-8", self._sections_xml().encode()
        parts = path.split("/")
        if (
            request.method == "GET"
            and len(parts) == 5
            and parts[1:3] == ["library", "sections"]
            and parts[4] == "refresh"
        ):
            if parts[3] not in {s[0] for s in self.sections}:
                return NOT_FOUND
            return 200, "text/html", b""
        return NOT_FOUND

    def refreshes(self) -> list[tuple[str, str | None]]:
        """(section key, the `path` asked for) of every refresh request."""
        out = []
        for r in self.calls("GET"):
            parts = r.path.split("/")
            if len(parts) == 5 and parts[4] == "refresh":
                out.append((parts[3], (r.query.get("path") or [None])[0]))
        return out

    def _sections_xml(self) -> str:
        directories = []
        for key, title, kind, folders in self.sections:
            locations = "".join(
                f"<Location id={quoteattr(str(n))} path={quoteattr(p)} />" for n, p in enumerate(folders, 1)
            )
            directories.append(
                f'<Directory allowSync="1" art="/:/resources/{kind}-fanart.jpg" filters="1" refreshing="0" '
                f"key={quoteattr(key)} type={quoteattr(kind)} title={quoteattr(title)} "
                f'agent="tv.plex.agents.{kind}" scanner="Plex {kind.title()}" language="en-US">{locations}</Directory>'
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<MediaContainer size="{len(directories)}" allowSync="0" title1="Plex Library">'
            + "".join(directories)
            + "</MediaContainer>"
        )
