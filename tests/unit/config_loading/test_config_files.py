"""Loading config.yaml from real files in a temporary VPO_HOME: what each key accepts, file:line errors.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

from pathlib import Path

import pytest

from unit.config_loading.helpers import (
    config_error,
    write,
    write_profile,
)
from vpo.config.loader import (
    check_profile_name,
    load_config_layer,
    load_profile,
    profile_chain,
)
from vpo.errors import ConfigError, ProfileNotFoundError


def test_missing_config_file_is_no_layer(home: Path) -> None:
    assert load_config_layer(home) is None


def test_empty_config_file_is_an_empty_layer(home: Path) -> None:
    write(home / "config.yaml", "# nothing yet\n")
    layer = load_config_layer(home)
    assert layer is not None and layer.source == "config" and layer.values == {}


def test_config_layer_holds_only_the_keys_the_file_sets(home: Path) -> None:
    write(
        home / "config.yaml",
        """
        tools:
          ffprobe: /opt/ffmpeg/bin/ffprobe
        scan:
          workers: 3
          extensions: [.MKV, mp4]
        jobs:
          retention_days: 90
        behavior:
    """,
    )
    layer = load_config_layer(home)
    assert layer is not None
    assert layer.values == {
        "tools": {"ffprobe": "/opt/ffmpeg/bin/ffprobe"},
        "scan": {"workers": 3, "extensions": ("mkv", "mp4")},
        "jobs": {"retention_days": 90},
    }


def test_relative_log_file_in_a_settings_file_is_under_vpo_home(home: Path) -> None:
    write(home / "config.yaml", "logging:\n  file: logs/vpo.log\n")
    layer = load_config_layer(home)
    assert layer is not None
    assert layer.values["logging"]["file"] == str(home / "logs" / "vpo.log")


def test_tilde_in_tool_paths_is_expanded(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    write(home / "config.yaml", "tools:\n  mkvmerge: ~/bin/mkvmerge\n")
    layer = load_config_layer(home)
    assert layer is not None
    assert layer.values["tools"]["mkvmerge"] == "/home/someone/bin/mkvmerge"


def test_yaml_syntax_error_names_file_and_line(home: Path) -> None:
    err = config_error(
        home,
        """
        scan:
          workers: 2
          extensions: [mkv, mp4
        jobs:
          retention_days: 3
    """,
    )
    path = home / "config.yaml"
    assert err.code == "CONFIG_INVALID"
    assert err.message.startswith(f"{path}:")
    assert "invalid YAML" in err.message
    assert err.details["file"] == str(path)
    assert err.details["line"] in (3, 4, 5)  # the unclosed list: where the parser noticed it


def test_duplicate_key_is_an_error_with_its_line(home: Path) -> None:
    err = config_error(
        home,
        """
        scan:
          workers: 2
          workers: 3
    """,
    )
    assert err.details["line"] == 3, err.message
    assert "workers" in err.message


def test_unknown_section_lists_the_accepted_sections(home: Path) -> None:
    err = config_error(
        home,
        """
        scan:
          workers: 2
        scanner:
          workers: 2
    """,
    )
    assert err.message.startswith(f"{home / 'config.yaml'}:3: unknown key 'scanner'")
    assert err.details["accepted"] == [
        "behavior",
        "database",
        "integrations",
        "jobs",
        "logging",
        "notify",
        "paths",
        "scan",
        "tools",
        "transcode",
        "watch",
    ]
    for section in ("behavior", "jobs", "logging", "scan", "tools"):
        assert section in err.message


def test_unknown_key_in_a_section_lists_the_accepted_keys(home: Path) -> None:
    err = config_error(
        home,
        """
        logging:
          level: debug
          rotate_bytes: 1000
    """,
    )
    assert err.code == "CONFIG_INVALID"
    assert err.details["line"] == 3
    assert err.details["key"] == "logging.rotate_bytes"
    assert err.message.startswith(
        f"{home / 'config.yaml'}:3: logging.rotate_bytes: unknown key 'rotate_bytes'"
    )
    for key in ("level", "file", "format", "include_stderr", "max_bytes", "backup_count"):
        assert key in err.message


def test_config_may_not_name_a_profile_or_policy(home: Path) -> None:
    err = config_error(home, "name: movies\n")
    assert "unknown key 'name'" in err.message
    err = config_error(home, "default_policy: x.yaml\n")
    assert "unknown key 'default_policy'" in err.message


@pytest.mark.parametrize(
    "text, key, line, words",
    [
        (
            "logging:\n  level: verbose\n",
            "logging.level",
            2,
            ["'debug'", "'info'", "'warning'", "'error'", "verbose"],
        ),
        ("logging:\n  format: xml\n", "logging.format", 2, ["'text'", "'json'", "xml"]),
        ("scan:\n  prober: mplayer\n", "scan.prober", 2, ["'pyav'", "'ffprobe'", "mplayer"]),
        ("scan:\n  workers: lots\n", "scan.workers", 2, ["integer", "lots"]),
        ("scan:\n  workers: 2.5\n", "scan.workers", 2, ["integer"]),
        ("scan:\n  extensions: mkv\n", "scan.extensions", 2, ["tuple"]),
        ("jobs:\n  auto_purge: sometimes\n", "jobs.auto_purge", 2, ["boolean", "sometimes"]),
        ("tools:\n  ffmpeg: 42\n", "tools.ffmpeg", 2, ["string", "42"]),
    ],
)
def test_wrong_type_names_line_key_and_accepted_values(
    home: Path, text: str, key: str, line: int, words: list[str]
) -> None:
    err = config_error(home, text)
    assert err.details["key"] == key
    assert err.details["line"] == line
    assert err.message.startswith(f"{home / 'config.yaml'}:{line}: {key}: ")
    for word in words:
        assert word in err.message, err.message


@pytest.mark.parametrize(
    "text, key, reason",
    [
        ("scan:\n  workers: -1\n", "scan.workers", "must be 0 or more"),
        ("scan:\n  workers: true\n", "scan.workers", "must be a number (got True)"),
        ("scan:\n  probe_timeout: 0\n", "scan.probe_timeout", "must be more than 0"),
        ("scan:\n  extensions: []\n", "scan.extensions", "must list at least one extension"),
        ("scan:\n  extensions: [mkv, '.']\n", "scan.extensions", "an extension cannot be empty"),
        ("logging:\n  max_bytes: -5\n", "logging.max_bytes", "must be 0 or more"),
        ("logging:\n  backup_count: -1\n", "logging.backup_count", "must be 0 or more"),
        ("jobs:\n  retention_days: -3\n", "jobs.retention_days", "must be 0 or more"),
    ],
)
def test_out_of_range_values_stop_at_startup_with_file_and_line(
    home: Path, text: str, key: str, reason: str
) -> None:
    err = config_error(home, text)
    assert err.details["key"] == key
    assert err.message.startswith(f"{home / 'config.yaml'}:2: {key}: {reason}"), err.message


def test_a_section_that_is_not_a_mapping(home: Path) -> None:
    err = config_error(home, "scan: [workers]\n")
    assert err.message == f"{home / 'config.yaml'}:1: scan: must be a mapping"


def test_a_document_that_is_not_a_mapping(home: Path) -> None:
    err = config_error(home, "- scan\n- tools\n")
    assert "must be a mapping" in err.message


def test_unreadable_bytes_are_a_config_error_not_a_crash(home: Path) -> None:
    (home / "config.yaml").write_bytes(b"scan:\n  workers: \xff\xfe\n")
    with pytest.raises(ConfigError) as info:
        load_config_layer(home)
    assert str(home / "config.yaml") in info.value.message


@pytest.mark.parametrize("name", ["movies", "TV_shows", "kids-2", "a", "0"])
def test_good_profile_names(name: str) -> None:
    assert check_profile_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["../evil", "a/b", "", ".", "..", "/etc/passwd", "a b", "tv.yaml", "movies\n", "~root", "café", "a\\b"],
)
def test_names_with_path_tricks_are_refused(home: Path, name: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_profile_name(name)
    assert info.value.code == "CONFIG_INVALID"
    assert "letters, digits" in info.value.message
    with pytest.raises(ConfigError):
        load_profile(home, name)


def test_a_path_trick_cannot_reach_a_file_outside_the_profiles_folder(home: Path) -> None:
    write(home / "evil.yaml", "scan:\n  workers: 99\n")  # exists, one level up
    with pytest.raises(ConfigError) as info:
        profile_chain(home, "../evil")
    assert not isinstance(info.value, ProfileNotFoundError)
    assert "invalid profile name" in info.value.message


def test_unknown_profile_lists_the_available_ones(home: Path) -> None:
    write_profile(home, "movies", "name: movies\n")
    write_profile(home, "tv", "name: tv\n")
    with pytest.raises(ProfileNotFoundError) as info:
        load_profile(home, "kids")
    err = info.value
    assert err.code == "PROFILE_NOT_FOUND"
    assert err.message == "profile 'kids' not found; available: movies, tv"
    assert err.details["available"] == ["movies", "tv"]
