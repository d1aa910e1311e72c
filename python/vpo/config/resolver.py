"""Precedence, as one pure function: built-in defaults < config.yaml < profile chain
(base first) < command-line flags. Returns the effective settings and each value's source."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any, NamedTuple

from vpo.config.layers import Layer, Profile
from vpo.config.settings import SECTIONS, Settings


class Effective(NamedTuple):
    settings: Settings
    sources: dict[str, str]  # "section.key" -> "default" | "config" | "profile:NAME" | "cli"
    profile: Profile | None = None


def resolve(layers: list[Layer], *, home: Path, profile: Profile | None = None) -> Effective:
    values: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for section, cls in SECTIONS.items():
        default = cls()
        values[section] = {}
        for f in fields(cls):
            values[section][f.name] = getattr(default, f.name)
            sources[f"{section}.{f.name}"] = "default"
    for layer in layers:
        for section, keys in layer.values.items():
            for key, value in keys.items():
                values[section][key] = value
                sources[f"{section}.{key}"] = layer.source
    built = {section: replace(cls(), **values[section]) for section, cls in SECTIONS.items()}
    return Effective(settings=Settings(home=home, **built), sources=sources, profile=profile)


def cli_layer(flags: dict[str, Any]) -> Layer:
    """`{"scan.workers": 4, "scan.prune": None}` -> a layer of the flags actually given."""
    values: dict[str, dict[str, Any]] = {}
    for dotted, value in flags.items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        values.setdefault(section, {})[key] = value
    return Layer("cli", values)


def as_dict(settings: Settings) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        obj = getattr(settings, section)
        out[section] = {f.name: _jsonable(getattr(obj, f.name)) for f in fields(obj)}
    from vpo.config.integrations import shown

    out["integrations"] = {key: shown(value) for key, value in out["integrations"].items()}  # keys as ***
    if settings.database.url:  # shown, never its password
        from vpo.redact import mask_url

        out["database"]["url"] = mask_url(settings.database.url)
    if settings.notify.urls:  # each a secret as a whole: the service's scheme only
        from vpo.redact import mask_secret_url

        out["notify"]["urls"] = [mask_secret_url(url) for url in settings.notify.urls]
    return out


def _jsonable(value: Any) -> Any:
    return [_jsonable(v) for v in value] if isinstance(value, tuple) else value
