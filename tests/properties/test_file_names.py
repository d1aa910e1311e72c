"""Any file name the OS allows (no NUL, no '/', not '.' or '..'; here also not hidden, and
at most 200 bytes) survives the round trip: disk -> `vpo scan` -> the catalogue (the same
bytes) -> `vpo jobs show --json` (surrogate escapes that os.fsencode turns back into the
bytes) -> those bytes on the command line of `vpo apply --dry-run`, in JSON and in text.

Each example runs the real CLI four times, so the generated examples are few (more in
the slow run); the explicit example puts many awkward names in one library. The media
is encoded once and copied under each name.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import engine
from depth import examples
from integration.scanutil import assert_no_traceback, run_vpo

POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"
MAX_NAME = 200

raw_names = st.lists(st.integers(1, 255).filter(lambda b: b != 0x2F), min_size=1, max_size=MAX_NAME - 4).map(
    bytes
)
text_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\0/"), min_size=1, max_size=60
).map(lambda s: s.encode("utf-8")[: MAX_NAME - 4])
names = st.lists(
    st.one_of(raw_names, text_names).filter(lambda n: n and not n.startswith(b".")),
    min_size=1,
    max_size=3,
    unique_by=lambda n: n,
)

AWKWARD = [
    b"caf\xe9 latin-1",
    b"\xff\xfe\xfd",
    b"new\nline",
    b"carriage\rreturn",
    b"tab\there",
    b"back\\slash",
    b"-starts-with-dash",
    b"--json",
    b"%s %d _ % *?[]",
    b"\xed\xa0\x80 surrogate bytes",
    b"emoji \xf0\x9f\x8e\xac",
    b"x" * (MAX_NAME - 4),
    b" spaces ",
    b"\x1b[31mescape",
    b"quote'\"",
    b"\x7f\x01\x02",
    b"~home",
    b"a:b",
    "ｆｕｌｌ ｗｉｄｔｈ".encode(),
    "e\u0301 combining".encode(),
    b"\xc3\x28 invalid utf-8",
]


@pytest.fixture(scope="module")
def master(make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """The bytes of one small Matroska file the policy reorders, and the policy."""
    base = tmp_path_factory.mktemp("names")
    video = make_video(base / "m.mkv", audio=[("jpn", None, True), ("eng", None, False)], tone=1510)
    (base / "policy.yaml").write_text(POLICY)
    return video.read_bytes(), base / "policy.yaml"


def round_trip(master: tuple[bytes, Path], file_names: list[bytes]) -> None:
    data, policy = master
    with tempfile.TemporaryDirectory(prefix="vpo-names-") as tmp:
        lib = os.fsencode(tmp) + b"/lib"
        os.mkdir(lib)
        expected = []
        for i, name in enumerate(file_names):
            folder = lib + b"/" + name if i == 0 else lib  # the first also as a folder name
            os.makedirs(folder, exist_ok=True)
            path = folder + b"/" + name + b".mkv"
            with open(path, "wb") as fh:
                fh.write(data)
            stamp = time.time() - 3600
            os.utime(path, (stamp, stamp))
            expected.append(path)
        home = Path(tmp) / "home"

        scan = run_vpo(home, "scan", "--json", lib)
        assert scan.code == 0, scan
        assert scan.json()["counts"]["added"] == len(expected), scan
        conn = engine.connect(home)
        try:
            assert sorted(bytes(p) for (p,) in conn.execute("SELECT path FROM files")) == sorted(expected)
        finally:
            conn.close()

        show = run_vpo(home, "jobs", "show", scan.json()["job_id"], "--json")
        assert show.code == 0, show
        shown = [os.fsencode(f["path"]) for f in show.json()["files"]]
        assert sorted(shown) == sorted(expected), show
        assert {f["outcome"] for f in show.json()["files"]} == {"added"}

        dry = run_vpo(home, "apply", "--dry-run", "--json", "--policy", policy, *shown)  # the bytes, back
        assert dry.code == 0, dry
        assert sorted(os.fsencode(f["path"]) for f in dry.json()["files"]) == sorted(expected), dry
        assert {f["status"] for f in dry.json()["files"]} == {"planned"}, dry

        text = run_vpo(home, "apply", "--dry-run", "--policy", policy, lib)
        assert text.code == 0, text
        assert_no_traceback(text)


@settings(
    max_examples=examples(2),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file_names=names)
@example(file_names=AWKWARD)
def test_names_round_trip(master: tuple[bytes, Path], file_names: list[bytes]) -> None:
    round_trip(master, file_names)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file_names=names)
def test_names_round_trip_more(master: tuple[bytes, Path], file_names: list[bytes]) -> None:
    round_trip(master, file_names)
