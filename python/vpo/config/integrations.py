"""`integrations:` in config.yaml or a profile: the Radarr, Sonarr, Plex, Jellyfin and Emby
VPO asks to refresh what it changed (SPEC section 18, docs/media-stack.md).

```yaml
integrations:
  radarr: {url: http://localhost:7878, api_key: 0123abcd...}
  plex: {url: http://localhost:32400, token: AbCd...}
  timeout: 5      # seconds per request
  retries: 2      # further attempts after a connection error or a 5xx answer
```

Plain dataclasses, as the other sections (the loader validates a file into them); a
service is None when it is not configured. Its API key or token is a secret: the loader
remembers it (redact.remember) the moment it reads it, so no printer, log or job shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

FORBID = {"extra": "forbid"}  # pydantic config, read only when validating a file
SECRET_KEYS = ("api_key", "token")  # the keys whose value is a secret, in any service


@dataclass(frozen=True)
class ApiKeyService:
    """Radarr, Sonarr (Settings > General > API Key), Jellyfin, Emby (Dashboard > API Keys)."""

    __pydantic_config__ = FORBID
    url: str
    api_key: str


@dataclass(frozen=True)
class PlexService:
    """Plex: its X-Plex-Token (Plex's support article "Finding an authentication token")."""

    __pydantic_config__ = FORBID
    url: str
    token: str


Service = ApiKeyService | PlexService


@dataclass(frozen=True)
class IntegrationsSettings:
    __pydantic_config__ = FORBID
    radarr: ApiKeyService | None = None
    sonarr: ApiKeyService | None = None
    plex: PlexService | None = None
    jellyfin: ApiKeyService | None = None
    emby: ApiKeyService | None = None
    timeout: float = 5.0  # seconds per request
    retries: int = 2  # further attempts after a connection error or a 5xx answer

    def configured(self) -> list[tuple[str, Service]]:
        """(name, service) of every configured service, in a fixed order."""
        return [(name, value) for name in SERVICES if (value := getattr(self, name)) is not None]


SERVICES = ("radarr", "sonarr", "plex", "jellyfin", "emby")
# each service's keys, for "unknown key ...; accepted keys: ..." errors
ACCEPTED = {
    ("integrations", name): [f.name for f in fields(PlexService if name == "plex" else ApiKeyService)]
    for name in SERVICES
}


def secret_of(service: Service) -> str:
    return service.api_key if isinstance(service, ApiKeyService) else service.token


def raw_secrets(section: Any) -> list[str]:
    """Every secret-looking value written under `integrations:` (before validation, so even
    a value that fails it is masked in the error that quotes it)."""
    if not isinstance(section, dict):
        return []
    found = []
    for name in SERVICES:
        entry = section.get(name)
        if isinstance(entry, dict):
            found += [str(entry[key]) for key in SECRET_KEYS if entry.get(key) not in (None, "")]
    return found


def url_problem(url: str) -> str | None:
    """Why a service's URL cannot be used, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an http:// or https:// URL with a host (got {url!r})"
    if parts.password is not None or parts.username is not None:
        return "must not hold a user or password (put the key in api_key or token)"
    return None


def service_problem(value: Any) -> str | None:
    """Why a validated `integrations.<service>` entry is still wrong, or None."""
    if not isinstance(value, (ApiKeyService, PlexService)):
        return None
    problem = url_problem(value.url)
    if problem:
        return f"url: {problem}"
    if not secret_of(value).strip():
        return f"{'api_key' if isinstance(value, ApiKeyService) else 'token'}: cannot be empty"
    return None


def shown(value: Any) -> Any:
    """A service as `profiles show` prints it: its secret as `***`."""
    if not isinstance(value, (ApiKeyService, PlexService)):
        return value
    out = {f.name: getattr(value, f.name) for f in fields(value)}
    for key in SECRET_KEYS:
        if key in out:
            out[key] = "***"
    return out
