"""Reading YAML with ruamel.yaml, keeping line numbers so every error can say file:line."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from vpo.errors import ConfigError

# Policies, config.yaml and profiles are a few kilobytes; a file of more than 1 MiB is not
# one, and parsing it would cost seconds and hundreds of megabytes (ruamel keeps a node per
# value). Checked before parsing: by its size, and by reading at most one byte more.
MAX_FILE_BYTES = 1 << 20


def load_yaml(path: Path, *, error: type[ConfigError] = ConfigError, kind: str = "YAML") -> Any:
    """The document (a CommentedMap for mappings) or raises `error` with file:line. `kind`
    names the file in the size limit's message ("policy files may be at most ...")."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    text = read_limited(path, error, kind)
    try:
        document = YAML(typ="rt").load(text)
        size = expanded_size(document)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = _one_line(" ".join(p for p in (exc.context, exc.problem) if p))
        where = f"{path}:{line}" if line else str(path)
        raise error(f"{where}: invalid YAML: {problem}", details={"file": str(path), "line": line}) from None
    except YAMLError as exc:  # e.g. a control character: ruamel's text spans two lines
        raise error(f"{path}: invalid YAML: {_one_line(str(exc))}", details={"file": str(path)}) from None
    except RecursionError:
        raise error(f"{path}: invalid YAML: nested too deeply", details={"file": str(path)}) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # ruamel's constructors fail like this on an explicit tag they cannot apply (`!!int x`)
        raise error(
            f"{path}: invalid YAML: a tagged value cannot be read ({type(exc).__name__}: "
            f"{_one_line(str(exc))})",
            details={"file": str(path)},
        ) from None
    if size > MAX_VALUES:
        raise error(
            f"{path}: invalid YAML: more than {MAX_VALUES:,} values once its aliases are expanded",
            details={"file": str(path)},
        )
    return document


def read_limited(path: Path, error: type[ConfigError], kind: str) -> str:
    """The file's text, or `error` when it cannot be read, is not UTF-8 or is larger than
    MAX_FILE_BYTES (refused on its size alone when it is a regular file; anything else,
    a pipe say, is read up to one byte past the limit)."""
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            data = f.read(MAX_FILE_BYTES + 1) if size <= MAX_FILE_BYTES else b""
    except FileNotFoundError:
        raise error(f"{path}: file not found", details={"file": str(path)}) from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc}", details={"file": str(path)}) from None
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        shown = f"{size:,} bytes" if size > MAX_FILE_BYTES else f"more than {MAX_FILE_BYTES:,} bytes"
        raise error(
            f"{path} is {shown}; {kind} files may be at most {MAX_FILE_BYTES:,} bytes (1 MiB)",
            details={"file": str(path), "size": size or None, "limit": MAX_FILE_BYTES},
        )
    try:  # with universal newlines, as open() in text mode reads
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: cannot read: {exc}", details={"file": str(path)}) from None


# Far beyond any real settings file or policy; bounds what aliases (`*a`) can expand to, so a
# "billion laughs" file fails at once instead of keeping VPO busy for ever.
MAX_VALUES = 100_000


def expanded_size(node: Any) -> int:
    """How many values `node` holds once every alias is expanded (stops counting past
    MAX_VALUES). Linear in the size of the file: shared nodes are counted once, by id."""
    sizes: dict[int, int] = {}

    def size(n: Any) -> int:
        if not isinstance(n, (dict, list)):
            return 1
        key = id(n)
        if key not in sizes:
            sizes[key] = MAX_VALUES + 1  # a node inside itself (`&a [*a]`) expands for ever
            children = [*n.keys(), *n.values()] if isinstance(n, dict) else n
            total = 1
            for child in children:
                total += size(child)
                if total > MAX_VALUES:
                    break
            sizes[key] = total
        return sizes[key]

    return size(node)


def _one_line(text: str) -> str:
    return " ".join(text.split())


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


def describe_validation(
    path: Path,
    document: Any,
    exc: Any,
    prefix: tuple[Any, ...] = (),
    error: type[ConfigError] = ConfigError,
    accepted: dict[tuple[Any, ...], list[str]] | None = None,
) -> ConfigError:
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
    shown = key if key.isprintable() else repr(key)  # a key of "\r" must not break the line
    return error(
        f"{where}: {shown}: {reason}", details={"file": str(path), "line": line, "key": key, "reason": reason}
    )


def plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
