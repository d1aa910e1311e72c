"""Profiles and precedence through the real console script (SPEC 5, 6, 10).

Which value won is read back from what the command did: `vpo profiles show --json`
reports each effective value and its source, and `vpo scan --json` records the options
it ran with in its job (`vpo jobs show ID --json` -> options). A scan of a two-file
library also shows the extensions that won (discovered 1 with `[mkv]`, 2 with mp4 too).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import VPO, Result, RunVpo, age_tree
from integration.scanutil import SPEC_ERROR_KEYS, assert_no_traceback, env_for, one_error_line, query

LIST_KEYS = {"name", "description", "default_policy", "path"}
SHOW_KEYS = {"name", "path", "profile", "effective", "sources"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_files(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of one .mkv and one .mp4 (read-only: scans never write to media)."""
    root = tmp_path_factory.mktemp("two-files")
    shutil.copy2(corpus.by_name("movie.mkv").path, root / "movie.mkv")
    shutil.copy2(corpus.by_name("dual.mp4").path, root / "dual.mp4")
    age_tree(root)
    return root


def write_layers(home: Path) -> Path:
    """config.yaml < base < movies (extends base); kids extends movies."""
    write(
        home / "config.yaml",
        """
        scan:
          workers: 2
          prober: ffprobe
        jobs:
          retention_days: 45
    """,
    )
    write(
        home / "profiles" / "base.yaml",
        """
        name: base
        description: Shared by every library
        scan:
          workers: 3
          prune: true
    """,
    )
    write(
        home / "profiles" / "movies.yaml",
        """
        name: movies
        description: Settings for the movie library
        extends: base
        scan:
          workers: 4
          extensions: [mkv]
    """,
    )
    write(
        home / "profiles" / "kids.yaml",
        """
        name: kids
        extends: movies
        jobs:
          retention_days: 7
    """,
    )
    return home


@pytest.fixture
def layered(vpo_home: Path) -> Path:
    return write_layers(vpo_home)


# -- precedence through the real CLI -------------------------------------------------------

# name -> (arguments around `scan --json ROOT`, extra environment)
RUNS: dict[str, tuple[list[str], dict[str, str]]] = {
    "defaults": ([], {}),
    "config": ([], {}),
    "profile": (["--profile", "movies"], {}),
    "flags": (
        [
            "--profile",
            "movies",
            "@",
            "--workers",
            "5",
            "--no-prune",
            "--extensions",
            "mkv,mp4",
            "--prober",
            "pyav",
        ],
        {},
    ),
    "env": ([], {"VPO_PROFILE": "movies"}),
    "global-over-env": (["--profile", "base"], {"VPO_PROFILE": "movies"}),
    "command-over-global": (["--profile", "base", "@", "--profile", "movies"], {"VPO_PROFILE": "kids"}),
    "empty-env": ([], {"VPO_PROFILE": ""}),
}


@pytest.fixture(scope="module")
def scans(two_files: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each run of RUNS: the options its job recorded, its discovered count, its job id.
    "defaults" runs in an empty VPO_HOME, every other run in its own copy of the layered
    files; the runs are independent, so they run at once."""
    running = {}
    for name, (args, extra) in RUNS.items():
        home = tmp_path_factory.mktemp(f"home-{name}")
        if name != "defaults":
            write_layers(home)
        before, _, after = " ".join(args).partition("@")
        argv = [*before.split(), "scan", "--json", str(two_files), *after.split()]
        child = subprocess.Popen(
            [str(VPO), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**env_for(home), **extra},
            stdin=subprocess.DEVNULL,
        )
        running[name] = (home, child)
    out = {}
    for name, (home, child) in running.items():
        stdout, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, (name, stdout, stderr)
        report = json.loads(stdout)
        options = json.loads(query(home, "SELECT options FROM jobs WHERE id = ?", report["job_id"])[0][0])
        out[name] = {
            **options,
            "discovered": report["counts"]["discovered"],
            "job_id": report["job_id"],
            "home": home,
        }
    return out


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
    assert set(eff) == {"tools", "scan", "behavior", "logging", "jobs", "database", "transcode", "paths"}
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


# -- profiles list -------------------------------------------------------------------------


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


def test_profiles_list_with_no_profiles(vpo: RunVpo, vpo_home: Path) -> None:
    assert vpo("profiles", "list", "--json").json() == []
    text = vpo("profiles", "list")
    assert text.code == 0 and "No profiles" in text.stdout


# -- startup errors: exit 2, before any work ------------------------------------------------


def json_error(result: Result, code: str) -> dict[str, Any]:
    assert result.code == 2, result
    assert_no_traceback(result)
    doc = result.json()
    assert set(doc) == SPEC_ERROR_KEYS, doc
    assert doc["error"] is True
    assert doc["code"] == code, doc
    return doc


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
