"""Use cases behind `vpo profiles`: list every profile (broken ones included), show one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpo.config.loader import (available_profiles, load_config_layer, load_profile, profile_chain,
                               profiles_dir)
from vpo.config.resolver import as_dict, resolve
from vpo.errors import ConfigError


@dataclass(frozen=True)
class ProfileEntry:
    name: str
    path: Path
    description: str | None
    default_policy: str | None
    error: str | None  # a profile that does not load is listed, with why

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "description": self.description,
               "default_policy": self.default_policy, "path": str(self.path)}
        if self.error is not None:
            out["error"] = self.error
        return out


def list_profiles(home: Path) -> list[ProfileEntry]:
    entries = []
    for name in available_profiles(home):
        path = profiles_dir(home) / f"{name}.yaml"
        try:
            profile = load_profile(home, name)
        except ConfigError as exc:
            entries.append(ProfileEntry(name, path, None, None, exc.message))
            continue
        entries.append(ProfileEntry(name, path, profile.description,
                                    str(profile.default_policy) if profile.default_policy else None, None))
    return entries


def show_profile(home: Path, name: str) -> dict[str, Any]:
    """The profile as written, the effective settings it produces and each value's source."""
    chain = profile_chain(home, name)
    layers = []
    config = load_config_layer(home)
    if config is not None:
        layers.append(config)
    layers.extend(p.layer for p in chain)
    effective = resolve(layers, home=home, profile=chain[-1])
    profile = chain[-1]
    return {
        "name": profile.name,
        "path": str(profile.path),
        "profile": profile.document,
        "extends_chain": [p.name for p in chain],
        "default_policy": str(profile.default_policy) if profile.default_policy else None,
        "effective": as_dict(effective.settings),
        "sources": effective.sources,
    }
