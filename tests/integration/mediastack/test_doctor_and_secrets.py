"""`vpo doctor`'s integration lines, and the keys and tokens never shown anywhere."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from integration.conftest import RunVpo
from integration.mediastack.conftest import make_films
from integration.mediastack.helpers import entry, write_config
from protocol.arr import FakeArr, movie
from protocol.jellyfin import FakeMediaBrowser
from protocol.plex import FakePlex


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lines(out: str) -> dict[str, str]:
    """doctor's text lines by check name: `ok   name   detail` -> {name: "ok detail"}."""
    found = {}
    for line in out.splitlines():
        status, name, *rest = line.split(None, 2)
        found[name] = f"{status} {rest[0] if rest else ''}"
    return found


def test_doctor_says_what_each_integration_sees_and_what_it_does_not_cover(
    vpo: RunVpo, vpo_home: Path, radarr: FakeArr, sonarr: FakeArr, plex: FakePlex, jellyfin: FakeMediaBrowser
) -> None:
    radarr.root_folders = ["/media/films", "/media/4k"]
    plex.sections = [("1", "Films", "movie", ["/media/films"]), ("2", "Shows", "show", ["/media/tv"])]
    (vpo_home / "profiles").mkdir(parents=True)
    (vpo_home / "profiles" / "films.yaml").write_text("roots: [/media/films]\n")
    (vpo_home / "profiles" / "home.yaml").write_text("roots: [/media/home-videos]\n")
    port = _closed_port()
    write_config(
        vpo_home,
        {
            "radarr": entry(radarr),
            "sonarr": entry(sonarr, key="not-the-key"),
            "plex": entry(plex),
            "jellyfin": {"url": f"http://127.0.0.1:{port}", "api_key": jellyfin.key},
        },
        timeout=1,
        retries=0,
    )
    result = vpo("doctor")
    assert result.code == 1, result  # two integrations need attention
    lines = _lines(result.stdout)
    assert lines["integration:radarr"].startswith("ok "), result.stdout
    assert "root folders: /media/films, /media/4k" in lines["integration:radarr"]
    assert lines["integration:sonarr"].startswith("BAD ")
    assert "rejected the API key (HTTP 401)" in lines["integration:sonarr"]
    assert lines["integration:plex"].startswith("ok ")
    assert "Films (/media/films); Shows (/media/tv)" in lines["integration:plex"]
    assert lines["integration:jellyfin"].startswith("BAD ")
    assert f"cannot reach http://127.0.0.1:{port}" in lines["integration:jellyfin"]
    assert lines["integrations:roots"] == "ok no integration covers /media/home-videos"

    doc = vpo("doctor", "--json").json()
    checks = {c["name"]: c for c in doc["checks"]}
    assert checks["integration:sonarr"]["data"] == {
        "url": sonarr.url,
        "reachable": True,
        "key_accepted": False,
    }
    assert checks["integration:jellyfin"]["data"]["reachable"] is False
    assert checks["integrations:roots"]["data"]["uncovered"] == ["/media/home-videos"]
    assert all(c.headers.get("x-api-key") == radarr.key for c in radarr.requests)


def test_doctor_without_integrations_shows_no_integration_lines(vpo: RunVpo) -> None:
    result = vpo("doctor")
    assert "integration" not in result.stdout


def test_no_key_or_token_anywhere(
    vpo: RunVpo,
    vpo_home: Path,
    tmp_path: Path,
    make_video: Callable[..., Path],
    policy_file: Path,
    radarr: FakeArr,
    plex: FakePlex,
    jellyfin: FakeMediaBrowser,
) -> None:
    root = tmp_path / "films"
    paths = make_films(make_video, root, folders=2, per_folder=1)
    radarr.items = [movie(5, str(paths[0].parent))]
    plex.sections = [("1", "Films", "movie", [str(root)])]
    jellyfin.mode = "error"  # its failure is logged and recorded: still without the key
    log = tmp_path / "vpo.log"
    (vpo_home / "profiles").mkdir(parents=True)
    profile = vpo_home / "profiles" / "films.yaml"
    profile.write_text(
        f"roots: [{root}]\nintegrations:\n  radarr: {{url: '{radarr.url}', api_key: '{radarr.key}'}}\n"
    )
    profile.chmod(0o600)
    write_config(vpo_home, {"plex": entry(plex), "jellyfin": entry(jellyfin)}, timeout=1, retries=0)
    flags = ["-vv", "--log-json", "--log-file", log, "--profile", "films"]
    runs = [
        vpo(*flags, "scan", root),
        vpo(*flags, "apply", "--policy", policy_file, "--json", root),
        vpo(*flags, "apply", "--policy", policy_file, root),
        vpo(*flags, "doctor"),
        vpo(*flags, "doctor", "--json"),
        vpo(*flags, "profiles", "show", "films"),
        vpo(*flags, "profiles", "show", "films", "--json"),
    ]
    applied = runs[1].json()
    assert applied["counts"]["changed"] == 2 and applied["warnings"], runs[1]
    assert radarr.calls("POST", "/api/v3/command") and plex.refreshes()  # the keys were used
    runs.append(vpo("jobs", "show", applied["job_id"], "--json"))
    runs.append(vpo("jobs", "list", "--json"))
    shown = runs[6].json()
    assert shown["effective"]["integrations"]["radarr"]["api_key"] == "***"
    assert shown["profile"]["integrations"]["radarr"]["api_key"] == "***"
    texts = [r.stdout + r.stderr for r in runs] + [log.read_text()]
    catalogue = [p.read_bytes() for p in vpo_home.glob("library.db*")]
    for secret in (radarr.key, plex.key, jellyfin.key):
        for text in texts:
            assert secret not in text
        for data in catalogue:
            assert secret.encode() not in data
    assert '"api_key": "***"' in runs[6].stdout


def test_a_readable_file_holding_a_key_is_warned_about(vpo: RunVpo, vpo_home: Path, radarr: FakeArr) -> None:
    write_config(vpo_home, {"radarr": entry(radarr)}, mode=0o644)
    result = vpo("profiles", "list")
    assert (
        f"{vpo_home / 'config.yaml'} holds the radarr API key and can be read by other users" in result.stderr
    )
    assert radarr.key not in result.stderr
    (vpo_home / "config.yaml").chmod(0o600)
    assert "can be read by other users" not in vpo("profiles", "list").stderr


def test_bad_integration_settings_name_file_line_and_key(vpo: RunVpo, vpo_home: Path) -> None:
    vpo_home.mkdir(parents=True, exist_ok=True)
    config = vpo_home / "config.yaml"
    config.write_text("integrations:\n  radarr:\n    url: ftp://nas\n    api_key: s3cr3t-k3y\n")
    config.chmod(0o600)
    result = vpo("profiles", "list")
    assert result.code == 2, result
    assert f"{config}:2: integrations.radarr: url: must be an http:// or https:// URL" in result.stderr
    config.write_text("integrations:\n  plex:\n    url: http://nas:32400\n    api_key: s3cr3t-k3y\n")
    result = vpo("profiles", "list")
    assert result.code == 2 and "integrations.plex" in result.stderr, result
    config.write_text("integrations:\n  sonarr:\n    url: http://nas\n    api_key: 12345678\n")
    result = vpo("profiles", "list")
    assert result.code == 2 and f"{config}:4: integrations.sonarr.api_key" in result.stderr, result
    assert "12345678" not in result.stderr  # even a key of the wrong type is masked
    config.write_text("integrations:\n  timeout: 0\n")
    result = vpo("profiles", "list")
    assert result.code == 2 and f"{config}:2: integrations.timeout: must be more than 0" in result.stderr
