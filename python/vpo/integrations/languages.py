"""What Radarr and Sonarr know about a film or series: its original language.

Their API gives `originalLanguage` as a name (`{"id": 8, "name": "Japanese"}`, Radarr's
Language list; Sonarr v4 the same); VPO wants an ISO 639-2/B code, found by the English
name in media/language_names.py ("Flemish" is Dutch, "Portuguese (Brazil)" Portuguese).
"""

from __future__ import annotations

import logging
import os
import re
from functools import cache

from vpo.config.settings import Settings
from vpo.hostpaths import to_catalogue

log = logging.getLogger(__name__)

# Radarr's names that are not (the first words of) an ISO 639-2 name
_OTHER_NAMES = {"flemish": "dut", "greek": "gre", "persian": "per", "farsi": "per"}
_NO_LANGUAGE = {"any", "original", "unknown", "none"}


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
        code = language_code(language.get("name")) if isinstance(language, dict) else None
        if code is not None:
            return code, name.capitalize()
    return None


def language_code(name: object) -> str | None:
    """`Japanese` -> `jpn`, `French` -> `fre`; None for an unknown name or "Any"/"Original"."""
    if not isinstance(name, str):
        return None
    key = re.sub(r"\s*\(.*\)$", "", name).strip().lower()  # "Spanish (Latino)" -> "spanish"
    if not key or key in _NO_LANGUAGE:
        return None
    return _OTHER_NAMES.get(key) or _by_name().get(key)


@cache
def _by_name() -> dict[str, str]:
    """English language name (whole, or its words before a comma) -> ISO 639-2/B."""
    from vpo.media.iso639_data import BIBLIOGRAPHIC
    from vpo.media.language_names import NAMES

    found: dict[str, str] = {}
    for full in (True, False):  # "English" before "English, Old (ca. 450-1100)"'s "english"
        for code, names in sorted(NAMES.items()):
            for part in names.split(";"):
                key = part.strip().lower() if full else part.split(",")[0].strip().lower()
                found.setdefault(key, BIBLIOGRAPHIC.get(code, code))
    return found
