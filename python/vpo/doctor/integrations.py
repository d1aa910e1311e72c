"""`vpo doctor`'s integration checks (and `vpo hook`'s Test event): each configured
service reachable, its key accepted, what it sees (Radarr's and Sonarr's root folders,
Plex's sections, Jellyfin's and Emby's libraries); then which library roots (the
profiles' `roots`) no service's folders cover, as the services name them."""

from __future__ import annotations

import os
from typing import Any

from vpo.config.integrations import IntegrationsSettings, Service
from vpo.config.settings import Settings
from vpo.doctor.models import Check
from vpo.hostpaths import to_catalogue
from vpo.paths import within


def integration_checks(settings: Settings) -> list[Check]:
    """One check per configured service, and one for the roots they cover (none when no
    integration is configured)."""
    integrations = settings.integrations
    services = integrations.configured()
    if not services:
        return []
    checks, folders = [], []
    for name, service in services:
        check, seen = _service_check(name, service, integrations)
        checks.append(check)
        folders += seen
    roots = _library_roots(settings)
    if roots and any(c.ok for c in checks):
        checks.append(_coverage(roots, folders, settings))
    return checks


def _service_check(
    name: str, service: Service, integrations: IntegrationsSettings
) -> tuple[Check, list[str]]:
    """The check of one service and the folders it sees."""
    from vpo.integrations.clients import client_for
    from vpo.integrations.http import ServiceError

    data: dict[str, Any] = {"url": service.url}
    client = client_for(name, service, integrations)
    try:
        what, folders, extra = _what_it_sees(client)
    except ServiceError as exc:
        data.update(reachable=exc.reached, key_accepted=not exc.rejected and exc.reached)
        detail = f"{service.url}: {exc.reason}" + (f"; check integrations.{name}" if exc.rejected else "")
        return Check(f"integration:{name}", False, detail, data), []
    finally:
        client.close()
    data.update(reachable=True, key_accepted=True, folders=folders, **extra)
    return Check(f"integration:{name}", True, f"{service.url}: {what}", data), folders


def _what_it_sees(client: Any) -> tuple[str, list[str], dict[str, Any]]:
    """(one line, its folders, more data) of what the service sees."""
    from vpo.integrations.arr import ArrClient
    from vpo.integrations.plex import PlexClient

    if isinstance(client, ArrClient):
        version = client.status().get("version", "?")
        roots = client.root_folders()
        shown = ", ".join(roots) or "none"
        return f"{client.kind.shown} {version}, root folders: {shown}", roots, {"version": version}
    if isinstance(client, PlexClient):
        sections = client.sections()
        shown = "; ".join(f"{s.title} ({', '.join(s.locations)})" for s in sections) or "none"
        folders = [loc for s in sections for loc in s.locations]
        return f"Plex, sections: {shown}", folders, {"sections": [s.title for s in sections]}
    info = client.info()
    libraries = client.libraries()
    shown = "; ".join(f"{n} ({', '.join(p)})" for n, p in libraries) or "none"
    folders = [p for _, paths in libraries for p in paths]
    version = info.get("Version", "?")
    return f"{client.name.capitalize()} {version}, libraries: {shown}", folders, {"version": version}


def _library_roots(settings: Settings) -> list[str]:
    """Every valid profile's roots, each once."""
    from vpo.config.profiles import list_profiles

    roots: list[str] = []
    for entry in list_profiles(settings.home):
        if entry.valid:
            roots += [r for r in entry.roots if r not in roots]
    return roots


def _coverage(roots: list[str], folders: list[str], settings: Settings) -> Check:
    """Which roots hold no folder a service sees (nor lie in one): nothing VPO changes
    there is refreshed anywhere. Informational: a library may well have no media server."""
    uncovered = []
    for root in roots:
        seen = os.fsdecode(to_catalogue(os.fsencode(root), settings.paths.map))
        if not any(within(seen, f) or within(f, seen) for f in folders):
            uncovered.append(root)
    data = {"roots": roots, "uncovered": uncovered}
    if not uncovered:
        return Check("integrations:roots", True, "every library root is covered by an integration", data)
    return Check("integrations:roots", True, "no integration covers " + ", ".join(uncovered), data)
