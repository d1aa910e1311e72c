"""Notifications through the real CLI and the real Apprise, to a `json://` endpoint on
127.0.0.1 (notify_endpoint.py): one message per run when `notify.on` asks for it, never one
for a rescan that found nothing; a service that is down or refuses is a warning and the
exit code stays; the URL (a secret, with a token in it) is never shown anywhere."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo, age_tree
from integration.mediastack.notify_endpoint import TOKEN, Endpoint


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    service = Endpoint()
    yield service
    service.close()


def write_config(home: Path, urls: list[str], on: list[str] | None = None) -> None:
    home.mkdir(parents=True, exist_ok=True)
    notify: dict[str, Any] = {"urls": urls}
    if on is not None:
        notify["on"] = on
    path = home / "config.yaml"
    path.write_text(json.dumps({"notify": notify}) + "\n")  # JSON is YAML
    path.chmod(0o600)


@pytest.fixture
def films(tmp_path: Path, make_video: Any) -> Path:
    """Two tiny films, an hour old."""
    root = tmp_path / "films"
    root.mkdir()
    make_video(root / "one.mkv")
    make_video(root / "two.mp4")
    age_tree(root)
    return root


def refused_url() -> str:
    """A json:// URL on a port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"json://127.0.0.1:{port}/hook/{TOKEN}"


def test_a_scan_that_fails_sends_one_message_with_the_error_and_its_job(
    vpo: RunVpo, vpo_home: Path, endpoint: Endpoint, films: Path
) -> None:
    write_config(vpo_home, [endpoint.url])  # `on` by default: failed, errors, watch_down
    first = vpo("scan", films)
    assert first.code == 0, first
    assert endpoint.messages == []  # files added: not news by default

    shutil.rmtree(films)  # the catalogued library is gone: the scan fails (its job too)
    failed = vpo("scan", films)
    assert failed.code == 2, failed
    error = failed.stderr.strip().splitlines()[-1].removeprefix("Error: ")
    assert str(films) in error, failed
    jobs = vpo("jobs", "list", "--json").json()
    job = next(j for j in jobs if j["status"] == "failed")

    assert len(endpoint.messages) == 1, endpoint.posts
    message = endpoint.messages[0]
    assert message["title"].startswith("VPO scan on ") and message["title"].endswith(": failed"), message
    assert f"Failed: {error}" in message["message"], message
    assert f"Job {job['id']}" in message["message"], message
    assert message["type"] == "failure"
    assert endpoint.posts[0]["path"] == f"/hook/{TOKEN}"


def test_a_scan_that_adds_files_sends_its_counts_and_a_rescan_that_changes_nothing_sends_none(
    vpo: RunVpo, vpo_home: Path, endpoint: Endpoint, films: Path
) -> None:
    write_config(vpo_home, [endpoint.url], on=["changed"])
    scan = vpo("scan", "--json", films)
    assert scan.code == 0, scan
    assert len(endpoint.messages) == 1, endpoint.posts
    message = endpoint.messages[0]
    assert message["title"].endswith(": files changed"), message
    assert "discovered 2, added 2" in message["message"], message
    assert f"Job {scan.json()['job_id']}" in message["message"], message

    again = vpo("scan", films)
    assert again.code == 0, again
    assert len(endpoint.messages) == 1, endpoint.posts  # nothing new: no message


