"""The `Test` event (the Test button of Radarr's and Sonarr's Custom Script page): exit 0
only when everything the hook needs is in order, otherwise one clear line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from integration.mediastack.conftest import Hook
from integration.watching.helpers import DROP_GERMAN, write_profile
from protocol.arr import FakeArr


def _movies(vpo_home: Path, lib: Path) -> Path:
    policy = vpo_home.parent / "drop-german.yaml"
    policy.write_text(DROP_GERMAN)
    return write_profile(vpo_home, "movies", [lib], policy=policy)


def test_all_is_well(hook: Hook, vpo_home: Path, lib: Path) -> None:
    _movies(vpo_home, lib)
    for app in ("Radarr", "Sonarr"):
        done = hook(app, "Test", InstanceName=app, ApplicationUrl="")
        assert done.code == 0, done
        assert done.stderr == ""
    checks = hook("Radarr", "Test", "--json").json()
    assert checks["ok"] is True
    names = {c["name"] for c in checks["checks"]}
    assert {"profile:movies", "policy:movies", "catalogue", "tool:mkvpropedit", "tool:ffprobe"} <= names


def test_a_broken_profile_fails_and_names_it(hook: Hook, vpo_home: Path, lib: Path) -> None:
    _movies(vpo_home, lib)
    (vpo_home / "profiles" / "tv.yaml").write_text("roots: [relative/path]\n")
    done = hook("Sonarr", "Test")
    assert done.code == 1, done
    [line] = [x for x in done.stderr.splitlines() if x.startswith("Error:")]
    assert "profile:tv" in line and "not an absolute path" in line
    assert "Traceback" not in done.stderr


def test_a_policy_that_does_not_load_fails(hook: Hook, vpo_home: Path, lib: Path) -> None:
    _movies(vpo_home, lib)
    (vpo_home.parent / "drop-german.yaml").write_text("schema_version: 2\nkeep: {audio: {languages: 3}}\n")
    done = hook("Radarr", "Test")
    assert done.code == 1, done
    assert "policy:movies" in done.stderr


@pytest.mark.sqlite_only  # the catalogue's file; on PostgreSQL it lives on the server
def test_a_catalogue_that_cannot_be_opened_fails(hook: Hook, vpo_home: Path, lib: Path) -> None:
    _movies(vpo_home, lib)
    (vpo_home / "library.db").mkdir(parents=True)  # the catalogue's path is taken by a folder
    done = hook("Radarr", "Test")
    assert done.code == 1, done
    [line] = [x for x in done.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith("Error: catalogue:") and "library.db" in line


def test_a_broken_selected_profile_fails(hook: Hook, vpo_home: Path, lib: Path) -> None:
    _movies(vpo_home, lib)
    done = hook("Radarr", "Test", "--profile", "nosuch")
    assert done.code == 1, done
    assert "Error: settings: profile 'nosuch' not found" in done.stderr


def test_a_missing_tool_fails(hook: Hook, vpo_home: Path, lib: Path) -> None:
    _movies(vpo_home, lib)
    (vpo_home / "config.yaml").write_text("tools:\n  mkvpropedit: /nonexistent/mkvpropedit\n")
    done = hook("Radarr", "Test")
    assert done.code == 1, done
    assert "Error: tool:mkvpropedit: /nonexistent/mkvpropedit not found" in done.stderr


def test_an_integration_that_rejects_the_key_fails(
    hook: Hook, vpo_home: Path, lib: Path, radarr: FakeArr
) -> None:
    """Radarr answers 401 to a wrong key, as the real one does: Test says so, and exits 1;
    the right key passes, and the key is shown nowhere."""
    _movies(vpo_home, lib)
    config = vpo_home / "config.yaml"
    config.write_text(f"integrations:\n  radarr: {{url: '{radarr.url}', api_key: 'wrong-key-123456'}}\n")
    config.chmod(0o600)
    done = hook("Radarr", "Test")
    assert done.code == 1, done
    [line] = [x for x in done.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith("Error: integration:radarr:") and "rejected the API key" in line, line
    assert "wrong-key-123456" not in done.stdout + done.stderr

    config.write_text(f"integrations:\n  radarr: {{url: '{radarr.url}', api_key: '{radarr.key}'}}\n")
    done = hook("Radarr", "Test")
    assert done.code == 0, done
    assert radarr.key not in done.stdout + done.stderr
