"""Fixtures of the config_loader tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "profiles").mkdir()
    return tmp_path