def test_a_check_that_finds_a_broken_file_names_it(
    vpo: RunVpo, vpo_home: Path, endpoint: Endpoint, tmp_path: Path, damaged_media: dict[str, Any]
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("good.mkv", "damaged.mkv"):  # damaged.mkv: only a thorough check finds it
        shutil.copyfile(damaged_media[name].path, lib / name)
    age_tree(lib)
    write_config(vpo_home, [endpoint.url], on=["errors"])
    assert vpo("scan", lib).code == 0
    assert endpoint.messages == []  # no errors, and changes are not asked for

    check = vpo("check", "--thorough", lib)
    assert check.code == 1, check
    assert len(endpoint.messages) == 1, endpoint.posts
    message = endpoint.messages[0]
    assert message["title"].endswith(": 1 file(s) in error"), message
    assert f"- {lib / 'damaged.mkv'}: " in message["message"], message
    assert "good.mkv" not in message["message"], message


@pytest.mark.parametrize("trouble", ["refused", "http 500"])
def test_a_service_down_or_refusing_is_a_warning_and_the_exit_code_stays(
    vpo: RunVpo, vpo_home: Path, films: Path, trouble: str
) -> None:
    refusing = Endpoint(status=500)
    try:
        url = refused_url() if trouble == "refused" else refusing.url
        write_config(vpo_home, [url], on=["changed"])
        scan = vpo("scan", films)
        assert scan.code == 0, scan
        assert "Scan complete" in scan.stdout, scan
        warnings = [line for line in scan.stderr.splitlines() if "notification not sent (scan)" in line]
        assert len(warnings) == 1 and warnings[0].startswith("vpo: WARNING: "), scan
        assert "json://***" in warnings[0], scan
        assert len(refusing.posts) == (1 if trouble == "http 500" else 0)
    finally:
        refusing.close()


def test_the_url_is_never_shown(vpo: RunVpo, vpo_home: Path, tmp_path: Path, films: Path) -> None:
    refusing = Endpoint(status=500)  # the warning path: the one that quotes the service
    try:
        url = refusing.url
        write_config(vpo_home, [url], on=["changed", "failed"])
        (vpo_home / "profiles").mkdir()
        (vpo_home / "profiles" / "p.yaml").write_text(f"notify:\n  urls: [{url!r}]\n")
        (vpo_home / "profiles" / "p.yaml").chmod(0o600)
        text_log, json_log = tmp_path / "vpo.log", tmp_path / "vpo.jsonl"
        runs = [
            vpo("--log-file", text_log, "-vv", "scan", films),
            vpo("--log-file", json_log, "--log-json", "-vv", "scan", "--full", films),
            vpo("--log-file", text_log, "-vv", "scan", tmp_path / "not-there"),
            vpo("profiles", "show", "p"),
            vpo("profiles", "show", "p", "--json"),
            vpo("doctor", "--json"),
        ]
        job = runs[0].stdout.split("(job ")[-1].split(")")[0]
        runs.append(vpo("jobs", "show", job, "--json"))
        assert len(refusing.posts) == 3  # two scans that changed files, one that failed
        shown = [r.stdout + r.stderr for r in runs] + [text_log.read_text(), json_log.read_text()]
        assert shown[-2].count("notification not sent") == 2, shown[-2]  # with a log file: there
        assert shown[-1].count("notification not sent") == 1, shown[-1]
        for text in shown:
            assert TOKEN not in text, text
            assert f":{refusing.server.server_address[1]}/hook" not in text, text
        assert "json://***" in runs[3].stdout, runs[3]
    finally:
        refusing.close()


def test_doctor_checks_each_url_without_sending(vpo: RunVpo, vpo_home: Path, endpoint: Endpoint) -> None:
    write_config(vpo_home, [endpoint.url, f"nosuchservice://host/{TOKEN}"])
    doctor = vpo("doctor", "--json")
    assert doctor.code == 1, doctor
    check = next(c for c in doctor.json()["checks"] if c["name"] == "notify")
    assert not check["ok"] and "entry 2 (nosuchservice://***): not a URL Apprise knows" in check["detail"]
    assert check["data"]["urls"] == ["json://***", "nosuchservice://***"]
    assert TOKEN not in doctor.stdout + doctor.stderr

    write_config(vpo_home, [endpoint.url])
    doctor = vpo("doctor")
    assert (
        "ok   notify               1 URL(s): json://***; sent on: failed, errors, watch_down" in doctor.stdout
    )
    assert endpoint.posts == []  # a doctor run is no news


def test_a_hook_import_sends_one_message_for_the_event(
    vpo: RunVpo, vpo_home: Path, endpoint: Endpoint, tmp_path: Path, make_video: Any
) -> None:
    """Radarr's import of a film is one run: one message with the scan's counts, however
    many steps (scan, apply) the hook took; an event with nothing to do sends none."""
    write_config(vpo_home, [endpoint.url], on=["changed"])
    film = make_video(tmp_path / "lib" / "Film (2001)" / "Film (2001).mkv")
    age_tree(film.parent)
    env = {"radarr_eventtype": "Download", "radarr_moviefile_path": str(film), "radarr_movie_id": "7"}
    done = vpo("hook", env=env)
    assert done.code == 0, done
    assert len(endpoint.messages) == 1, endpoint.posts
    message = endpoint.messages[0]
    assert message["title"].startswith("VPO hook on "), message
    assert "added 1" in message["message"].lower() or "1 added" in message["message"].lower(), message

    nothing = vpo("hook", env={"radarr_eventtype": "Grab"})
    assert nothing.code == 0, nothing
    assert len(endpoint.messages) == 1, endpoint.posts
