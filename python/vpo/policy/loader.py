"""Reading a policy file: ruamel.yaml for file:line, pydantic for the rules."""

from __future__ import annotations

from pathlib import Path

from vpo.config.yaml_file import describe_validation, line_of, load_yaml, plain
from vpo.errors import PolicyError, PolicyNotFoundError
from vpo.policy.models import SCHEMA_VERSION, DefaultFlags, Policy, TranscodeSection


def load_policy(path: Path) -> Policy:
    """The validated policy, or PolicyError (PolicyNotFoundError) whose message starts with
    `file:line:` and names the key and the reason."""
    from pydantic import ValidationError

    if not path.exists():
        raise PolicyNotFoundError(f"{path}: policy file not found", details={"file": str(path)})
    document = load_yaml(path, error=PolicyError)  # type: ignore[arg-type]
    if not isinstance(document, dict):
        raise PolicyError(f"{path}: a policy is a mapping of keys to values", details={"file": str(path)})
    version = document.get("schema_version")
    if version is None:
        raise PolicyError(
            f"{path}: schema_version is missing (this VPO reads schema_version: {SCHEMA_VERSION})",
            details={"file": str(path), "key": "schema_version"},
        )
    if version != SCHEMA_VERSION or isinstance(version, bool):
        line = line_of(document, ("schema_version",))
        raise PolicyError(
            f"{path}:{line}: schema_version: {version!r} is not supported "
            f"(this VPO reads schema_version: {SCHEMA_VERSION})",
            details={"file": str(path), "line": line, "key": "schema_version"},
        )
    try:
        return Policy.model_validate(plain(document))
    except ValidationError as exc:
        accepted = {
            (): sorted(Policy.model_fields),
            ("default_flags",): sorted(DefaultFlags.model_fields),
            ("transcode",): sorted(TranscodeSection.model_fields),
        }
        raise describe_validation(path, document, exc, error=PolicyError, accepted=accepted) from None  # type: ignore[arg-type]
