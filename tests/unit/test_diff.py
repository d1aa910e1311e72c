"""The change-detection decisions of `vpo scan` (scan/diff.py), on scripted entries: no IO.

An entry is (path, size, mtime_ns, dev, ino); `known` maps path -> `Known` (id, size,
mtime_ns, scan_status, racy, content_hash), as db.files.load_known returns it.
"""

from __future__ import annotations

import pytest

from vpo.catalogue import Known
from vpo.scan.diff import (
    RACY_REASON,
    RACY_WINDOW_NS,
    hash_verdict,
    in_scope,
    is_racy,
    plan_batch,
    racy_confirmed,
    split_remaining,
)

T = 1_700_000_000_123_456_789  # an mtime with every nanosecond digit in use


def entry(path: bytes, size: int = 100, mtime_ns: int = T) -> tuple[bytes, int, int, int, int]:
    return (path, size, mtime_ns, 1, 1)


def known(
    fid: int,
    size: int = 100,
    mtime_ns: int = T,
    status: str = "ok",
    racy: int = 0,
    content_hash: str | None = None,
) -> Known:
    return Known(fid, size, mtime_ns, status, racy, content_hash)


def test_unchanged_file_is_skipped_and_popped() -> None:
    k = {b"/lib/a.mkv": known(1), b"/lib/b.mkv": known(2)}
    plan = plan_batch([entry(b"/lib/a.mkv")], k)
    assert plan.skipped == 1
    assert plan.changed == [] and plan.new == [] and plan.returned == [] and plan.unchanged == []
    assert list(k) == [b"/lib/b.mkv"]  # what is left is what the walk has not seen


def test_new_path_is_new() -> None:
    e = entry(b"/lib/new.mkv")
    plan = plan_batch([e], {b"/lib/a.mkv": known(1)})
    assert plan.new == [e]
    assert plan.skipped == 0


def test_size_change_is_changed() -> None:
    e = entry(b"/lib/a.mkv", size=101)
    plan = plan_batch([e], {b"/lib/a.mkv": known(7)})
    assert [(x, k.id, why) for x, k, why in plan.changed] == [(e, 7, "size or mtime changed")]
    assert plan.skipped == 0


@pytest.mark.parametrize("delta", [1, -1, 1_000_000_000])
def test_mtime_is_compared_to_the_nanosecond(delta: int) -> None:
    e = entry(b"/lib/a.mkv", mtime_ns=T + delta)
    plan = plan_batch([e], {b"/lib/a.mkv": known(7)})
    assert len(plan.changed) == 1
    assert plan.skipped == 0


def test_full_rescans_even_unchanged_and_broken_files() -> None:
    k = {b"/lib/a.mkv": known(1), b"/lib/b.mkv": known(2, status="error")}
    plan = plan_batch([entry(b"/lib/a.mkv"), entry(b"/lib/b.mkv")], k, full=True)
    assert [(x[0], why) for x, _, why in plan.changed] == [
        (b"/lib/a.mkv", "full rescan"),
        (b"/lib/b.mkv", "full rescan"),
    ]
    assert plan.skipped == 0


def test_unchanged_broken_file_is_not_reprobed() -> None:
    plan = plan_batch([entry(b"/lib/bad.mkv")], {b"/lib/bad.mkv": known(3, status="error")})
    assert plan.skipped == 1
    assert plan.changed == []


def test_racy_file_is_probed_again_even_when_unchanged() -> None:
    plan = plan_batch([entry(b"/lib/a.mkv")], {b"/lib/a.mkv": known(4, racy=1)})
    assert [why for _, _, why in plan.changed] == ["mtime was too recent to trust"]
    assert plan.skipped == 0


def test_missing_file_back_unchanged_is_returned_not_new() -> None:
    e = entry(b"/lib/a.mkv")
    plan = plan_batch([e], {b"/lib/a.mkv": known(5, status="missing")})
    assert [(x, k.id) for x, k in plan.returned] == [(e, 5)]
    assert plan.new == [] and plan.changed == [] and plan.skipped == 0


def test_missing_file_back_changed_is_reprobed() -> None:
    plan = plan_batch([entry(b"/lib/a.mkv", size=5)], {b"/lib/a.mkv": known(5, status="missing")})
    assert len(plan.changed) == 1 and plan.returned == []


def test_verify_hands_unchanged_files_over_for_hashing() -> None:
    k = {b"/lib/a.mkv": known(1, content_hash="ab" * 16), b"/lib/b.mkv": known(2)}
    plan = plan_batch([entry(b"/lib/a.mkv"), entry(b"/lib/b.mkv", size=1)], k, verify=True)
    assert [(x[0], kk.content_hash) for x, kk in plan.unchanged] == [(b"/lib/a.mkv", "ab" * 16)]
    assert [x[0] for x, _, _ in plan.changed] == [b"/lib/b.mkv"]
    assert plan.skipped == 0


