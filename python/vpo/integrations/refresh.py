"""After VPO changed files (apply, transcode, undo): ask each configured service to look
again, coalesced: Radarr and Sonarr one `RescanMovie` / `RescanSeries` per movie or series,
Plex one partial refresh per folder (in the section holding it), Jellyfin and Emby one
`Media/Updated` per folder. Each request is time-limited and retried (http.py); a service
that fails gives a warning line, never an exception, and is not asked again in this run.

Paths are sent as the services see them: a host with `paths.map` sends the catalogue's
name of the file (as the hook receives it from them, docs/media-stack.md).
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Sequence
from typing import TYPE_CHECKING

from vpo.config.integrations import IntegrationsSettings
from vpo.config.settings import Settings
from vpo.hostpaths import Mapping, to_catalogue
from vpo.integrations.hints import Hints

if TYPE_CHECKING:
    from vpo.integrations.arr import ArrClient
    from vpo.integrations.clients import Client

log = logging.getLogger(__name__)


def refresh_changed(settings: Settings, paths: Sequence[bytes], *, hints: Hints | None = None) -> list[str]:
    """Refresh what changed at `paths` in every configured service; the warning lines."""
    return refresh_paths(settings.integrations, paths, hints=hints, path_map=settings.paths.map)


def refresh_paths(
    integrations: IntegrationsSettings,
    paths: Sequence[bytes],
    *,
    hints: Hints | None = None,
    path_map: Mapping = (),
) -> list[str]:
    """refresh_changed for the callers that carry the two settings it needs (apply)."""
    services = integrations.configured()
    if not paths or not services:
        return []
    # only now: httpx is not imported by a run that has nothing to tell anyone
    from vpo.integrations.clients import client_for
    from vpo.integrations.http import ServiceError

    seen = sorted({os.fsdecode(to_catalogue(os.path.abspath(p), path_map)) for p in paths})
    warnings = []
    for name, service in services:
        client = client_for(name, service, integrations)
        try:
            _refresh(client, seen, hints or Hints())
        except ServiceError as exc:
            warnings.append(f"{exc}; not refreshed")
            log.warning("%s; not refreshed", exc)
        finally:
            client.close()
    return warnings


def _refresh(client: Client, paths: list[str], hints: Hints) -> None:
    from vpo.integrations.arr import ArrClient
    from vpo.integrations.mediabrowser import MediaBrowserClient
    from vpo.integrations.plex import PlexClient

    folders = sorted({posixpath.dirname(p) for p in paths})
    if isinstance(client, ArrClient):
        for item_id in _item_ids(client, paths, hints):
            client.rescan(item_id)
    elif isinstance(client, PlexClient):
        for folder in folders:
            section = client.section_for(folder)
            if section is None:
                log.info("no Plex section holds %s; not refreshed", folder)
                continue
            client.refresh(section, folder)
    elif isinstance(client, MediaBrowserClient):
        for folder in folders:
            client.updated(folder)


def _item_ids(client: ArrClient, paths: list[str], hints: Hints) -> list[int]:
    """The movies' or series' ids: the hook's, else each file's looked up by path."""
    hinted = hints.radarr_movie_id if client.kind.name == "radarr" else hints.sonarr_series_id
    if hinted is not None:
        return [hinted]
    ids = set()
    for path in paths:
        item = client.item_for(os.fsencode(path))
        if item is None:
            log.info("%s manages no %s holding %s; not rescanned", client.kind.shown, client.kind.noun, path)
        else:
            ids.add(int(item["id"]))
    return sorted(ids)
