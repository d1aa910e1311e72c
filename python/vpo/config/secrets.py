"""Secrets a settings file holds, and the one warning when others can read such a file.

A config or profile file may hold a database password (`database.url`), API keys and
tokens (`integrations:`) or passwords in notification URLs: each section that holds one
says so in `secrets_in`, and `warn_if_readable` is the only check of the file's mode
(SPEC sections 16 and 18). The values themselves are masked by redact.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("vpo.config")

READABLE_BY_OTHERS = 0o044  # group or others may read


def secrets_in(values: dict[str, dict[str, Any]]) -> list[str]:
    """What secrets a file's validated sections hold, as words for the warning."""
    from vpo.config.integrations import ApiKeyService, PlexService
    from vpo.redact import has_password

    held = []
    url = values.get("database", {}).get("url")
    if url and has_password(url):
        held.append("a database password")
    for name, value in values.get("integrations", {}).items():
        if isinstance(value, ApiKeyService):
            held.append(f"the {name} API key")
        elif isinstance(value, PlexService):
            held.append(f"the {name} token")
    if values.get("notify", {}).get("urls"):
        held.append("notification URLs")
    return held


def warn_if_readable(path: Path | str | bytes, held: Sequence[str]) -> bool:
    """Warn (once per call) when `path` holds the secrets `held` and group or others can
    read it; True when it warned."""
    if not held:
        return False
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if not mode & READABLE_BY_OTHERS:
        return False
    shown = os.fsdecode(path) if isinstance(path, bytes) else str(path)
    log.warning("%s holds %s and can be read by other users; chmod 600 it", shown, _listed(held))
    return True


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
