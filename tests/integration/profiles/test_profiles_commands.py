"""`vpo profiles list|show` and profile errors through the real CLI (SPEC 5, 10).

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import RunVpo
from integration.profiles.helpers import (
    json_error,
    write,
)
from integration.scanutil import one_error_line


def test_profiles_list_with_no_profiles(vpo: RunVpo, vpo_home: Path) -> None:
    assert vpo("profiles", "list", "--json").json() == []
    text = vpo("profiles", "list")
    assert text.code == 0 and "No profiles" in text.stdout


@pytest.mark.parametrize("where", ["global", "command", "env"])
def test_unknown_profile_lists_the_available_ones(
    vpo: RunVpo, layered: Path, two_files: Path, where: str
) -> None:
    args: list[Any] = ["scan", "--json", two_files]
    env = None
    if where == "global":
        args = ["--profile", "moveis", *args]
    elif where == "command":
        args = [*args, "--profile", "moveis"]
    else:
        env = {"VPO_PROFILE": "moveis"}
    doc = json_error(vpo(*args, env=env), "PROFILE_NOT_FOUND")
    assert doc["message"] == "profile 'moveis' not found; available: base, kids, movies"
    assert doc["details"]["available"] == ["base", "kids", "movies"]
    assert not (layered / "library.db").exists()  # nothing ran: no database, no job


def test_unknown_profile_text_is_one_error_line(vpo: RunVpo, layered: Path) -> None:
    result = vpo("--profile", "nope", "jobs", "list")
    assert result.code == 2
    assert result.stdout == ""
    assert one_error_line(result) == "Error: profile 'nope' not found; available: base, kids, movies"


def test_yaml_syntax_error_in_config(vpo: RunVpo, vpo_home: Path, two_files: Path) -> None:
    path = write(vpo_home / "config.yaml", "scan:\n  workers: 2\n  extensions: [mkv\n")
    doc = json_error(vpo("scan", "--json", two_files), "CONFIG_INVALID")
    assert doc["message"].startswith(f"{path}:")
    assert "invalid YAML" in doc["message"]
    assert doc["details"]["file"] == str(path)
    assert isinstance(doc["details"]["line"], int)
    assert not (vpo_home / "library.db").exists()


def test_unknown_key_names_file_line_key_and_the_accepted_keys(vpo: RunVpo, vpo_home: Path) -> None:
    path = write(vpo_home / "config.yaml", "jobs:\n  retention_days: 3\n  auto_prune: true\n")
    doc = json_error(vpo("jobs", "list", "--json"), "CONFIG_INVALID")
    assert doc["message"] == (
        f"{path}:3: jobs.auto_prune: unknown key 'auto_prune'; accepted keys: retention_days, auto_purge"
    )
    assert doc["details"] == {
        "file": str(path),
        "line": 3,
        "key": "jobs.auto_prune",
        "reason": "unknown key 'auto_prune'; accepted keys: retention_days, auto_purge",
    }
    text = vpo("jobs", "list")
    assert text.code == 2 and text.stdout == ""
    assert one_error_line(text) == f"Error: {doc['message']}"


def test_invalid_value_in_a_profile_names_the_accepted_values(vpo: RunVpo, layered: Path) -> None:
    path = write(layered / "profiles" / "loud.yaml", "name: loud\nlogging:\n  level: verbose\n")
    doc = json_error(vpo("--profile", "loud", "jobs", "list", "--json"), "CONFIG_INVALID")
    assert doc["message"].startswith(f"{path}:3: logging.level: ")
    for accepted in ("'debug'", "'info'", "'warning'", "'error'"):
        assert accepted in doc["message"]
    assert doc["details"]["line"] == 3 and doc["details"]["key"] == "logging.level"


def test_missing_default_policy(vpo: RunVpo, layered: Path, tmp_path: Path) -> None:
    missing = tmp_path / "policies" / "movies.yaml"
    path = write(layered / "profiles" / "films.yaml", f"name: films\ndefault_policy: {missing}\n")
    doc = json_error(vpo("--profile", "films", "jobs", "list", "--json"), "POLICY_NOT_FOUND")
    assert doc["message"] == f"{path}:2: default_policy: {missing} does not exist"
    assert doc["details"]["policy"] == str(missing)
    json_error(vpo("profiles", "show", "films", "--json"), "POLICY_NOT_FOUND")


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "movies.yaml"])
def test_bad_profile_names_are_refused(vpo: RunVpo, layered: Path, name: str) -> None:
    write(layered / "evil.yaml", "name: evil\n")  # what ../evil would reach
    doc = json_error(vpo("--profile", name, "jobs", "list", "--json"), "CONFIG_INVALID")
    assert doc["message"] == f"invalid profile name {name!r}: use letters, digits, '-' and '_' only"
    assert doc["details"]["name"] == name


def test_profiles_show_refuses_a_path_trick(vpo: RunVpo, layered: Path) -> None:
    write(layered / "evil.yaml", "name: evil\n")
    doc = json_error(vpo("profiles", "show", "../evil", "--json"), "CONFIG_INVALID")
    assert "invalid profile name" in doc["message"]


def test_extends_cycle(vpo: RunVpo, layered: Path) -> None:
    write(layered / "profiles" / "a.yaml", "extends: b\n")
    b = write(layered / "profiles" / "b.yaml", "extends: a\n")
    doc = json_error(vpo("--profile", "a", "jobs", "list", "--json"), "CONFIG_INVALID")
    assert doc["message"] == f"{b}:1: extends: profile 'a' extends itself: a -> b -> a"
    assert doc["details"]["chain"] == ["a", "b", "a"]
    listed = {e["name"]: e for e in vpo("profiles", "list", "--json").json()}
    assert listed["a"]["valid"] is False and listed["b"]["valid"] is False
    assert listed["kids"]["valid"] is True


def test_profiles_show_unknown(vpo: RunVpo, layered: Path) -> None:
    doc = json_error(vpo("profiles", "show", "tv", "--json"), "PROFILE_NOT_FOUND")
    assert doc["details"]["available"] == ["base", "kids", "movies"]


@pytest.mark.engines
def test_default_policy_is_inherited_through_extends(vpo: RunVpo, layered: Path, tmp_path: Path) -> None:
    """`kids` extends `movies`, which names a default policy: kids has it too, and applies it."""
    policy = write(tmp_path / "movies-policy.yaml", "schema_version: 1\naudio_language_preference: [eng]\n")
    movies = layered / "profiles" / "movies.yaml"
    movies.write_text(movies.read_text() + f"default_policy: {policy}\n")
    shown = vpo("profiles", "show", "kids", "--json")
    assert shown.code == 0 and shown.json()["default_policy"] == str(policy), shown
    assert shown.json()["extends_chain"] == ["base", "movies", "kids"]
    text = vpo("profiles", "show", "kids").stdout
    assert "applied: base -> movies -> kids" in text and f"default policy: {policy}" in text
    listed = {p["name"]: p["default_policy"] for p in vpo("profiles", "list", "--json").json()}
    assert listed["kids"] == str(policy) and listed["base"] is None
    lib = tmp_path / "lib"
    lib.mkdir()
    media.make_video(lib / "a.mkv")
    assert vpo("scan", lib).code == 0
    planned = vpo("apply", "--profile", "kids", "--dry-run", "--json", lib)  # no --policy needed
    assert planned.code == 0, planned
    assert planned.json()["dry_run"] is True
