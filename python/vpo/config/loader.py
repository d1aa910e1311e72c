"""Loading `$VPO_HOME/config.yaml` and `$VPO_HOME/profiles/<name>.yaml` into layers.

A layer holds only the keys its file sets (validated and coerced), so the resolver can say
where every effective value came from.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from vpo.config.integrations import ACCEPTED, raw_secrets, service_problem
from vpo.config.layers import Layer, Profile, Values
from vpo.config.roots import KEY as ROOTS_KEY
from vpo.config.roots import profile_roots
from vpo.config.secrets import secrets_in, warn_if_readable
from vpo.config.settings import SECTIONS
from vpo.config.yaml_file import describe_validation, line_of, load_yaml
from vpo.errors import ConfigError, PolicyNotFoundError, ProfileNotFoundError
from vpo.redact import remember_secrets

PROFILE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
PROFILE_KEYS = ("name", "description", "extends", "default_policy")


def config_path(home: Path) -> Path:
    return home / "config.yaml"


def profiles_dir(home: Path) -> Path:
    return home / "profiles"


def load_config_layer(home: Path) -> Layer | None:
    """The config file's layer; None when there is no file (defaults then apply)."""
    path = config_path(home)
    if not path.exists():
        return None
    document = load_yaml(path, kind="config")
    if document is None:
        return Layer("config", {})
    _require_mapping(path, document, ())
    return Layer("config", _sections(path, document, allowed_extra=(), home=home))


def check_profile_name(name: str) -> str:
    if not PROFILE_NAME.fullmatch(name):
        raise ConfigError(
            f"invalid profile name {name!r}: use letters, digits, '-' and '_' only",
            details={"name": name},
        )
    return name


def available_profiles(home: Path) -> list[str]:
    folder = profiles_dir(home)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if PROFILE_NAME.fullmatch(p.stem))


def load_profile(home: Path, name: str) -> Profile:
    """One profile file, validated (its `extends` is not followed here)."""
    check_profile_name(name)
    path = profiles_dir(home) / f"{name}.yaml"
    if not path.is_file():
        names = available_profiles(home)
        listed = ", ".join(names) if names else f"none (create {profiles_dir(home)}/{name}.yaml)"
        hint = ""
        if (profiles_dir(home) / f"{name}.yml").exists():
            hint = f" ({profiles_dir(home) / name}.yml exists: profile files must end in .yaml)"
        raise ProfileNotFoundError(
            f"profile {name!r} not found; available: {listed}{hint}",
            details={"name": name, "available": names, "directory": str(profiles_dir(home))},
        )
    document = load_yaml(path, kind="profile")
    if document is None:
        document = {}
    _require_mapping(path, document, ())
    header: dict[str, Any] = {}
    for key in PROFILE_KEYS:
        if key in document:
            value = document[key]
            if value is not None and not isinstance(value, str):
                raise ConfigError(
                    f"{path}:{line_of(document, (key,))}: {key}: must be a string (got {value!r})",
                    details={"file": str(path), "key": key},
                )
            header[key] = value
    if header.get("name") not in (None, name):
        raise ConfigError(
            f"{path}:{line_of(document, ('name',))}: name: {header['name']!r} does not match the file name {name!r}",
            details={"file": str(path), "key": "name"},
        )
    extends = header.get("extends")
    if extends is not None and not PROFILE_NAME.fullmatch(extends):
        line = line_of(document, ("extends",))
        raise ConfigError(
            f"{path}:{line}: extends: invalid profile name {extends!r}: use letters, digits, '-' and '_' only",
            details={"file": str(path), "line": line, "key": "extends", "name": extends},
        )
    policy = None
    if header.get("default_policy"):
        policy = Path(header["default_policy"]).expanduser()
        if not policy.is_absolute():
            policy = path.parent / policy
        if not policy.is_file():
            raise PolicyNotFoundError(
                f"{path}:{line_of(document, ('default_policy',))}: default_policy: {policy} does not exist",
                details={"file": str(path), "key": "default_policy", "policy": str(policy)},
            )
    roots = profile_roots(path, document)
    sections = _sections(path, document, allowed_extra=(*PROFILE_KEYS, ROOTS_KEY), home=home)
    layer = Layer(f"profile:{name}", sections)
    return Profile(
        name=name,
        path=path,
        description=header.get("description"),
        extends=extends,
        default_policy=policy,
        layer=layer,
        document=_plain(document),
        document_node=document,
        roots=roots,
    )


