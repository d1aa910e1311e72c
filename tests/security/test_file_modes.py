"""What VPO writes takes the mode it should, whatever the umask (docs/security.md, "File
modes"):

- a transcode's result takes the original's mode (a 0600 film stays 0600) and, as root,
  its owner and group, as an apply's remux always did (media/fileattrs.py);
- `--log-file` in folders that do not exist yet creates every one of them 0700, not only
  the last (paths.make_private_folders);
- `report --html FILE` writes the page 0600, or the mode `--mode` asks for; a bad mode is
  a usage error (exit 2) and writes nothing.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from fault.killing import HANG_GUARD
from integration.conftest import RunVpo, age_tree
from integration.scanutil import argv, assert_no_traceback, env_for

NOBODY = 65534  # an owner that is not the test's user (only root can give a file away)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_transcode_keeps_the_originals_mode_and_owner(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    root = tmp_path / "lib"
    film = make_video(root / "private.mkv")
    film.chmod(0o600)
    as_root = os.geteuid() == 0
    if as_root:
        os.chown(film, NOBODY, NOBODY)
    age_tree(root)
    assert vpo("scan", root).code == 0
    queued = vpo("transcode", "--codec", "hevc", "--json", film)
    assert queued.code == 0 and [f["status"] for f in queued.json()["files"]] == ["queued"], queued
    done = vpo("jobs", "run", "--json")
    assert done.code == 0, done
    assert (root / "private.mkv.vpo-original").exists(), sorted(os.listdir(root))  # it was replaced
    st = os.stat(film)
    assert stat.S_IMODE(st.st_mode) == 0o600
    if as_root:
        assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY)


def test_log_file_folders_are_all_created_private(tmp_path: Path, vpo_home: Path) -> None:
    """Under a umask of 0 (mkdir's parents would be 0777)."""
    log = tmp_path / "a" / "b" / "c" / "vpo.log"
    done = subprocess.run(
        argv("--log-file", log, "--log-level", "info", "jobs", "list"),
        env=env_for(vpo_home),
        capture_output=True,
        timeout=HANG_GUARD,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.umask(0),
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "cannot open log file" not in done.stderr.decode()
    created = [tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"]
    assert {str(p): oct(mode_of(p)) for p in created} == {str(p): oct(0o700) for p in created}
    assert mode_of(log) == 0o600


def _catalogued(make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo) -> None:
    root = tmp_path / "lib"
    make_video(root / "film.mkv")
    age_tree(root)
    assert vpo("scan", root).code == 0


def test_the_html_report_is_private_unless_asked(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    _catalogued(make_video, tmp_path, vpo)
    page = tmp_path / "report.html"
    page.write_text("an older report, open to all")
    page.chmod(0o644)
    done = vpo("report", "--html", page)
    assert done.code == 0, done
    assert mode_of(page) == 0o600 and "<html" in page.read_text()
    shared = tmp_path / "shared.html"
    done = vpo("report", "--json", "--html", shared, "--mode", "644")
    assert done.code == 0 and done.json()["html"] == str(shared), done
    assert mode_of(shared) == 0o644
    left = set(os.listdir(tmp_path)) - {"lib", "report.html", "shared.html", "vpo-home"}
    assert left == set()  # no temp left (VPO_HOME holds no catalogue file on PostgreSQL)


def test_a_bad_report_mode_is_a_usage_error(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    _catalogued(make_video, tmp_path, vpo)
    page = tmp_path / "report.html"
    for bad in ("rw-r--r--", "999", "1777", "64", "0x1a4", ""):
        done = vpo("report", "--json", "--html", page, "--mode", bad)
        assert_no_traceback(done)
        assert done.code == 2, done
        assert done.json()["code"] == "USAGE" and "--mode" in done.json()["message"], done
    alone = vpo("report", "--mode", "644")
    assert alone.code == 2 and "--html" in alone.stderr, alone
    assert not page.exists()
