"""`vpo apply` killed with SIGKILL while it changes a file: a remuxed file is the original
or the verified result, never anything else; a file whose flags mkvpropedit edits in place
may be caught mid-edit, but then its journal in $VPO_HOME/journal gives back the original
byte for byte; and the next `vpo apply` puts the original back where needed, cleans up and
finishes.

The tools are the real ones behind a gate (a profile's `tools` section points at a script
that waits for the test before or after running the real tool), so the kill lands while
the tool runs; the slow trials kill at seeded random moments instead, with small random
pauses in the tools to widen every window. vpo alone is killed (its tool lives on and
finishes, as after `kill -9 PID`) or its whole process group (a power cut).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import media
from fault.killing import assert_sound, jobs, kill, start, wait_for, wait_group_gone
from integration.conftest import age_tree
from integration.scanutil import assert_no_traceback, query, run_vpo
from vpo.edit.journal import read as read_journal

POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"

# name -> (make_video keywords, the tool the policy above needs for it)
LAYOUTS = {
    "flags.mkv": (dict(audio=[("eng", None, False), ("jpn", None, True)], tone=1410), "mkvpropedit"),
    "reorder.mkv": (
        dict(
            audio=[("jpn", None, True), ("eng", None, False)],
            subtitles=[("eng", None, False, False)],
            tone=1420,
        ),
        "mkvmerge",
    ),
    "reorder.mp4": (dict(audio=[("fre", None, True), ("eng", None, False)], tone=1430), "ffmpeg"),
}
FILE_FOR = {tool: name for name, (_, tool) in LAYOUTS.items()}

GATED = """#!/bin/sh
# {tool} behind a gate: says it started, waits for the test {when} running the real one.
echo $$ >> '{gate}/started'
if [ {when} = before ]; then while [ ! -e '{gate}/go' ]; do sleep 0.02; done; fi
'{real}' "$@"
rc=$?
if [ {when} = after ]; then : > '{gate}/ran'; while [ ! -e '{gate}/go' ]; do sleep 0.02; done; fi
exit $rc
"""

JITTER = """#!/bin/sh
# {tool} with a random pause before and after it (0-0.2 s each)
sleep "$(awk 'BEGIN {{ srand(); printf "%.3f", rand() / 5 }}')"
'{real}' "$@"
rc=$?
sleep "$(awk 'BEGIN {{ srand(); printf "%.3f", rand() / 5 }}')"
exit $rc
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def expected(make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """What a clean apply makes of each layout (tracks as ffprobe reads them)."""
    base = tmp_path_factory.mktemp("clean-apply")
    for name, (kwargs, _) in LAYOUTS.items():
        make_video(base / "lib" / name, **kwargs)
    age_tree(base / "lib")
    (base / "policy.yaml").write_text(POLICY)
    assert run_vpo(base / "home", "scan", base / "lib").code == 0
    done = run_vpo(base / "home", "apply", "--policy", base / "policy.yaml", "--json", base / "lib")
    assert done.code == 0 and {f["status"] for f in done.json()["files"]} == {"changed"}, done
    return {name: media.probe_tracks(base / "lib" / name) for name in LAYOUTS}


@dataclass
class Library:
    root: Path
    home: Path
    policy: Path
    originals: dict[str, str]  # name -> sha256 before any apply

    @property
    def names(self) -> list[str]:
        return sorted(self.originals)

    def path(self, name: str) -> Path:
        return self.root / name


def write_profile(lib: Library, name: str, tools: dict[str, Path]) -> None:
    folder = lib.home / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"  {tool}: {path}\n" for tool, path in tools.items())
    (folder / f"{name}.yaml").write_text(f"name: {name}\ntools:\n{lines}")


def script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def journal_original(lib: Library, name: str, state: str = "pending") -> bool:
    """A journal of `name` (`pending-*`: an edit not yet recorded; `undo-*`: a recorded
    one's) that, written back into the file as it is now, gives the original byte for byte."""
    path = lib.path(name)
    for file in (lib.home / "journal").glob(f"{state}-*.vpoj"):
        journal, blobs = read_journal(os.fsencode(file))
        if journal.path != os.fsencode(path):
            continue
        data = bytearray(path.read_bytes())
        for (offset, length), blob in zip(journal.regions, blobs):
            data[offset : offset + length] = blob
        if hashlib.sha256(bytes(data[: journal.size])).hexdigest() == lib.originals[name]:
            return True
    return False


