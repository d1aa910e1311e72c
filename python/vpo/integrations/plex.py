"""Plex Media Server. Documented in Plex's support article "Plex Media Server URL
Commands" (https://support.plex.tv/articles/201638786-plex-media-server-url-commands/):
`GET /library/sections` (XML: a MediaContainer of Directory elements, each with its `key`,
`title`, `type` and Location elements holding the folders' `path`) and a partial scan,
`GET /library/sections/{key}/refresh?path=FOLDER`; the token in the `X-Plex-Token` header
(python-plexapi's LibrarySection.update(path=...) sends the same request)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from xml.etree import ElementTree

from vpo.config.integrations import PlexService
from vpo.integrations.http import Service, ServiceError
from vpo.paths import within

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    type: str
    locations: tuple[str, ...]

    def holds(self, folder: str) -> bool:
        return any(within(folder, location) for location in self.locations)


class PlexClient:
    def __init__(self, settings: PlexService, *, timeout: float, retries: int) -> None:
        headers = {"X-Plex-Token": settings.token, "Accept": "application/xml"}
        self.service = Service("plex", settings.url, headers, timeout=timeout, retries=retries)
        self._sections: list[Section] | None = None

    def close(self) -> None:
        self.service.close()

    def sections(self) -> list[Section]:
        """The library sections and their folders (read once per client)."""
        if self._sections is None:
            response = self.service.request("GET", "/library/sections")
            try:
                root = ElementTree.fromstring(response.content)
            except ElementTree.ParseError as exc:
                raise ServiceError("plex", f"GET /library/sections: not XML ({exc})", reached=True) from None
            self._sections = [
                Section(
                    key=str(d.get("key")),
                    title=str(d.get("title", "")),
                    type=str(d.get("type", "")),
                    locations=tuple(str(loc.get("path")) for loc in d.iter("Location") if loc.get("path")),
                )
                for d in root.iter("Directory")
                if d.get("key")
            ]
        return self._sections

    def section_for(self, folder: str) -> Section | None:
        """The section whose location holds `folder`, the deepest location first."""
        found = [(len(loc), s) for s in self.sections() for loc in s.locations if within(folder, loc)]
        return max(found, key=lambda pair: pair[0])[1] if found else None

    def refresh(self, section: Section, folder: str) -> None:
        self.service.request("GET", f"/library/sections/{section.key}/refresh", params={"path": folder})
        log.info("asked Plex to refresh %s in section %s (%s)", folder, section.key, section.title)
