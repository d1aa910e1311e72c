"""What each settings file contributes: a layer of the keys it sets, and a profile (a layer
with its header). config/loader.py reads files into them, config/resolver.py stacks them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

Values = dict[str, dict[str, Any]]  # section -> key -> value


class Layer(NamedTuple):
    source: str  # "config", "profile:NAME" or "cli"
    values: Values


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    description: str | None
    extends: str | None
    default_policy: Path | None
    layer: Layer
    document: dict[str, Any] = field(default_factory=dict)  # as written, plain dicts and lists
    document_node: Any = field(default=None, repr=False, compare=False)  # ruamel's, for line numbers
    roots: tuple[str, ...] = ()  # the profile's library (config/roots.py); not inherited
