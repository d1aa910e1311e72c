"""What a watcher watches: each root with the settings and default policy of its profile."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vpo.config.settings import Settings


@dataclass(frozen=True)
class WatchRoot:
    path: bytes  # absolute, normalised
    profile: str | None  # the profile that names it (None: a PATH given with no profile)
    settings: Settings  # that profile's effective settings (`watch.*`, `scan.*`, tools...)
    policy: Path | None  # that profile's default_policy

    @property
    def shown(self) -> str:
        return os.fsdecode(self.path)
