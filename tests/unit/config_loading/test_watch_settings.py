"""A profile's `roots` and the `watch:` section (SPEC section 17): what they accept, and
errors that name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from unit.config_loading.helpers import config_error, write, write_profile
from vpo.config.loader import load_config_layer, load_profile, profile_chain
from vpo.config.profiles import profiles_with_roots
from vpo.config.settings import WatchSettings
from vpo.errors import ConfigError


def test_roots_are_expanded_normalised_and_listed_once(home: Path) -> None:
    write_profile(home, "movies", "roots:\n  - ~/films/\n  - /media/movies/../movies\n  - ~/films\n")
    assert load_profile(home, "movies").roots == (str(Path.home() / "films"), "/media/movies")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("roots: /media/movies\n", 1, "must be a list of absolute paths"),
        ("roots:\n  - /media\n  - movies\n", 3, "'movies' is not an absolute path"),
        ("roots:\n  - 12\n", 2, "must be a path (got 12)"),
        ("roots:\n  - ''\n", 2, "must be a path"),
    ],
)
def test_bad_roots_name_file_line_and_key(home: Path, text: str, line: int, reason: str) -> None:
    path = write_profile(home, "movies", text)
    with pytest.raises(ConfigError) as info:
        load_profile(home, "movies")
    assert info.value.message.startswith(f"{path}:{line}: roots: {reason}")


def test_roots_belong_to_their_profile_not_to_those_that_extend_it(home: Path) -> None:
    write_profile(home, "base", "roots: [/media/all]\n")
    write_profile(home, "kids", "extends: base\n")
    assert [p.roots for p in profile_chain(home, "kids")] == [("/media/all",), ()]
    assert profiles_with_roots(home) == ["base"]


def test_roots_are_not_a_config_file_key(home: Path) -> None:
    assert "unknown key 'roots'" in config_error(home, "roots: [/media]\n").message


def test_the_watch_section_sets_each_key(home: Path) -> None:
    write(
        home / "config.yaml",
        "watch:\n  settle: 2.5\n  poll: true\n  poll_interval: 30\n  reconcile_interval: 600\n"
        "  apply: false\n  ignore: ['*.!ut']\n",
    )
    layer = load_config_layer(home)
    assert layer is not None
    assert layer.values["watch"] == {
        "settle": 2.5,
        "poll": True,
        "poll_interval": 30,
        "reconcile_interval": 600,
        "apply": False,
        "ignore": ("*.!ut",),
    }
    assert WatchSettings().ignore == ("*.part", "*.partial", "*.tmp", "*.!qB", ".*")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("watch:\n  settle: 0\n", "watch.settle: must be more than 0"),
        ("watch:\n  poll_interval: -1\n", "watch.poll_interval: must be more than 0"),
        ("watch:\n  reconcile_interval: .nan\n", "watch.reconcile_interval: must be more than 0"),
        ("watch:\n  settle: .inf\n", "watch.settle: must be a finite number of seconds"),
        ("watch:\n  settle: true\n", "watch.settle: must be a number"),
        ("watch:\n  ignore: ['']\n", "watch.ignore: a pattern cannot be empty"),
        ("watch:\n  setle: 3\n", "setle"),
    ],
)
def test_bad_watch_values_name_file_line_and_key(home: Path, text: str, reason: str) -> None:
    error = config_error(home, text)
    assert error.message.startswith(f"{home / 'config.yaml'}:2:"), error.message
    assert reason in error.message
