"""A profile's library: `roots: [/media/movies, ~/Videos]` (SPEC section 17).

Each root is an absolute path once `~` is expanded; a relative one is an error naming the
file, line and key, as for every other setting. Roots belong to the profile that names
them: they are not inherited through `extends` (a base profile's library would otherwise
be claimed by every profile built on it, and `vpo watch` would watch it once per profile).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vpo.config.yaml_file import line_of
from vpo.errors import ConfigError

KEY = "roots"


def profile_roots(path: Path, document: Any) -> tuple[str, ...]:
    """The profile file's `roots`, absolute and normalised (no trailing `/`), in its order,
    each once. `()` when the profile names none."""
    value = document.get(KEY)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _error(path, document, (KEY,), f"must be a list of absolute paths (got {value!r})")
    roots: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _error(path, document, (KEY, index), f"must be a path (got {item!r})")
        expanded = os.path.expanduser(item.strip())
        if not os.path.isabs(expanded):
            raise _error(path, document, (KEY, index), f"{item!r} is not an absolute path")
        normal = os.path.normpath(expanded)
        if normal not in roots:
            roots.append(normal)
    return tuple(roots)


def _error(path: Path, document: Any, loc: tuple[Any, ...], reason: str) -> ConfigError:
    line = line_of(document, loc)
    return ConfigError(
        f"{path}:{line}: {KEY}: {reason}",
        details={"file": str(path), "line": line, "key": KEY, "reason": reason},
    )
