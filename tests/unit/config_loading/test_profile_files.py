"""Loading profiles (and their extends chain) from real files: names, headers, file:line errors.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

from pathlib import Path

import pytest

from unit.config_loading.helpers import (
    write,
    write_profile,
)
from vpo.config.loader import (
    available_profiles,
    load_profile,
    profile_chain,
)
from vpo.config.profiles import list_profiles, show_profile
from vpo.config.resolver import cli_layer, resolve
from vpo.errors import ConfigError, PolicyNotFoundError, ProfileNotFoundError


def test_unknown_profile_with_none_available_says_where_to_create_it(home: Path) -> None:
    with pytest.raises(ProfileNotFoundError) as info:
        load_profile(home, "kids")
    assert f"{home / 'profiles'}/kids.yaml" in info.value.message


def test_a_yml_file_is_pointed_out(home: Path) -> None:
    write(home / "profiles" / "kids.yml", "name: kids\n")
    with pytest.raises(ProfileNotFoundError) as info:
        load_profile(home, "kids")
    assert "must end in .yaml" in info.value.message


def test_profile_layer_header_and_document(home: Path) -> None:
    policy = write(home / "policies" / "movies.yaml", "schema_version: 1\n")
    write_profile(
        home,
        "movies",
        """
        name: movies
        description: Settings for the movie library
        default_policy: ../policies/movies.yaml
        scan:
          prune: true
        logging:
          format: json
    """,
    )
    prof = load_profile(home, "movies")
    assert prof.name == "movies"
    assert prof.description == "Settings for the movie library"
    assert prof.extends is None
    assert prof.default_policy is not None and prof.default_policy.resolve() == policy.resolve()
    assert prof.layer.source == "profile:movies"
    assert prof.layer.values == {"scan": {"prune": True}, "logging": {"format": "json"}}
    assert prof.document["scan"] == {"prune": True}
    assert type(prof.document) is dict  # plain, JSON-ready


def test_missing_default_policy_is_policy_not_found_at_its_line(home: Path) -> None:
    path = write_profile(
        home,
        "movies",
        """
        name: movies
        description: x
        default_policy: /nonexistent/movies.yaml
    """,
    )
    with pytest.raises(PolicyNotFoundError) as info:
        load_profile(home, "movies")
    err = info.value
    assert err.code == "POLICY_NOT_FOUND"
    assert err.message == f"{path}:3: default_policy: /nonexistent/movies.yaml does not exist"
    assert err.details["policy"] == "/nonexistent/movies.yaml"


def test_name_inside_the_file_must_match_the_file_name(home: Path) -> None:
    path = write_profile(home, "movies", "description: x\nname: films\n")
    with pytest.raises(ConfigError) as info:
        load_profile(home, "movies")
    assert info.value.message.startswith(f"{path}:2: name: 'films' does not match")


def test_header_keys_must_be_strings(home: Path) -> None:
    path = write_profile(home, "movies", "name: movies\ndescription: [a, b]\n")
    with pytest.raises(ConfigError) as info:
        load_profile(home, "movies")
    assert info.value.message.startswith(f"{path}:2: description: must be a string")


def test_unknown_key_in_a_profile_lists_accepted_keys_including_the_header(home: Path) -> None:
    path = write_profile(home, "movies", "name: movies\npolicy: x.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_profile(home, "movies")
    msg = info.value.message
    assert msg.startswith(f"{path}:2: unknown key 'policy'; accepted keys: ")
    for key in ("default_policy", "description", "extends", "name", "scan", "tools"):
        assert key in msg


def test_unknown_key_in_a_profile_section(home: Path) -> None:
    path = write_profile(home, "movies", "name: movies\nscan:\n  prune: false\n  workerz: 3\n")
    with pytest.raises(ConfigError) as info:
        load_profile(home, "movies")
    assert info.value.details == {
        "file": str(path),
        "line": 4,
        "key": "scan.workerz",
        "reason": "unknown key 'workerz'; accepted keys: extensions, prune, workers, follow_symlinks, "
        "prober, probe_timeout, quick_check",
    }


def test_extends_chain_is_base_first_and_each_level_overrides(home: Path) -> None:
    write_profile(home, "base", "scan:\n  workers: 2\n  prune: true\njobs:\n  retention_days: 60\n")
    write_profile(home, "video", "extends: base\nscan:\n  workers: 4\n")
    write_profile(home, "kids", "extends: video\nscan:\n  extensions: [mkv]\n")
    chain = profile_chain(home, "kids")
    assert [p.name for p in chain] == ["base", "video", "kids"]
    eff = resolve([p.layer for p in chain], home=home)
    assert eff.settings.scan.workers == 4
    assert eff.settings.scan.prune is True
    assert eff.settings.scan.extensions == ("mkv",)
    assert eff.settings.jobs.retention_days == 60
    assert eff.sources["scan.workers"] == "profile:video"
    assert eff.sources["scan.prune"] == "profile:base"
    assert eff.sources["scan.extensions"] == "profile:kids"


def test_extends_cycle_is_an_error_naming_the_loop(home: Path) -> None:
    write_profile(home, "a", "extends: b\n")
    write_profile(home, "b", "extends: c\n")
    c = write_profile(home, "c", "description: closes the loop\nextends: a\n")
    with pytest.raises(ConfigError) as info:
        profile_chain(home, "a")
    err = info.value
    assert err.code == "CONFIG_INVALID"
    assert err.details["chain"] == ["a", "b", "c", "a"]
    assert err.message.startswith(f"{c}:2: extends: ")
    assert "a -> b -> c -> a" in err.message


def test_a_profile_extending_itself_is_a_cycle(home: Path) -> None:
    write_profile(home, "me", "extends: me\n")
    with pytest.raises(ConfigError) as info:
        profile_chain(home, "me")
    assert info.value.details["chain"] == ["me", "me"]


def test_extends_a_missing_profile_names_the_file_that_says_so(home: Path) -> None:
    path = write_profile(home, "movies", "name: movies\nextends: bsae\n")
    write_profile(home, "base", "{}\n")
    with pytest.raises(ProfileNotFoundError) as info:
        profile_chain(home, "movies")
    assert info.value.message.startswith(
        f"{path}:2: extends: profile 'bsae' not found; available: base, movies"
    )


def test_extends_with_a_path_trick_is_refused_at_its_line(home: Path) -> None:
    write(home / "evil.yaml", "{}\n")
    path = write_profile(home, "movies", "name: movies\nextends: ../evil\n")
    with pytest.raises(ConfigError) as info:
        load_profile(home, "movies")
    assert info.value.message.startswith(f"{path}:2: extends: invalid profile name '../evil'")


def test_an_error_in_a_parent_profile_is_reported_against_the_parent(home: Path) -> None:
    base = write_profile(home, "base", "scan:\n  workers: many\n")
    write_profile(home, "movies", "extends: base\n")
    with pytest.raises(ConfigError) as info:
        profile_chain(home, "movies")
    assert info.value.message.startswith(f"{base}:2: scan.workers:")


def test_available_profiles_are_the_valid_yaml_names_sorted(home: Path) -> None:
    for name in ("tv", "Movies", "kids-2"):
        write_profile(home, name, "{}\n")
    write(home / "profiles" / "notes.txt", "x")
    write(home / "profiles" / "bad name.yaml", "{}\n")
    write(home / "profiles" / "old.yml", "{}\n")
    assert available_profiles(home) == ["Movies", "kids-2", "tv"]


def test_list_marks_broken_profiles_invalid_with_their_error(home: Path) -> None:
    write_profile(home, "good", "description: fine\n")
    write_profile(home, "syntax", "scan: [\n")
    write_profile(home, "loop1", "extends: loop2\n")
    write_profile(home, "loop2", "extends: loop1\n")
    write_profile(home, "orphan", "extends: gone\n")
    write(home / "profiles" / "old.yml", "{}\n")
    write(home / "profiles" / "bad name.yaml", "{}\n")
    entries = {e.name: e for e in list_profiles(home)}
    assert set(entries) == {"good", "syntax", "loop1", "loop2", "orphan", "old", "bad name"}
    assert entries["good"].valid and entries["good"].description == "fine"
    for name in ("syntax", "loop1", "loop2", "orphan", "old", "bad name"):
        assert not entries[name].valid, name
        assert entries[name].to_dict()["valid"] is False
    assert "invalid YAML" in (entries["syntax"].error or "")
    assert "loop" in (entries["loop1"].error or "") or "extends itself" in (entries["loop1"].error or "")
    assert "'gone' not found" in (entries["orphan"].error or "")
    assert ".yaml" in (entries["old"].error or "")
    assert "invalid profile name" in (entries["bad name"].error or "")
    assert entries["good"].to_dict() == {
        "name": "good",
        "description": "fine",
        "default_policy": None,
        "path": str(home / "profiles" / "good.yaml"),
        "extends": None,
        "roots": [],
        "valid": True,
        "error": None,
    }


def test_list_without_a_profiles_folder_is_empty(tmp_path: Path) -> None:
    assert list_profiles(tmp_path) == []


def test_show_combines_config_chain_and_cli_with_sources(home: Path) -> None:
    write(home / "config.yaml", "scan:\n  workers: 1\n  prober: ffprobe\nlogging:\n  level: warning\n")
    write_profile(home, "base", "scan:\n  workers: 2\n  prune: true\n")
    write_profile(home, "movies", "description: Films\nextends: base\nscan:\n  workers: 3\n")
    shown = show_profile(home, "movies", cli=cli_layer({"logging.level": "debug"}))
    assert shown["name"] == "movies"
    assert shown["path"] == str(home / "profiles" / "movies.yaml")
    assert shown["extends_chain"] == ["base", "movies"]
    assert shown["profile"] == {"description": "Films", "extends": "base", "scan": {"workers": 3}}
    assert shown["effective"]["scan"]["workers"] == 3
    assert shown["effective"]["scan"]["prune"] is True
    assert shown["effective"]["scan"]["prober"] == "ffprobe"
    assert shown["effective"]["logging"]["level"] == "debug"
    assert shown["sources"]["scan.workers"] == "profile:movies"
    assert shown["sources"]["scan.prune"] == "profile:base"
    assert shown["sources"]["scan.prober"] == "config"
    assert shown["sources"]["logging.level"] == "cli"
    assert shown["sources"]["tools.ffmpeg"] == "default"
