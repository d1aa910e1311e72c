"""pytest fixtures that start each protocol fixture (and stop it after the test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from protocol.arr import FakeArr
from protocol.jellyfin import FakeMediaBrowser
from protocol.plex import FakePlex

RADARR_KEY = "0123456789abcdef0123456789abcdef"
SONARR_KEY = "fedcba9876543210fedcba9876543210"
PLEX_TOKEN = "PlexTok3n-xyzzy-QW3rty"
JELLYFIN_KEY = "4a11f1fe4a11f1fe4a11f1fe4a11f1fe"
EMBY_KEY = "e3b7e3b7e3b7e3b7e3b7e3b7e3b7e3b7"


@pytest.fixture
def radarr() -> Iterator[FakeArr]:
    server = FakeArr(RADARR_KEY, app="Radarr").start()
    yield server
    server.stop()


@pytest.fixture
def sonarr() -> Iterator[FakeArr]:
    server = FakeArr(SONARR_KEY, app="Sonarr").start()
    yield server
    server.stop()


@pytest.fixture
def plex() -> Iterator[FakePlex]:
    server = FakePlex(PLEX_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def jellyfin() -> Iterator[FakeMediaBrowser]:
    server = FakeMediaBrowser(JELLYFIN_KEY, product="Jellyfin").start()
    yield server
    server.stop()


@pytest.fixture
def emby() -> Iterator[FakeMediaBrowser]:
    server = FakeMediaBrowser(EMBY_KEY, product="Emby").start()
    yield server
    server.stop()
