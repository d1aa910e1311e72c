"""Shared fixtures: real tiny media, generated once per test session (tests/media.py)."""

from __future__ import annotations

import hashlib
import inspect
import itertools
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fakewalker import FakeLibrary

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))  # so tests can `import media`


def pytest_configure(config: pytest.Config) -> None:
    """Fail the whole run, loudly, when the media tools are missing: never skip
    media tests silently (a run without the tools proves nothing).

    A run started in the background by a shell without job control (`(pytest &)`, some
    CI runners) inherits SIGINT ignored, and so would every `vpo` it starts: Python keeps
    an inherited ignore, as a backgrounded `vpo scan &` should. The Ctrl+C tests need
    their `vpo` to hear SIGINT, so the run takes Python's default back for its children."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    missing = [tool for tool in ("ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if missing:
        pytest.exit(
            f"{' and '.join(missing)} not found on PATH: VPO's tests need the real media tools. "
            "Run the tests with `make test`, which checks and explains the tool set-up.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


import engine  # noqa: E402
import media  # noqa: E402  (needs the sys.path line above)
import sharedcache  # noqa: E402


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> media.Corpus:
    """The standard corpus, built once per run. Read-only: use `corpus_copy` to modify."""
    return media.build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def corpus_copy(corpus: media.Corpus, tmp_path: Path) -> media.Corpus:
    """A private copy of the whole corpus tree (hidden dir, non-UTF-8 name and mtimes
    included) under tmp_path/corpus, with every path rebased."""
    dest = tmp_path / "corpus"
    # bytes paths: names are copied as the raw bytes the OS holds
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(dest), symlinks=True)
    return corpus.rebased(dest)


MakeVideo = Callable[..., Path]


@pytest.fixture(scope="session")
def make_video(tmp_path_factory: pytest.TempPathFactory) -> MakeVideo:
    """`make_video(dest, **kwargs) -> dest`, with media.make_video's keywords.

    Identical requests are encoded once per run (memoised by their arguments in a cache
    the run's test processes share, tests/sharedcache.py) and then copied to `dest`; each
    copy gets its own media id, so two files with the same layout still have different
    bytes. `media.expected_tracks(container=..., **same kwargs)` says what ffprobe will
    report. `make_video.encoded` counts the distinct layouts this process asked for.
    """
    cache = sharedcache.folder(tmp_path_factory, "media-cache")
    done: dict[str, Path] = {}
    ids = itertools.count(1 << 40)

    def make(dest: Path, **kwargs: object) -> Path:
        dest = Path(dest)
        kwargs["container"] = media.container_of(dest, kwargs.get("container"))  # type: ignore[arg-type]
        key = hashlib.sha1(repr(_normalised(dest, kwargs)).encode()).hexdigest()[:16]
        if key not in done:
            done[key] = sharedcache.made_once(
                cache / f"{key}.{kwargs['container']}",
                lambda temp: media.make_video(temp, **kwargs),  # type: ignore[arg-type]
            )
            make.encoded += 1  # type: ignore[attr-defined]
        media.copy_unique(done[key], dest, next(ids))
        return dest

    make.encoded = 0  # type: ignore[attr-defined]
    return make


def _normalised(dest: Path, kwargs: dict[str, object]) -> tuple:
    """The arguments with defaults filled in, in a canonical hashable form (plain
    tuples and spec objects compare equal)."""
    bound = inspect.signature(media.make_video).bind(dest, **kwargs)
    bound.apply_defaults()
    args = dict(bound.arguments)
    del args["dest"]
    args["audio"] = media.audio_specs(args["audio"])  # type: ignore[arg-type]
    args["subtitles"] = media.subtitle_specs(args["subtitles"])  # type: ignore[arg-type]
    args["attachments"] = media.attachment_specs(args["attachments"])  # type: ignore[arg-type]
    return tuple(sorted(args.items()))


@pytest.fixture(scope="session")
def make_image_film(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """`make_image_film(dest, subs) -> dest`: a 1 s Matroska film (video, English stereo)
    with one bitmap subtitle track per `media_pgs.ImageSub` in `subs` (PGS or VobSub, see
    tests/media_pgs.py). Each layout is made once per run and then copied, each copy with
    its own media id."""
    import media_pgs

    cache = tmp_path_factory.mktemp("image-films")
    base = media.make_video(cache / "base.mkv", duration=1.0)
    done: dict[tuple, Path] = {}
    ids = itertools.count(1 << 41)

    def make(dest: Path, subs: Sequence[media_pgs.ImageSub]) -> Path:
        key = tuple(subs)
        if key not in done:
            done[key] = media_pgs.add_image_subtitles(base, cache / f"film{len(done)}.mkv", subs)
        media.copy_unique(done[key], dest, next(ids))
        return Path(dest)

    return make


@pytest.fixture(scope="session")
def damaged_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Damaged and healthy files for the integrity checks (tests/damaged.py), built once per
    run for all its test processes (tests/sharedcache.py). Read-only: copy what you change."""
    import pickle

    import damaged

    folder = sharedcache.folder(tmp_path_factory, "damaged")
    index = sharedcache.made_once(
        folder / "index.pickle",
        lambda temp: temp.write_bytes(pickle.dumps(damaged.build_damaged(folder / "files"))),
    )
    return pickle.loads(index.read_bytes())  # written by this run, just above


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests about the SQLite file itself (`sqlite_only`) are skipped in a PostgreSQL run,
    whichever folder they are in."""
    if engine.RUN_ENGINE != "sqlite":
        skip = pytest.mark.skip(reason="about the SQLite file itself (VPO_TEST_ENGINE=postgresql)")
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(skip)


@pytest.fixture
def db_engine(request: pytest.FixtureRequest) -> str:
    """The engine of this test's catalogue: its parameter (`@pytest.mark.engines`, or a
    test's own parametrize), else the run's (VPO_TEST_ENGINE; tests/engine.py)."""
    return getattr(request, "param", engine.RUN_ENGINE)


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres() -> Iterator[None]:
    """The throwaway PostgreSQL server (tests/engine.py starts it on first use) stops with
    the session."""
    yield
    engine.stop()


@pytest.fixture
def fake_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeLibrary:
    """A scripted library under tmp_path/lib (an empty directory): the scan service's walker,
    fingerprints and probe workers replaced by tests/fakewalker.py, so scan decisions are
    tested in-process, without media, subprocesses or the Rust build."""
    import fakewalker  # imports vpo: only the tests that ask for it

    root = tmp_path / "lib"
    root.mkdir()
    library = fakewalker.FakeLibrary(root)
    library.install(monkeypatch)
    return library
