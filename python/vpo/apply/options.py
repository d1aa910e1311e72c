"""What `apply` is asked to do: the PATHs, the policy, and the settings it runs with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vpo.catalogue import DEFAULT_EXTENSIONS
from vpo.config.integrations import IntegrationsSettings
from vpo.config.settings import ToolsSettings
from vpo.hostpaths import Mapping
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
    integrations: IntegrationsSettings = field(default_factory=IntegrationsSettings)  # refreshed after
    path_map: Mapping = ()  # paths.map: the changed files' names as the media stack sees them
    refresh_hints: Hints | None = None  # what a hook event told us (the movie's or series' id)

    def refresh(self, changed: Sequence[bytes]) -> list[str]:
        """Ask the media stack to refresh the files apply changed; the warning lines."""
        from vpo.integrations.refresh import refresh_paths

        return refresh_paths(self.integrations, changed, hints=self.refresh_hints, path_map=self.path_map)
