"""The effective settings every command receives. Frozen dataclasses with built-in defaults.

They are plain dataclasses (not pydantic models) so that commands that find no config file
never pay for importing pydantic; the loader validates YAML into these same classes with
pydantic when a file exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vpo.catalogue import DEFAULT_EXTENSIONS
from vpo.config.integrations import IntegrationsSettings

FORBID = {"extra": "forbid"}  # pydantic config, read only when validating a file


@dataclass(frozen=True)
class ToolsSettings:
    __pydantic_config__ = FORBID
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    mkvmerge: str = "mkvmerge"
    mkvpropedit: str = "mkvpropedit"
    mkvextract: str = "mkvextract"


@dataclass(frozen=True)
class ScanSettings:
    __pydantic_config__ = FORBID
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    prune: bool = False
    workers: int = 0  # 0: one per CPU core
    follow_symlinks: bool = False
    prober: Literal["pyav", "ffprobe"] = "pyav"
    probe_timeout: float = 60.0
    quick_check: bool = True  # integrity quick check with every probe (docs/integrity.md)


@dataclass(frozen=True)
class BehaviorSettings:
    __pydantic_config__ = FORBID
    keep_backup: bool = True


@dataclass(frozen=True)
class LoggingSettings:
    __pydantic_config__ = FORBID
    level: Literal["debug", "info", "warning", "error"] = "info"
    file: str | None = None
    format: Literal["text", "json"] = "text"
    include_stderr: bool = False
    max_bytes: int = 10 * 1024 * 1024
    backup_count: int = 5


@dataclass(frozen=True)
class JobsSettings:
    __pydantic_config__ = FORBID
    retention_days: float = 30
    auto_purge: bool = True


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the catalogue and job queue live: unset, a SQLite file under $VPO_HOME;
    `postgresql://user:password@host/dbname`, a PostgreSQL database several hosts share."""

    __pydantic_config__ = FORBID
    url: str | None = None


@dataclass(frozen=True)
class TranscodeSettings:
    __pydantic_config__ = FORBID
    keep_if_larger: bool = False  # keep a transcode's result even when it is not smaller
    max_attempts: int = 3  # runs ended by a dead worker before the job fails
    work_dir: str | None = None  # host-local folder ffmpeg writes to; None: beside the file
    threads: int = 0  # per transcode; 0: this host's cores shared by its running transcodes


@dataclass(frozen=True)
class PathsSettings:
    """`paths: {"/mnt/nas/media": "/media"}` in a file: catalogue roots -> this host's mount
    points (stored as pairs; the loader turns the mapping into `map`)."""

    __pydantic_config__ = FORBID
    map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WatchSettings:
    """`vpo watch` (docs/watching.md): how long a file must stay unchanged before it is
    handled, when to poll instead of trusting events, and what is never handled."""

    __pydantic_config__ = FORBID
    settle: float = 30.0  # seconds a file's size and mtime must stay the same
    poll: bool = False  # poll this library instead of trusting the OS's events
    poll_interval: float = 60.0  # seconds between polls (polling roots only)
    reconcile_interval: float = 21600.0  # seconds between full incremental scans of every root
    apply: bool = True  # apply the profile's default_policy to what was catalogued
    ignore: tuple[str, ...] = ("*.part", "*.partial", "*.tmp", "*.!qB", ".*")  # names never handled


NotifyEvent = Literal["failed", "errors", "changed", "transcoded", "watch_down"]


@dataclass(frozen=True)
class NotifySettings:
    """Notifications through Apprise (docs/media-stack.md): one message per command run or
    watch batch, to every URL in `urls` (each a secret), when it is one of `on`."""

    __pydantic_config__ = FORBID
    urls: tuple[str, ...] = ()  # Apprise URLs (json://..., tgram://..., mailto://...)
    on: tuple[NotifyEvent, ...] = ("failed", "errors", "watch_down")  # what went wrong, by default


SECTIONS = {
    "tools": ToolsSettings,
    "scan": ScanSettings,
    "behavior": BehaviorSettings,
    "logging": LoggingSettings,
    "jobs": JobsSettings,
    "database": DatabaseSettings,
    "transcode": TranscodeSettings,
    "paths": PathsSettings,
    "watch": WatchSettings,
    "integrations": IntegrationsSettings,
    "notify": NotifySettings,
}


@dataclass(frozen=True)
class Settings:
    tools: ToolsSettings = field(default_factory=ToolsSettings)
    scan: ScanSettings = field(default_factory=ScanSettings)
    behavior: BehaviorSettings = field(default_factory=BehaviorSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    jobs: JobsSettings = field(default_factory=JobsSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    transcode: TranscodeSettings = field(default_factory=TranscodeSettings)
    paths: PathsSettings = field(default_factory=PathsSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    integrations: IntegrationsSettings = field(default_factory=IntegrationsSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    home: Path = field(default_factory=lambda: vpo_home())

    @property
    def database_path(self) -> Path:
        """The SQLite catalogue (used when no database.url is set)."""
        return self.home / "library.db"

    @property
    def journal_dir(self) -> Path:
        """In-place edits' journals (edit/journal.py)."""
        return self.home / "journal"

    @property
    def database_target(self) -> Path | str:
        """What db.connection.open_database opens: the URL if one is set, else the file."""
        return self.database.url or self.database_path

    @property
    def has_catalogue(self) -> bool:
        """Whether a catalogue exists to read (a URL always names one; a SQLite file only
        once a command created it): read-only commands must not create one."""
        return bool(self.database.url) or self.database_path.exists()

    def workers(self) -> int:
        return self.scan.workers or os.cpu_count() or 1


def vpo_home() -> Path:
    configured = os.environ.get("VPO_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".vpo"