def profile_chain(home: Path, name: str) -> list[Profile]:
    """The profile and everything it extends, base first. Cycles are an error.

    `default_policy` is inherited like every setting: a profile that sets none has the
    one of the profile it extends (each entry carries the one in effect at its level)."""
    chain: list[Profile] = []
    seen: list[str] = []
    current: str | None = name
    while current is not None:
        if current in seen:
            loop = " -> ".join([*seen, current])
            child = chain[-1]
            line = line_of(child.document_node, ("extends",))
            raise ConfigError(
                f"{child.path}:{line}: extends: profile {name!r} extends itself: {loop}",
                details={"file": str(child.path), "line": line, "key": "extends", "chain": [*seen, current]},
            )
        seen.append(current)
        try:
            profile = load_profile(home, current)
        except ProfileNotFoundError as exc:
            if not chain:
                raise
            child = chain[-1]
            line = line_of(child.document_node, ("extends",))
            raise ProfileNotFoundError(
                f"{child.path}:{line}: extends: {exc.message}",
                details={**exc.details, "file": str(child.path), "line": line, "key": "extends"},
            ) from None
        chain.append(profile)
        current = profile.extends
    chain.reverse()
    for pos in range(1, len(chain)):
        if chain[pos].default_policy is None and chain[pos - 1].default_policy is not None:
            chain[pos] = replace(chain[pos], default_policy=chain[pos - 1].default_policy)
    return chain


def _require_mapping(path: Path, document: Any, loc: tuple[Any, ...]) -> None:
    if not isinstance(document, dict):
        where = ".".join(map(str, loc)) or "the document"
        raise ConfigError(f"{path}: {where} must be a mapping of keys to values", details={"file": str(path)})


def _sections(path: Path, document: Any, *, allowed_extra: tuple[str, ...], home: Path) -> Values:
    """The settings a file sets, validated section by section, then normalised."""
    accepted = sorted([*SECTIONS, *allowed_extra])
    values: Values = {}
    for key in document:
        if key in allowed_extra:
            continue
        if key not in SECTIONS:
            raise ConfigError(
                f"{path}:{line_of(document, (key,))}: unknown key {key!r}; accepted keys: {', '.join(accepted)}",
                details={"file": str(path), "key": str(key), "accepted": accepted},
            )
        if document[key] is not None:
            values[key] = _section(path, document, key)
    _normalise(values, home)
    warn_if_readable(path, secrets_in(values))
    return values


def _section(path: Path, document: Any, key: str) -> dict[str, Any]:
    """One section's keys, each validated by its dataclass field's type and limits."""
    from pydantic import TypeAdapter, ValidationError

    section = document[key]
    if key == "integrations":
        remember_secrets(raw_secrets(section))  # masked even in a validation error
    if key == "notify" and isinstance(section, dict):
        _remember_notify_urls(section.get("urls"))  # before any error could quote one
    if key == "paths":
        return {"map": _path_map(path, document, section)}
    if not isinstance(section, dict):
        raise ConfigError(
            f"{path}:{line_of(document, (key,))}: {key}: must be a mapping",
            details={"file": str(path), "key": key},
        )
    cls = SECTIONS[key]
    try:
        parsed: Any = TypeAdapter(cls).validate_python(_plain(section))
    except ValidationError as exc:
        names: dict[tuple[Any, ...], list[str]] = {(key,): [f.name for f in fields(cls)]}
        if key == "integrations":
            names.update(ACCEPTED)
        raise describe_validation(path, document, exc, prefix=(key,), accepted=names) from None
    values = {str(name): getattr(parsed, str(name)) for name in section}
    for name, value in values.items():
        problem = _check_value(key, name, value, section[name], cls)
        if problem is not None:
            line = line_of(document, (key, name))
            raise ConfigError(
                f"{path}:{line}: {key}.{name}: {problem}",
                details={"file": str(path), "line": line, "key": f"{key}.{name}", "reason": problem},
            )
    return values


def _normalise(values: Values, home: Path) -> None:
    """Extensions without dots in lower case, `~` expanded in tool paths, a relative log file
    under $VPO_HOME (whatever the current directory)."""
    if "extensions" in values.get("scan", {}):
        values["scan"]["extensions"] = tuple(
            e.strip().lstrip(".").lower() for e in values["scan"]["extensions"]
        )
    tools = values.get("tools", {})
    for name in ("ffmpeg", "ffprobe", "mkvmerge", "mkvpropedit", "mkvextract"):
        if name in tools and tools[name].startswith("~"):
            tools[name] = str(Path(tools[name]).expanduser())
    if values.get("logging", {}).get("file"):
        values["logging"]["file"] = str(home / Path(values["logging"]["file"]).expanduser())


