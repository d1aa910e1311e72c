"""What Radarr and Sonarr know about a film or series: its original language.

Their API gives `originalLanguage` as a name (`{"id": 8, "name": "Japanese"}`, Radarr's
Language list; Sonarr v4 the same); VPO wants an ISO 639-2/B code (media/language_lookup.py,
which the hook's environment goes through too).
"""

from __future__ import annotations

import logging
import os

from vpo.config.settings import Settings
from vpo.hostpaths import to_catalogue
from vpo.media.language_lookup import language_code

log = logging.getLogger(__name__)


def original_language_for(settings: Settings, path: bytes) -> tuple[str, str] | None:
    """(ISO 639-2/B code, "Radarr" or "Sonarr") of the movie or series holding `path`;
    None without an integration, a match or an answer (a failure is logged, never raised)."""
    from vpo.integrations.http import ServiceError
    from vpo.integrations.radarr import radarr_client
    from vpo.integrations.sonarr import sonarr_client

    integrations = settings.integrations
    seen = to_catalogue(os.path.abspath(path), settings.paths.map)
    for name, make in (("radarr", radarr_client), ("sonarr", sonarr_client)):
        service = getattr(integrations, name)
        if service is None:
            continue
        client = make(service, timeout=integrations.timeout, retries=integrations.retries)
        try:
            item = client.item_for(seen)
        except ServiceError as exc:
            log.warning("%s; no original language from it", exc)
            continue
        finally:
            client.close()
        language = (item or {}).get("originalLanguage")
        name_given = language.get("name") if isinstance(language, dict) else None
        code = language_code(name_given) if isinstance(name_given, str) else None
        if code is not None:
            return code, name.capitalize()
    return None
