"""Helpers and fixtures of the config_loader tests (test_config_files, test_profile_files)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vpo.config.loader import (
    load_config_layer,
)
from vpo.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_profile(home: Path, name: str, text: str) -> Path:
    return write(home / "profiles" / f"{name}.yaml", text)


def config_error(home: Path, text: str) -> ConfigError:
    write(home / "config.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_config_layer(home)
    return info.value
