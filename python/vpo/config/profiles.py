"""Use cases behind `vpo profiles`: list every profile (broken ones included), show one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpo.config.layers import Layer
from vpo.config.loader import PROFILE_NAME, load_config_layer, profile_chain, profiles_dir
from vpo.config.resolver import as_dict, resolve
from vpo.errors import ConfigError
from vpo.redact import remember, scrub_tree


@dataclass(frozen=True)
class ProfileEntry:
    name: str
    path: Path
    description: str | None
    default_policy: str | None
    error: str | None  # a profile that does not load is listed, with why
    extends: str | None = None
    roots: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "default_policy": self.default_policy,
            "path": str(self.path),
            "extends": self.extends,
            "roots": list(self.roots),
            "valid": self.valid,
            "error": self.error,
        }


def list_profiles(home: Path) -> list[ProfileEntry]:
    """Every file in the profiles folder, sorted by name. A profile is valid when it and
    everything it extends load; a file that can never be a profile (bad name, `.yml`) is
    listed as invalid so that it does not vanish silently."""
    folder = profiles_dir(home)
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml") or path.name.startswith("."):
            continue
        name = path.stem
        if path.suffix == ".yml":
            entries.append(ProfileEntry(name, path, None, None, f"{path}: profile files must end in .yaml"))
            continue
        if not PROFILE_NAME.fullmatch(name):
            entries.append(
                ProfileEntry(
                    name,
                    path,
                    None,
                    None,
                    f"{path}: invalid profile name {name!r}: use letters, digits, '-' and '_' only",
                )
            )
            continue
        try:
            chain = profile_chain(home, name)
        except ConfigError as exc:
            entries.append(ProfileEntry(name, path, None, None, exc.message))
            continue
        profile = chain[-1]
        entries.append(
            ProfileEntry(
                name,
                path,
                profile.description,
                str(profile.default_policy) if profile.default_policy else None,
                None,
                profile.extends,
                profile.roots,
            )
        )
    return entries


def profiles_with_roots(home: Path) -> list[str]:
    """The valid profiles that name a library (`roots`), by name."""
    return [e.name for e in list_profiles(home) if e.valid and e.roots]


def show_profile(home: Path, name: str, *, cli: Layer | None = None) -> dict[str, Any]:
    """The profile as written, the effective settings it produces (with the command-line
    flags in `cli`, if any) and each value's source."""
    chain = profile_chain(home, name)
    layers = []
    config = load_config_layer(home)
    if config is not None:
        layers.append(config)
    layers.extend(p.layer for p in chain)
    if cli is not None:
        layers.append(cli)
    profile = chain[-1]
    effective = resolve(layers, home=home, profile=profile)
    remember(effective.settings.database.url)  # its password masked wherever it is quoted
    return {
        "name": profile.name,
        "path": str(profile.path),
        "description": profile.description,
        "extends": profile.extends,
        "extends_chain": [p.name for p in chain],
        "default_policy": str(profile.default_policy) if profile.default_policy else None,
        "roots": list(profile.roots),
        "profile": scrub_tree(profile.document),  # as written, but never a password
        "effective": as_dict(effective.settings),
        "sources": effective.sources,
    }
