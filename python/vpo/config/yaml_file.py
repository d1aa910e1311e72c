"""Reading YAML with ruamel.yaml, keeping line numbers so every error can say file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vpo.errors import ConfigError


def load_yaml(path: Path, *, error: type[ConfigError] = ConfigError) -> Any:
    """The document (a CommentedMap for mappings) or raises `error` with file:line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found", details={"file": str(path)}) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}", details={"file": str(path)}) from None
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        where = f"{path}:{line}" if line else str(path)
        raise error(f"{where}: invalid YAML: {problem}", details={"file": str(path), "line": line}) from None
    except YAMLError as exc:
        raise error(f"{path}: invalid YAML: {exc}", details={"file": str(path)}) from None


def line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the key at `loc` in a ruamel document, or of its closest parent."""
    line = None
    current = node
    for key in loc:
        lc = getattr(current, "lc", None)
        try:
            if lc is not None:
                if isinstance(key, int):
                    line = lc.item(key)[0] + 1
                else:
                    line = lc.key(key)[0] + 1
            current = current[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def describe_validation(path: Path, document: Any, exc: Any, prefix: tuple[Any, ...] = (),
                        error: type[ConfigError] = ConfigError,
                        accepted: dict[tuple[Any, ...], list[str]] | None = None) -> ConfigError:
    """Turn a pydantic ValidationError into one line: file:line: key: reason (accepted values)."""
    first = exc.errors()[0]
    loc = prefix + tuple(first["loc"])
    line = line_of(document, loc)
    key = ".".join(str(p) for p in loc)
    reason = first["msg"]
    if first["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        parent = loc[:-1]
        known = (accepted or {}).get(parent)
        reason = f"unknown key {loc[-1]!r}" + (f"; accepted keys: {', '.join(known)}" if known else "")
    elif "input" in first and first["type"] != "missing":
        reason = f"{reason} (got {first['input']!r})"
    where = f"{path}:{line}" if line else str(path)
    return error(f"{where}: {key}: {reason}",
                 details={"file": str(path), "line": line, "key": key, "reason": reason})


def plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
