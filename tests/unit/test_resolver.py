"""The precedence resolver is a pure function: layers in, settings and sources out.

defaults < config.yaml < profile chain (base first) < command-line flags.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from vpo.catalogue import DEFAULT_EXTENSIONS
from vpo.config.layers import Layer
from vpo.config.resolver import as_dict, cli_layer, resolve
from vpo.config.settings import SECTIONS, Settings

HOME = Path("/nonexistent/vpo-home")

ALL_KEYS = {f"{section}.{f.name}" for section, cls in SECTIONS.items() for f in fields(cls)}


def config(**sections: dict) -> Layer:
    return Layer("config", sections)


def profile(name: str, **sections: dict) -> Layer:
    return Layer(f"profile:{name}", sections)


def test_no_layers_gives_the_built_in_defaults_all_sourced_default() -> None:
    eff = resolve([], home=HOME)
    assert eff.settings == Settings(home=HOME)
    assert eff.settings.scan.workers == 0
    assert eff.settings.scan.extensions == DEFAULT_EXTENSIONS
    assert eff.settings.logging.level == "info"
    assert eff.settings.logging.max_bytes == 10 * 1024 * 1024
    assert eff.settings.logging.backup_count == 5
    assert eff.settings.jobs.retention_days == 30
    assert eff.settings.jobs.auto_purge is True
    assert set(eff.sources) == ALL_KEYS
    assert set(eff.sources.values()) == {"default"}
    assert eff.profile is None


def test_each_layer_beats_the_one_below_key_by_key() -> None:
    layers = [
        config(scan={"workers": 2, "prune": True, "prober": "ffprobe"}, jobs={"retention_days": 7}),
        profile("base", scan={"workers": 3, "prune": False}),
        profile("movies", scan={"workers": 4}),
        cli_layer({"scan.workers": 5}),
    ]
    eff = resolve(layers, home=HOME)
    scan = eff.settings.scan
    assert (scan.workers, scan.prune, scan.prober, scan.follow_symlinks) == (5, False, "ffprobe", False)
    assert eff.settings.jobs.retention_days == 7
    assert eff.sources["scan.workers"] == "cli"
    assert eff.sources["scan.prune"] == "profile:base"
    assert eff.sources["scan.prober"] == "config"
    assert eff.sources["jobs.retention_days"] == "config"
    assert eff.sources["scan.follow_symlinks"] == "default"


@pytest.mark.parametrize(
    "top, expected",
    [
        (1, ("config", 11)),
        (2, ("profile:base", 12)),
        (3, ("profile:movies", 13)),
        (4, ("cli", 14)),
    ],
)
def test_the_highest_layer_present_wins(top: int, expected: tuple[str, int]) -> None:
    layers = [
        config(scan={"workers": 11}),
        profile("base", scan={"workers": 12}),
        profile("movies", scan={"workers": 13}),
        cli_layer({"scan.workers": 14}),
    ][:top]
    eff = resolve(layers, home=HOME)
    assert (eff.sources["scan.workers"], eff.settings.scan.workers) == expected


def test_a_value_equal_to_the_default_still_records_the_layer_that_set_it() -> None:
    eff = resolve([config(logging={"level": "info"})], home=HOME)
    assert eff.settings.logging.level == "info"
    assert eff.sources["logging.level"] == "config"


def test_a_later_layer_that_does_not_set_a_key_leaves_it_alone() -> None:
    eff = resolve(
        [config(tools={"ffprobe": "/opt/ff/ffprobe"}), profile("tv", tools={"ffmpeg": "/opt/ff/ffmpeg"})],
        home=HOME,
    )
    assert eff.settings.tools.ffprobe == "/opt/ff/ffprobe"
    assert eff.settings.tools.ffmpeg == "/opt/ff/ffmpeg"
    assert eff.settings.tools.mkvmerge == "mkvmerge"
    assert (eff.sources["tools.ffprobe"], eff.sources["tools.ffmpeg"], eff.sources["tools.mkvmerge"]) == (
        "config",
        "profile:tv",
        "default",
    )


def test_cli_layer_keeps_only_the_flags_given() -> None:
    layer = cli_layer({"scan.workers": 4, "scan.prune": None, "logging.level": "debug", "logging.file": None})
    assert layer.source == "cli"
    assert layer.values == {"scan": {"workers": 4}, "logging": {"level": "debug"}}


def test_a_false_flag_is_a_given_flag() -> None:
    """--no-prune must beat `prune: true` in a profile: False is a value, only None is absent."""
    eff = resolve([profile("p", scan={"prune": True}), cli_layer({"scan.prune": False})], home=HOME)
    assert eff.settings.scan.prune is False
    assert eff.sources["scan.prune"] == "cli"


def test_settings_carry_home_and_the_profile_given() -> None:
    from vpo.config.layers import Profile

    prof = Profile(
        name="kids",
        path=HOME / "profiles/kids.yaml",
        description=None,
        extends=None,
        default_policy=None,
        layer=profile("kids"),
    )
    eff = resolve([prof.layer], home=HOME, profile=prof)
    assert eff.profile is prof
    assert eff.settings.home == HOME
    assert eff.settings.database_path == HOME / "library.db"
    assert eff.settings.database_target == HOME / "library.db"  # no database.url: SQLite


def test_resolve_does_not_mutate_its_layers() -> None:
    cfg = config(scan={"workers": 2})
    cli = cli_layer({"scan.workers": 9})
    resolve([cfg, cli], home=HOME)
    assert cfg.values == {"scan": {"workers": 2}}
    assert cli.values == {"scan": {"workers": 9}}
    # and a second resolution without the flag sees the config value again
    assert resolve([cfg], home=HOME).settings.scan.workers == 2


def test_workers_zero_means_one_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert resolve([], home=HOME).settings.workers() == 6
    assert resolve([config(scan={"workers": 3})], home=HOME).settings.workers() == 3


def test_as_dict_is_json_shaped_and_complete() -> None:
    import json

    eff = resolve([config(scan={"extensions": ("mkv", "mp4")})], home=HOME)
    out = as_dict(eff.settings)
    assert set(out) == set(SECTIONS)
    assert {f"{s}.{k}" for s, keys in out.items() for k in keys} == ALL_KEYS
    assert out["scan"]["extensions"] == ["mkv", "mp4"]
    assert json.loads(json.dumps(out)) == out


def test_defaults_match_the_documented_table() -> None:
    """docs/configuration.md lists every key with its default; keep the two in step."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    defaults = as_dict(resolve([], home=HOME).settings)
    for section, keys in defaults.items():
        for key in keys:
            assert f"`{section}.{key}`" in doc, f"{section}.{key} is not documented"
