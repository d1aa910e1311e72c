"""What `apply` is asked to do: the PATHs, the policy, and the settings it runs with."""

from __future__ import annotations

from dataclasses import dataclass, field

from vpo.catalogue import DEFAULT_EXTENSIONS
from vpo.config.settings import ToolsSettings
from vpo.integrations.hints import Hints
from vpo.media.probe import ProberConfig
from vpo.policy.models import Policy


@dataclass(frozen=True)
class ApplyOptions:
    paths: tuple[bytes, ...]
    policy: Policy
    policy_path: str
    dry_run: bool = False
    keep_backup: bool = True
    tools: ToolsSettings = field(default_factory=ToolsSettings)
    prober: ProberConfig = field(default_factory=ProberConfig)  # verifies results; the scan's
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS  # finds unscanned files under a directory
    follow_symlinks: bool = False
    journal_dir: bytes = b""  # $VPO_HOME/journal: in-place edits' journals
    refresh_hints: Hints | None = None  # what a hook event told us (ids), for the refreshes
