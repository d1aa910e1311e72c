"""Every name media/siblings.py derives from a file name fits beside it, whatever its length
(up to the folder's NAME_MAX), and is the same each time it is derived (recovery and
`vpo backups` find siblings by deriving their names again)."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from depth import examples
from vpo.media import siblings

LIMIT = 255
CHARS = st.sampled_from(["a", "é", "字", "😀", ".", " ", "-"])


@st.composite
def file_names(draw: st.DrawFn) -> bytes:
    """Names of up to LIMIT bytes, any mix of 1- to 4-byte characters, with an extension."""
    ext = draw(st.sampled_from([".mkv", ".mp4", ".ts", "", ".a-very-long-extension-indeed"]))
    stem = "".join(draw(st.lists(CHARS, min_size=1, max_size=LIMIT))).encode()
    stem = stem[: LIMIT - len(ext)]
    while stem and not _utf8(stem):
        stem = stem[:-1]
    return (stem or b"x") + ext.encode()


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=examples(300), deadline=None)
@given(name=file_names())
def test_every_derived_name_fits_and_stays_utf8(name: bytes) -> None:
    path = os.path.join(b"/tmp", name)  # only named: nothing is created
    derived = [
        siblings.temp_sibling(path),
        siblings.hidden_sibling(path) + b"-abcd-abcd-abcd",  # taken names' suffixes too
        siblings.kept_original(path) + b".99999",  # and a later job's number
        siblings.fitting(path + b".mkv"),  # a container change's new name
    ]
    for full in derived:
        assert len(os.path.basename(full)) <= LIMIT, full
        assert _utf8(os.path.basename(full)), full
    assert siblings.kept_original(path) == siblings.kept_original(path)  # derived alike each time
    assert siblings.fitting(path) == path  # a name that fits is never changed


def test_two_long_names_that_start_alike_keep_different_originals() -> None:
    a = b"/tmp/" + b"x" * 240 + b"-part1.mkv"
    b = b"/tmp/" + b"x" * 240 + b"-part2.mkv"
    assert siblings.kept_original(a) != siblings.kept_original(b)
    assert siblings.kept_original(a).endswith(b".mkv.vpo-original")


def test_a_kept_original_leads_back_to_its_file(tmp_path: Path) -> None:
    film = tmp_path / ("é" * 125 + "x.mkv")
    film.write_bytes(b"film")
    kept = siblings.kept_original(os.fsencode(film))
    assert kept != os.fsencode(film) + siblings.ORIGINAL_SUFFIX  # shortened
    assert siblings.kept_for(kept) == os.fsencode(film)
    assert siblings.kept_for(kept + b".2") == os.fsencode(film)
    short = os.fsencode(tmp_path / "short.mkv.vpo-original")
    assert siblings.kept_for(short) == os.fsencode(tmp_path / "short.mkv")