# Limits pydantic's types do not express (settings.py stays free of pydantic imports).
_AT_LEAST = {
    ("scan", "workers"): 0,
    ("logging", "max_bytes"): 0,
    ("logging", "backup_count"): 0,
    ("jobs", "retention_days"): 0,
    ("transcode", "max_attempts"): 1,
    ("transcode", "threads"): 0,
    ("integrations", "retries"): 0,
}
_ABOVE = {
    ("scan", "probe_timeout"): 0,
    ("watch", "settle"): 0,
    ("watch", "poll_interval"): 0,
    ("watch", "reconcile_interval"): 0,
    ("integrations", "timeout"): 0,
}


def _check_value(section: str, key: str, value: Any, raw: Any, cls: type) -> str | None:
    """Why a type-valid value is still wrong, or None."""
    kind = {f.name: f.type for f in fields(cls)}[key]
    if isinstance(raw, bool) and kind in ("int", "float"):
        return f"must be a number (got {raw!r})"
    if (section, key) in _AT_LEAST and value < _AT_LEAST[(section, key)]:
        return f"must be {_AT_LEAST[(section, key)]} or more (got {raw!r})"
    if (section, key) in _ABOVE and not value > _ABOVE[(section, key)]:
        return f"must be more than {_ABOVE[(section, key)]} (got {raw!r})"
    if section in ("watch", "integrations") and kind == "float" and value == float("inf"):
        return f"must be a finite number of seconds (got {raw!r})"
    if (section, key) == ("watch", "ignore") and any(not pattern.strip() for pattern in value):
        return f"a pattern cannot be empty (got {list(raw)!r})"
    if (section, key) == ("scan", "extensions"):
        if not value:
            return "must list at least one extension"
        empty = [e for e in value if not e.strip().lstrip(".")]
        if empty:
            return f"an extension cannot be empty (got {list(raw)!r})"
    if section == "integrations":
        return service_problem(value)
    if (section, key) == ("notify", "urls"):
        return _notify_urls_problem(value)
    if (section, key) == ("database", "url") and value is not None:
        from vpo.db.pg_url import url_problem
        from vpo.redact import mask_url

        problem = url_problem(value)
        return f"{mask_url(value)}: {problem}" if problem else None
    return None


_APPRISE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def _remember_notify_urls(urls: Any) -> None:
    """Every notification URL is a secret (its host, path or query may be a token)."""
    from vpo.redact import remember_secret_url

    for url in urls if isinstance(urls, list) else [urls]:
        if isinstance(url, str) and url:
            remember_secret_url(url)


def _notify_urls_problem(urls: tuple[str, ...]) -> str | None:
    """Each URL must look like one Apprise reads (`scheme://...`); Apprise itself is only
    imported to send, so whether it knows the scheme is said then (and by `vpo doctor`)."""
    for index, url in enumerate(urls):
        if not _APPRISE_URL.fullmatch(url.strip()):
            return (
                f"entry {index + 1} is not an Apprise URL (SCHEME://..., e.g. json://host/path or "
                "tgram://TOKEN/CHAT_ID); it is not shown, as it may hold a secret"
            )
    return None


def _path_map(path: Path, document: Any, section: Any) -> tuple[tuple[str, str], ...]:
    """`paths:` maps absolute catalogue roots to absolute local mount points."""
    where = f"{path}:{line_of(document, ('paths',))}"
    if not isinstance(section, dict):
        raise ConfigError(
            f'{where}: paths: must map catalogue roots to this host\'s mount points, e.g. {{"/mnt/nas/media": "/media"}}',
            details={"file": str(path), "key": "paths"},
        )
    pairs = []
    for root, local in section.items():
        if not (
            isinstance(root, str)
            and isinstance(local, str)
            and root.startswith("/")
            and local.startswith("/")
        ):
            raise ConfigError(
                f"{where}: paths: {root!r}: {local!r}: both must be absolute paths",
                details={"file": str(path), "key": "paths", "entry": str(root)},
            )
        pairs.append((root, local))
    return tuple(pairs)


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node
