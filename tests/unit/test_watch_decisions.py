"""`vpo watch`'s pure decisions: settling, which names are handled, where events can be
trusted, why events failed, what a batch's scan walks, which roots go together."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from vpo.config.settings import Settings
from vpo.errors import UsageError
from vpo.media.siblings import is_own_name
from vpo.scan.diff import BatchPlan, hold_back
from vpo.watch.lock import overlaps
from vpo.watch.models import WatchRoot
from vpo.watch.mounts import fs_type, parse_mountinfo, polling_reason
from vpo.watch.names import NameFilter
from vpo.watch.pipeline import FILE_ROOTS_UP_TO, scan_roots
from vpo.watch.settle import Settling
from vpo.watch.sources import fallback_reason
from vpo.watch.targets import check_targets

# -- settling ----------------------------------------------------------------------------------


def test_a_path_is_due_once_unchanged_for_the_settle_time() -> None:
    table = Settling(30)
    assert table.observe(b"/m/a.mkv", (100, 1), now=0) is True
    assert table.observe(b"/m/a.mkv", (200, 2), now=10) is False  # still copying
    assert table.due(now=39) == []
    assert table.next_due(now=39) == 1
    assert table.due(now=40) == [(b"/m/a.mkv", (200, 2))]


def test_an_event_that_changes_nothing_restarts_nothing() -> None:
    table = Settling(30)
    table.observe(b"/m/a.mkv", (100, 1), now=0)
    table.observe(b"/m/a.mkv", (100, 1), now=25)  # a chmod, an access
    assert [p for p, _ in table.due(now=30)] == [b"/m/a.mkv"]


def test_a_due_path_counts_as_settled_only_if_it_is_still_as_it_was() -> None:
    table = Settling(30)
    table.observe(b"/m/a.mkv", (100, 1), now=0)
    assert table.confirm(b"/m/a.mkv", (150, 3), now=30) is False  # a write no event reported
    assert b"/m/a.mkv" in table and table.due(now=59) == []
    assert table.confirm(b"/m/a.mkv", (150, 3), now=60) is True
    assert b"/m/a.mkv" not in table and len(table) == 0


def test_deletions_settle_like_files_and_the_oldest_come_first() -> None:
    table = Settling(5)
    table.observe(b"/m/new.mkv", (1, 1), now=2)
    table.observe(b"/m/old.mkv", None, now=1)
    assert table.due(now=10) == [(b"/m/old.mkv", None), (b"/m/new.mkv", (1, 1))]
    assert table.due(now=10, limit=1) == [(b"/m/old.mkv", None)]
    table.restart(now=10)
    assert table.due(now=14) == [] and table.next_due(now=14) == 1


# -- names -------------------------------------------------------------------------------------

NAMES = NameFilter(b"/media/tv", ignore=("*.part", "*.!qB", ".*", "sample-*"), extensions=("mkv", "mp4"))


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        (b"/media/tv/Show/S01E01.mkv", True),
        (b"/media/tv/Show/S01E01.MKV", True),
        (b"/media/tv/Show/S01E01.mkv.part", False),
        (b"/media/tv/Show/S01E01.MKV.PART", False),  # patterns are case-insensitive
        (b"/media/tv/Show/S01E01.mkv.!qB", False),
        (b"/media/tv/Show/sample-S01E01.mkv", False),
        (b"/media/tv/Show/S01E01.srt", False),  # not a video extension
        (b"/media/tv/.hidden/S01E01.mkv", False),  # scans skip hidden folders
        (b"/media/tv/Show/.vpo-tmp-12-0123abcd.mkv", False),
        (b"/media/tv2/Show/S01E01.mkv", False),  # a sibling folder, not under the root
        (b"/media/tv/Show/\xff\xfe.mkv", True),  # any bytes
    ],
)
def test_which_names_the_watcher_handles(path: bytes, wanted: bool) -> None:
    assert NAMES.wanted(path) is wanted


def test_vpo_own_names_are_never_handled_even_without_the_hidden_pattern() -> None:
    names = NameFilter(b"/m", ignore=(), extensions=("mkv", "mp4"))
    for own in (b".vpo-tmp-1-deadbeef.mkv", b".Film.vpo-original-42.mkv", b".Film.vpo-transcode-7.mp4"):
        assert is_own_name(own) and not names.wanted(b"/m/" + own)
    assert is_own_name(b"Film.mkv.vpo-original") and is_own_name(b"Film.mkv.vpo-original.2")
    assert not is_own_name(b"vpo-originals.mkv") and names.wanted(b"/m/vpo-originals.mkv")
    assert not names.wanted(b"/m/.Film.mkv")  # hidden: scans skip it too


# -- where events can be trusted -----------------------------------------------------------------

MOUNTINFO = b"""22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:40 / /mnt/nas rw,relatime shared:20 - nfs4 nas:/export rw,vers=4.2
41 22 0:41 / /mnt/smb\\040share rw - cifs //nas/share rw
42 40 0:42 / /mnt/nas/local rw - ext4 /dev/sdb1 rw
43 22 0:43 / /mnt/cloud rw,nosuid - fuse.rclone remote: rw
"""


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (b"/media/movies", "ext4"),
        (b"/mnt/nas", "nfs4"),
        (b"/mnt/nas/movies", "nfs4"),
        (b"/mnt/nas/local/movies", "ext4"),  # a mount on top of the share
        (b"/mnt/nasty", "ext4"),  # not under /mnt/nas
        (b"/mnt/smb share/films", "cifs"),  # octal escapes in mount points
        (b"/mnt/cloud/films", "fuse.rclone"),
    ],
)
def test_the_file_system_of_a_path_is_that_of_its_longest_mount_point(path: bytes, kind: str) -> None:
    assert fs_type(path, parse_mountinfo(MOUNTINFO)) == kind


@pytest.mark.parametrize("kind", ["nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "fuseblk", "9p"])
def test_network_and_user_space_file_systems_are_polled(kind: str) -> None:
    reason = polling_reason(kind, forced=False)
    assert reason is not None and reason.startswith(kind)


def test_local_file_systems_are_watched_unless_polling_is_asked_for() -> None:
    assert polling_reason("ext4", forced=False) is None
    assert polling_reason(None, forced=False) is None
    assert polling_reason("ext4", forced=True) == "watch.poll is true"


def test_why_events_failed_is_said_so_a_person_can_act() -> None:
    limit = OSError("OS file watch limit reached. (Error { kind: MaxFilesWatch, paths: [] })")
    assert "max_user_watches" in fallback_reason(limit)
    assert "max_user_watches" in fallback_reason(OSError(errno.ENOSPC, "No space left on device"))
    assert "max_user_instances" in fallback_reason(OSError(errno.EMFILE, "Too many open files"))
    assert "not UTF-8" in fallback_reason(RuntimeError('Unable to decode path "/m/\\xff" to string'))
    assert fallback_reason(RuntimeError("boom")) == "file events failed: boom"


# -- what a batch scans ----------------------------------------------------------------------------


def test_a_batch_scans_its_files_and_the_nearest_folder_left_of_what_went(tmp_path: Path) -> None:
    root = str(tmp_path).encode()
    (tmp_path / "A").mkdir()
    files = [root + b"/B/new.mkv"]
    gone = [root + b"/A/Old/film.mkv", root + b"/A/x.mkv", root + b"/top.mkv"]
    assert scan_roots(root, files, gone) == tuple(sorted({root + b"/B/new.mkv", root + b"/A", root}))
    many = [root + b"/C/%d.mkv" % i for i in range(FILE_ROOTS_UP_TO + 1)]
    assert scan_roots(root, many, []) == (root + b"/C",)


def test_a_scan_holds_back_what_it_was_not_asked_to_probe() -> None:
    plan = BatchPlan(new=[(b"/m/a", 1, 1, 0, 0), (b"/m/b", 1, 1, 0, 0)])
    held = hold_back(plan, frozenset({b"/m/a"}))
    assert [e[0] for e in held] == [b"/m/b"] and [e[0] for e in plan.new] == [b"/m/a"]
    assert hold_back(BatchPlan(new=[(b"/m/a", 1, 1, 0, 0)]), frozenset()) == [(b"/m/a", 1, 1, 0, 0)]


# -- which roots go together ----------------------------------------------------------------------


def _root(path: bytes, profile: str, url: str | None = None) -> WatchRoot:
    from vpo.config.settings import DatabaseSettings

    return WatchRoot(path, profile, Settings(database=DatabaseSettings(url=url)), None)


def test_roots_overlap_when_one_holds_the_other() -> None:
    assert overlaps(b"/media", b"/media/tv") and overlaps(b"/media/tv/", b"/media/tv")
    assert not overlaps(b"/media/tv", b"/media/tv2")


def test_one_watcher_takes_roots_that_do_not_overlap_in_one_catalogue() -> None:
    check_targets([_root(b"/media/tv", "tv"), _root(b"/media/movies", "movies")])
    with pytest.raises(UsageError, match="overlap"):
        check_targets([_root(b"/media", "all"), _root(b"/media/tv", "tv")])
    with pytest.raises(UsageError, match="different catalogues"):
        check_targets([_root(b"/a", "a"), _root(b"/b", "b", "postgresql://h/db")])
    with pytest.raises(UsageError, match="nothing to watch"):
        check_targets([])
