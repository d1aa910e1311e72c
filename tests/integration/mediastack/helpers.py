"""Writing `integrations:` into a test's config.yaml."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from protocol.arr import FakeArr
from protocol.jellyfin import FakeMediaBrowser
from protocol.plex import FakePlex


def entry(server: Any, key: str | None = None) -> dict[str, str]:
    secret = key or server.key
    if isinstance(server, FakePlex):
        return {"url": server.url, "token": secret}
    assert isinstance(server, (FakeArr, FakeMediaBrowser))
    return {"url": server.url, "api_key": secret}


def write_config(
    home: Path,
    services: dict[str, dict[str, str]],
    *,
    timeout: float = 2,
    retries: int = 1,
    mode: int = 0o600,
) -> Path:
    """config.yaml with these services (name -> entry), private unless `mode` says otherwise."""
    home.mkdir(parents=True, exist_ok=True)
    lines = ["integrations:"]
    for name, fields in services.items():
        lines.append(f"  {name}:")
        lines += [f'    {k}: "{v}"' for k, v in fields.items()]
    lines += [f"  timeout: {timeout}", f"  retries: {retries}"]
    path = home / "config.yaml"
    existing = path.read_text() if path.exists() else ""
    path.write_text(existing + "\n".join(lines) + "\n")
    os.chmod(path, mode)
    return path
