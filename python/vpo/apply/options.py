"""What `apply` is asked to do: the PATHs, the policy, and the settings it runs with."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from vpo.catalogue import DEFAULT_EXTENSIONS
from vpo.config.integrations import IntegrationsSettings
from vpo.config.settings import Settings, ToolsSettings
from vpo.hostpaths import Mapping
from vpo.integrations.hints import Hints
from vpo.media.probe import ProberConfig, prober_for
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

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        paths: tuple[bytes, ...],
        policy: Policy,
        policy_path: str,
        *,
        dry_run: bool = False,
        refresh_hints: Hints | None = None,
    ) -> ApplyOptions:
        """What the settings say for everything but the files and the policy (the CLI, the
        watcher and the hook alike)."""
        return cls(
            paths=paths,
            policy=policy,
            policy_path=policy_path,
            dry_run=dry_run,
            keep_backup=settings.behavior.keep_backup,
            tools=settings.tools,
            prober=prober_for(settings),
            extensions=settings.scan.extensions,
            follow_symlinks=settings.scan.follow_symlinks,
            journal_dir=os.fsencode(settings.journal_dir),
            integrations=settings.integrations,
            path_map=settings.paths.map,
            refresh_hints=refresh_hints,
        )

    def refresh(self, changed: Sequence[bytes]) -> list[str]:
        """Ask the media stack to refresh the files apply changed; the warning lines."""
        from vpo.integrations.refresh import refresh_paths

        return refresh_paths(self.integrations, changed, hints=self.refresh_hints, path_map=self.path_map)
