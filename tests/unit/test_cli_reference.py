"""The docs hold to the code: every command and option has help text, and docs/cli.md is
exactly what `vpo ... --help` prints (regenerate it with `make docs`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vpo.cli.reference import WIDTH, commands, reference

ROOT = Path(__file__).resolve().parents[2]
VPO = Path(sys.executable).with_name("vpo")


def test_every_command_and_option_has_help_text() -> None:
    missing = []
    for path, cmd, _ctx in commands():
        name = " ".join(path)
        if not (cmd.help or "").strip():
            missing.append(f"{name}: no help text")
        for param in cmd.params:
            if param.param_type_name == "option" and not (param.help or "").strip():
                missing.append(f"{name} {param.opts[0]}: no help text")
            if param.param_type_name == "argument" and not (getattr(param, "help", "") or "").strip():
                missing.append(f"{name} {param.name}: no help text")
    assert missing == []


def test_docs_cli_md_matches_the_code() -> None:
    written = (ROOT / "docs" / "cli.md").read_text()
    assert written == reference(), "docs/cli.md is stale: run `make docs`"


def _section(doc: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n\n```text\n(.*?)\n```$", doc, re.M | re.S)
    assert match, title
    return match.group(1)


@pytest.mark.parametrize("command", [[], ["scan"], ["jobs", "show"], ["profiles", "show"]])
def test_reference_is_what_the_real_cli_prints(command: list[str]) -> None:
    env = {**os.environ, "COLUMNS": str(WIDTH)}
    shown = subprocess.run(
        [str(VPO), *command, "--help"], capture_output=True, text=True, env=env, check=True
    )
    doc = (ROOT / "docs" / "cli.md").read_text()
    assert shown.stdout.rstrip("\n") == _section(doc, " ".join(["vpo", *command]))