def test_mixed_batch_accounts_for_every_entry() -> None:
    k = {
        b"/lib/same.mkv": known(1),
        b"/lib/grown.mkv": known(2),
        b"/lib/back.mkv": known(3, status="missing"),
        b"/lib/gone.mkv": known(4),
    }
    entries = [
        entry(b"/lib/same.mkv"),
        entry(b"/lib/grown.mkv", size=200),
        entry(b"/lib/back.mkv"),
        entry(b"/lib/new.mkv"),
    ]
    plan = plan_batch(entries, k)
    assert plan.skipped + len(plan.changed) + len(plan.new) + len(plan.returned) == len(entries)
    assert list(k) == [b"/lib/gone.mkv"]


def test_is_racy_window() -> None:
    start = T
    assert is_racy(start, start)
    assert is_racy(start + 5, start)  # a clock ahead of ours: not trusted either
    assert is_racy(start - RACY_WINDOW_NS, start)
    assert not is_racy(start - RACY_WINDOW_NS - 1, start)
    assert not is_racy(start - 3600 * 10**9, start)


def test_split_remaining_separates_newly_and_already_missing() -> None:
    k = {
        b"/lib/a.mkv": known(1),
        b"/lib/b.mkv": known(2, status="missing"),
        b"/lib/c.mkv": known(3, status="error"),
    }
    newly, already = split_remaining(k, [])
    assert sorted(newly) == [(1, b"/lib/a.mkv"), (3, b"/lib/c.mkv")]
    assert already == [(2, b"/lib/b.mkv")]


def test_split_remaining_leaves_unreadable_directories_alone() -> None:
    k = {
        b"/lib/locked/a.mkv": known(1),
        b"/lib/locked2/b.mkv": known(2),
        b"/lib/locked/deep/c.mkv": known(3, status="missing"),
    }
    newly, already = split_remaining(k, [b"/lib/locked"])
    # /lib/locked2 is a sibling, not under /lib/locked: it really is missing
    assert newly == [(2, b"/lib/locked2/b.mkv")]
    assert already == []


def test_split_remaining_unreadable_with_trailing_slash() -> None:
    newly, already = split_remaining({b"/lib/x/a.mkv": known(1)}, [b"/lib/x/"])
    assert newly == [] and already == []


def test_in_scope_keeps_only_what_the_walk_looks_for() -> None:
    k = {
        b"/lib/a.mkv": known(1),
        b"/lib/B.MKV": known(2),
        b"/lib/c.mp4": known(3),
        b"/lib/.hidden/d.mkv": known(4),
        b"/lib/sub/.e.mkv": known(5),
        b"/lib/sub/f.mkv.part": known(6),
        b"/lib/.mkv": known(7),
    }
    assert sorted(in_scope(k, b"/lib", ["mkv"])) == [b"/lib/B.MKV", b"/lib/a.mkv"]
    assert sorted(in_scope(k, b"/lib/", [".MKV", "mp4"])) == [b"/lib/B.MKV", b"/lib/a.mkv", b"/lib/c.mp4"]
    assert sorted(in_scope(k, b"/lib", ["mkv"], skip_hidden=False)) == [
        b"/lib/.hidden/d.mkv",
        b"/lib/B.MKV",
        b"/lib/a.mkv",
        b"/lib/sub/.e.mkv",
    ]
    assert in_scope(k, b"/lib", ["mkv"]) is not k and len(k) == 7  # the input is left alone


def test_in_scope_under_a_hidden_root_and_for_a_file_root() -> None:
    k = {b"/x/.lib/a.mkv": known(1), b"/x/.lib/.h/b.mkv": known(2)}
    assert list(in_scope(k, b"/x/.lib", ["mkv"])) == [b"/x/.lib/a.mkv"]
    assert list(in_scope({b"/x/a.mkv": known(1)}, b"/x/a.mkv", ["mkv"])) == [b"/x/a.mkv"]


@pytest.mark.parametrize(
    ("stored", "digest", "verdict"),
    [
        ("ab" * 16, "ab" * 16, "same"),
        ("ab" * 16, None, "same"),  # the hash could not be computed: nothing to say
        (None, "cd" * 16, "baseline"),  # the first --verify-hash stores it
        ("ab" * 16, "cd" * 16, "changed"),
    ],
)
def test_hash_verdict(stored: str | None, digest: str | None, verdict: str) -> None:
    assert hash_verdict(known(1, content_hash=stored), digest) == verdict


def test_racy_recheck_with_the_same_tracks_is_no_change() -> None:
    assert racy_confirmed(RACY_REASON, ("a", "b"), ("a", "b"))
    assert not racy_confirmed(RACY_REASON, ("a", "b"), ("a",))
    assert not racy_confirmed(RACY_REASON, ("a",), None)  # the probe failed
    assert not racy_confirmed("size or mtime changed", ("a",), ("a",))


def test_change_detection_is_pure() -> None:
    """scan/diff.py imports neither the database code nor the native extension."""
    import subprocess
    import sys

    code = "import sys, vpo.scan.diff; print(sorted(m for m in sys.modules if m.startswith('vpo.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "vpo._core" not in out and "vpo.db" not in out, out


def test_settings_do_not_load_the_extension() -> None:
    import subprocess
    import sys

    code = "import sys, vpo.config.settings; print('vpo._core' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
