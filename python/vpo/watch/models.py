"""What a watcher watches: each root with the settings and default policy of its profile."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
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


class Mode(str, Enum):
    """How a root is watched now: `watchers.mode`, and the STATE of `vpo watch status`."""

    STARTING = "starting"
    EVENTS = "events"  # the OS's file events
    POLLING = "polling"  # a walk every watch.poll_interval (`watchers.reason` says why)
    AWAY = "away"  # not there (unmounted, renamed): nothing handled until it is back

    def __str__(self) -> str:
        return self.value
