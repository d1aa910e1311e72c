"""Reading a policy file: ruamel.yaml for file:line, pydantic for the rules.

`schema_version: 1` and `schema_version: 2` (SPEC 13: keep, labels, container and rules
too) are read into the one model; a version 1 file is read exactly as before."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from vpo.config.yaml_file import describe_validation, line_of, load_yaml, plain
from vpo.errors import PolicyError, PolicyNotFoundError
from vpo.policy.models import ORIGINAL, SCHEMA_VERSIONS, Policy
from vpo.policy.plan import identity


def load_policy(path: Path) -> Policy:
    """The validated policy, or PolicyError (PolicyNotFoundError) whose message starts
    with `file:line:` and names the key and the reason."""
    from pydantic import ValidationError

    if not path.exists():
        raise PolicyNotFoundError(f"{path}: policy file not found", details={"file": str(path)})
    document = load_yaml(path, error=PolicyError, kind="policy")  # type: ignore[arg-type]
    if not isinstance(document, dict):
        raise PolicyError(f"{path}: a policy is a mapping of keys to values", details={"file": str(path)})
    version = document.get("schema_version")
    readable = " or ".join(str(v) for v in SCHEMA_VERSIONS)
    if version is None:
        raise PolicyError(
            f"{path}: schema_version is missing (this VPO reads schema_version: {readable})",
            details={"file": str(path), "key": "schema_version"},
        )
    if version not in SCHEMA_VERSIONS or isinstance(version, bool):
        line = line_of(document, ("schema_version",))
        raise PolicyError(
            f"{path}:{line}: schema_version: {version!r} is not supported "
            f"(this VPO reads schema_version: {readable})",
            details={"file": str(path), "line": line, "key": "schema_version"},
        )
    try:
        policy = Policy.model_validate(plain(document))
    except ValidationError as exc:
        raise describe_validation(
            path,
            document,
            exc,
            error=PolicyError,  # type: ignore[arg-type]
            accepted=_AcceptedKeys(Policy, Policy.keys(version)),
        ) from None
    _check_sources(policy, path, document)
    return policy


def _check_sources(policy: Policy, path: Path, document: Any) -> None:
    """An `audio.add` whose `from` language can never be a kept track (keep.audio.languages
    lists neither it nor `original`) would never add anything: refused here, with file, line
    and key. A language some file may lack is the plan's business (a note per file)."""
    kept = policy.keep.audio.languages
    if kept is None or ORIGINAL in kept:
        return
    ids = {identity(k) for k in kept}
    for n, add in enumerate(policy.audio.add):
        wanted = add.from_.language
        if wanted != ORIGINAL and identity(wanted) not in ids:
            loc = ("audio", "add", n, "from", "language")
            line = line_of(document, loc)
            key = ".".join(map(str, loc))
            reason = (
                f"{wanted} is never a kept audio language (keep.audio.languages: {', '.join(kept)}), "
                "so there is never a track to make this one from"
            )
            raise PolicyError(
                f"{path}:{line}: {key}: {reason}",
                details={"file": str(path), "line": line, "key": key, "reason": reason},
            )


class _AcceptedKeys(dict[tuple[Any, ...], list[str]]):
    """{location of a mapping: its accepted keys}, worked out from the model on demand,
    for every level (`rules.0.when.audio`); `top`: the top level's (the file's version's)."""

    def __init__(self, model: type[BaseModel], top: list[str]) -> None:
        super().__init__()
        self.model = model
        self.top = sorted(top)

    def __bool__(self) -> bool:  # answers for every location, though it holds none
        return True

    def get(self, loc: tuple[Any, ...], default: Any = None) -> Any:
        if not loc:
            return self.top
        current: Any = self.model
        for part in loc:
            if isinstance(part, int):
                continue
            current = _field_model(current, str(part))
            if current is None:
                return default
        return sorted(f.alias or name for name, f in current.model_fields.items())


def _field_model(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return _model_in(info.annotation)
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, (types.UnionType, typing._GenericAlias)) or typing.get_origin(annotation):  # type: ignore[attr-defined]
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