def kept_names(lib: Library) -> set[str]:
    """The kept originals beside the files: remuxes only (an in-place edit keeps a journal)."""
    return {f"{n}.vpo-original" for n in lib.names if LAYOUTS[n][1] != "mkvpropedit"}


def assert_original_or_result(lib: Library, expected: dict[str, tuple]) -> dict[str, str]:
    """Every remuxed file is its original (bytes) or the verified result (tracks), nothing
    else. A flags-only file is edited in place (same inode), so a kill during the edit can
    leave it half-written: then, and whenever it is not the original, its journal (pending,
    or once its apply was recorded, the undo one) must give back the original byte for byte
    (the next command puts it back). No visible stray file. Returns the state of each file:
    original, result or edited."""
    state = {}
    for name in lib.names:
        path = lib.path(name)
        assert path.exists(), f"{name} is gone"
        if sha(path) == lib.originals[name]:
            state[name] = "original"
        elif LAYOUTS[name][1] == "mkvpropedit":
            assert journal_original(lib, name) or journal_original(lib, name, "undo"), (
                f"{name} was edited in place and no journal gives its original back"
            )
            state[name] = "edited"
        else:
            assert media.probe_tracks(path) == expected[name], (
                f"{name} is neither the original nor the result"
            )
            state[name] = "result"
    visible = {n for n in os.listdir(lib.root) if not n.startswith(".")}
    assert visible <= set(lib.names) | kept_names(lib), visible
    for name in lib.names:  # a kept original is the original, byte for byte
        kept = lib.path(f"{name}.vpo-original")
        if kept.exists():
            assert sha(kept) == lib.originals[name], f"{kept.name} is not the original"
    return state


def assert_next_apply_finishes(lib: Library, expected: dict[str, tuple], killed_pid: int) -> None:
    """The next apply (real tools) ends the story: every file is the result, its original is
    kept, nothing hidden is left, the catalogue agrees with the files, no job is running and
    the killed one (if it got as far as creating its job) is failed."""
    before = set(jobs(lib.home))
    done = run_vpo(lib.home, "apply", "--policy", lib.policy, "--json", lib.root)
    assert done.code == 0, done
    assert_no_traceback(done)
    assert {f["status"] for f in done.json()["files"]} <= {"changed", "unchanged"}, done
    for name in lib.names:
        path = lib.path(name)
        assert media.probe_tracks(path) == expected[name], name
        if LAYOUTS[name][1] == "mkvpropedit":
            assert journal_original(lib, name, "undo"), name
        else:
            assert sha(lib.path(f"{name}.vpo-original")) == lib.originals[name], name
        st = path.stat()
        assert query(
            lib.home, "SELECT size, mtime_ns, scan_status FROM files WHERE path = ?", os.fsencode(path)
        ) == [(st.st_size, st.st_mtime_ns, "ok")], name
    assert sorted(os.listdir(lib.root)) == sorted([*lib.names, *kept_names(lib)])
    assert not list((lib.home / "journal").glob("pending-*")), "a pending journal was left"
    assert_sound(lib.home)
    after = jobs(lib.home)
    assert not [j for j in after.values() if j[1] == "running"], after
    killed = [after[i] for i in before if after[i][0] == "apply"]
    for _type, status, message in killed:
        assert status in ("failed", "completed"), killed
        if status == "failed":
            assert message and str(killed_pid) in message, killed
    again = run_vpo(lib.home, "apply", "--policy", lib.policy, "--json", lib.root)
    assert again.code == 0 and {(f["path"], f["status"]) for f in again.json()["files"]} == {
        (str(lib.path(n)), "unchanged") for n in lib.names
    }, again


# --------------------------------------------------------------------------- a kill while the tool runs

CASES = [
    (tool, when, group)
    for tool in ("mkvpropedit", "mkvmerge", "ffmpeg")
    for when in ("before", "after")
    for group in (False, True)
]
DEFAULT = {("mkvpropedit", "before", False)}  # the rest run with the slow trials


