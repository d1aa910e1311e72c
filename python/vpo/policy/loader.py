"""Reading a policy file: ruamel.yaml for file:line, pydantic for the rules."""

from __future__ import annotations

from pathlib import Path

from vpo.config.yaml_file import describe_validation, load_yaml, plain
from vpo.errors import PolicyError
from vpo.policy.models import Policy


def load_policy(path: Path) -> Policy:
    from pydantic import ValidationError

    document = load_yaml(path, error=PolicyError)
    if not isinstance(document, dict):
        raise PolicyError(f"{path}: a policy is a mapping of keys to values", details={"file": str(path)})
    if "schema_version" not in document:
        raise PolicyError(f"{path}: schema_version is missing (this VPO reads schema_version: 1)",
                          details={"file": str(path), "key": "schema_version"})
    try:
        return Policy.model_validate(plain(document))
    except ValidationError as exc:
        accepted = {(): sorted(Policy.model_fields),
                    ("default_flags",): sorted(Policy.model_fields["default_flags"].annotation.model_fields)}  # type: ignore[union-attr]
        raise describe_validation(path, document, exc, error=PolicyError, accepted=accepted) from None

