"""Settings precedence through the real CLI: flags > profile chain > config.yaml > defaults (SPEC 5, 6).

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import VPO, RunVpo
from integration.profiles.helpers import (
    LIST_KEYS,
    SHOW_KEYS,
    write,
)
from integration.scanutil import env_for


def test_defaults_apply_with_no_config_at_all(scans: dict[str, dict[str, Any]]) -> None:
    opts = scans["defaults"]
    assert opts["workers"] == (os.cpu_count() or 1)  # workers 0 = one per core
    assert opts["prune"] is False
    assert opts["prober"] == "pyav"
    assert opts["discovered"] == 2
    assert "mkv" in opts["extensions"] and "mp4" in opts["extensions"]


def test_config_beats_defaults(scans: dict[str, dict[str, Any]]) -> None:
    opts = scans["config"]
    assert (opts["workers"], opts["prober"], opts["prune"], opts["discovered"]) == (2, "ffprobe", False, 2)


def test_profile_chain_beats_config(scans: dict[str, dict[str, Any]]) -> None:
    opts = scans["profile"]
    assert opts["workers"] == 4  # movies over base over config
    assert opts["prune"] is True  # from base, through extends
    assert opts["prober"] == "ffprobe"  # from config, which no profile overrides
    assert opts["extensions"] == ["mkv"]
    assert opts["discovered"] == 1


def test_flags_beat_the_profile(scans: dict[str, dict[str, Any]]) -> None:
    opts = scans["flags"]
    assert (opts["workers"], opts["prune"], opts["prober"]) == (5, False, "pyav")
    assert sorted(opts["extensions"]) == ["mkv", "mp4"]
    assert opts["discovered"] == 2


def test_vpo_profile_names_the_default_profile(scans: dict[str, dict[str, Any]]) -> None:
    assert (scans["env"]["workers"], scans["env"]["extensions"]) == (4, ["mkv"])


def test_global_profile_beats_vpo_profile(scans: dict[str, dict[str, Any]]) -> None:
    opts = scans["global-over-env"]
    assert (opts["workers"], opts["prune"], opts["discovered"]) == (3, True, 2)  # base: no extensions


def test_command_profile_beats_global_profile(scans: dict[str, dict[str, Any]]) -> None:
    assert (scans["command-over-global"]["workers"], scans["command-over-global"]["discovered"]) == (4, 1)


def test_empty_vpo_profile_means_no_profile(scans: dict[str, dict[str, Any]]) -> None:
    assert scans["empty-env"]["workers"] == 2  # config only


def test_jobs_show_reports_the_options_that_won(scans: dict[str, dict[str, Any]]) -> None:
    run = scans["flags"]
    done = subprocess.run(
        [str(VPO), "jobs", "show", run["job_id"], "--json"],
        capture_output=True,
        env=env_for(run["home"]),
        timeout=60,
    )
    assert done.returncode == 0, done
    options = json.loads(done.stdout)["options"]
    assert (options["workers"], options["prune"], options["prober"]) == (5, False, "pyav")
    assert sorted(options["extensions"]) == ["mkv", "mp4"]


@pytest.mark.engines
def test_profiles_show_reports_values_and_sources_per_spec(vpo: RunVpo, layered: Path) -> None:
    result = vpo("--log-level", "debug", "profiles", "show", "kids", "--json")
    assert result.code == 0, result
    doc = result.json()
    assert set(doc) >= SHOW_KEYS
    assert doc["name"] == "kids"
    assert doc["path"] == str(layered / "profiles" / "kids.yaml")
    assert doc["profile"] == {"name": "kids", "extends": "movies", "jobs": {"retention_days": 7}}
    assert doc["extends_chain"] == ["base", "movies", "kids"]
    eff, src = doc["effective"], doc["sources"]
    assert set(eff) == {
        "tools",
        "scan",
        "behavior",
        "logging",
        "jobs",
        "database",
        "transcode",
        "paths",
        "watch",
        "integrations",
        "notify",
    }
    expected = {
        "jobs.retention_days": (7, "profile:kids"),
        "scan.workers": (4, "profile:movies"),
        "scan.extensions": (["mkv"], "profile:movies"),
        "scan.prune": (True, "profile:base"),
        "scan.prober": ("ffprobe", "config"),
        "logging.level": ("debug", "cli"),
        "tools.ffmpeg": ("ffmpeg", "default"),
        "jobs.auto_purge": (True, "default"),
    }
    for dotted, (value, source) in expected.items():
        section, key = dotted.split(".")
        assert (eff[section][key], src[dotted]) == (value, source), dotted
    assert set(src) == {f"{s}.{k}" for s, keys in eff.items() for k in keys}
    allowed = {"cli", "config", "default", "profile:base", "profile:movies", "profile:kids"}
    assert set(src.values()) <= allowed


def test_profiles_show_text(vpo: RunVpo, layered: Path) -> None:
    result = vpo("profiles", "show", "movies")
    assert result.code == 0, result
    out = result.stdout
    assert "Profile movies" in out
    assert "applied: base -> movies (later ones override)" in out
    assert "Settings for the movie library" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("scan.")}
    assert rows["scan.workers"][1:] == ["4", "profile:movies"]
    assert rows["scan.prune"][1:] == ["True", "profile:base"]
    assert rows["scan.prober"][1:] == ["ffprobe", "config"]


def test_profiles_list_json_includes_broken_profiles_with_their_error(vpo: RunVpo, layered: Path) -> None:
    policy = write(layered / "policies" / "tv.yaml", "schema_version: 1\n")
    write(layered / "profiles" / "tv.yaml", f"name: tv\ndefault_policy: {policy}\n")
    write(layered / "profiles" / "broken.yaml", "name: broken\nscan:\n  workers: [\n")
    write(layered / "profiles" / "typo.yaml", "name: typo\nscan:\n  wrokers: 2\n")
    result = vpo("profiles", "list", "--json")
    assert result.code == 0, result
    entries = result.json()
    assert [e["name"] for e in entries] == ["base", "broken", "kids", "movies", "tv", "typo"]
    by_name = {e["name"]: e for e in entries}
    for e in entries:
        assert set(e) >= LIST_KEYS, e
        assert e["path"] == str(layered / "profiles" / f"{e['name']}.yaml")
    assert by_name["movies"]["description"] == "Settings for the movie library"
    assert by_name["movies"]["valid"] is True and by_name["movies"]["error"] is None
    assert by_name["tv"]["default_policy"] == str(policy)
    assert by_name["broken"]["valid"] is False
    assert by_name["broken"]["error"].startswith(f"{layered / 'profiles' / 'broken.yaml'}:")
    assert "invalid YAML" in by_name["broken"]["error"]
    assert by_name["typo"]["error"].startswith(f"{layered / 'profiles' / 'typo.yaml'}:3: scan.wrokers")


def test_profiles_list_text_marks_invalid(vpo: RunVpo, layered: Path) -> None:
    write(layered / "profiles" / "broken.yaml", "name: broken\nscan: 3\n")
    result = vpo("profiles", "list")
    assert result.code == 0, result
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "INVALID" in lines["broken"]
    assert "scan: must be a mapping" in lines["broken"]
    assert "INVALID" not in lines["movies"]
    assert "Settings for the movie library" in lines["movies"]