@pytest.mark.parametrize(
    "tool,when,group",
    [
        pytest.param(
            *case,
            id=f"{case[0]}-{case[1]}-{'group' if case[2] else 'vpo'}",
            marks=() if case in DEFAULT else pytest.mark.slow,
        )
        for case in CASES
    ],
)
def test_kill_while_the_tool_runs(
    tool: str,
    when: str,
    group: bool,
    expected: dict[str, tuple],
    make_video: Callable[..., Path],
    tmp_path: Path,
) -> None:
    """`before`: killed while the tool waits to start; `after`: killed once the real tool has
    written its output, before vpo could look at it. vpo never verified anything, so a
    remuxed file must be the original, byte for byte; a file mkvpropedit edits in place may
    have been edited (by a tool that outlived vpo, or before the kill), with the original
    in its pending journal."""
    name = FILE_FOR[tool]
    library = _library(make_video, tmp_path, [name])
    gate = tmp_path / "gate"
    gate.mkdir()
    real = shutil.which(tool)
    assert real, f"{tool} not found"
    fake = script(tmp_path / f"slow-{tool}", GATED.format(tool=tool, when=when, gate=gate, real=real))
    write_profile(library, "slow", {tool: fake})
    proc = start(
        library.home, "--profile", "slow", "apply", "--policy", library.policy, "--json", library.path(name)
    )
    wait_for(lambda: (gate / "started").exists(), proc, f"{tool} started")
    if when == "after":
        wait_for(lambda: (gate / "ran").exists(), proc, f"the real {tool} finished")
    tool_pid = int((gate / "started").read_text().split()[0])
    kill(proc, group=group)
    (gate / "go").touch()  # a tool that outlived vpo now goes on, and must harm nothing
    wait_group_gone(proc.pid)
    try:
        os.kill(tool_pid, 0)
        raise AssertionError(f"the {tool} vpo started is still running")
    except ProcessLookupError:
        pass

    state = assert_original_or_result(library, expected)
    allowed = ("original", "edited") if tool == "mkvpropedit" else ("original",)
    assert state[name] in allowed, state  # nothing was verified: nothing may replace the original
    assert query(library.home, "SELECT status FROM jobs WHERE type = 'apply'") == [("running",)]
    assert_next_apply_finishes(library, expected, proc.pid)


# --------------------------------------------------------------------------- kills at random moments

TRIALS = 10


@pytest.fixture(scope="module")
def apply_seconds(
    expected: dict[str, tuple], make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> float:
    """How long an uninterrupted apply of the whole library takes with the jittery tools."""
    base = tmp_path_factory.mktemp("timed")
    lib = _library(make_video, base)
    _jittery(lib, base)
    started = time.monotonic()
    done = run_vpo(lib.home, "--profile", "jitter", "apply", "--policy", lib.policy, "--json", lib.root)
    took = time.monotonic() - started
    assert done.code == 0, done
    return took


def _library(make_video: Callable[..., Path], base: Path, names: list[str] | None = None) -> Library:
    """A scanned library of `names` (default: every layout) under `base`."""
    root = base / "lib"
    names = names or list(LAYOUTS)
    for name in names:
        make_video(root / name, **LAYOUTS[name][0])
    age_tree(root)
    (base / "policy.yaml").write_text(POLICY)
    assert run_vpo(base / "home", "scan", root).code == 0
    return Library(root, base / "home", base / "policy.yaml", {n: sha(root / n) for n in names})


def _jittery(lib: Library, base: Path) -> dict[str, Path]:
    tools = {}
    for tool in ("mkvpropedit", "mkvmerge", "ffmpeg"):
        real = shutil.which(tool)
        assert real
        tools[tool] = script(base / f"jitter-{tool}", JITTER.format(tool=tool, real=real))
    write_profile(lib, "jitter", tools)
    return tools


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_at_a_random_moment(
    trial: int,
    apply_seconds: float,
    expected: dict[str, tuple],
    make_video: Callable[..., Path],
    tmp_path: Path,
) -> None:
    rng = random.Random(f"killed-apply-{trial}")
    lib = _library(make_video, tmp_path)
    _jittery(lib, tmp_path)
    delay, group = rng.uniform(0.0, apply_seconds), rng.random() < 0.5
    proc = start(lib.home, "--profile", "jitter", "apply", "--policy", lib.policy, "--json", lib.root)
    time.sleep(delay)
    kill(proc, group=group)
    wait_group_gone(proc.pid)
    assert_original_or_result(lib, expected)
    assert_next_apply_finishes(lib, expected, proc.pid)
