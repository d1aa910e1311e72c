"""`vpo watch` notifies once per batch (its counts and scan job) and when a watched root
goes away (`watch_down`), through the real Apprise to a local `json://` endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.mediastack.notify_endpoint import Endpoint
from integration.watching import conftest as watching
from integration.watching.conftest import Film, Start
from integration.watching.helpers import catalogued, copy_in, ready, until, watcher_row, write_profile

lib, film, start_watch = watching.lib, watching.film, watching.start_watch  # the watch tests' fixtures


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    service = Endpoint()
    yield service
    service.close()


def test_a_watch_batch_sends_one_message_and_a_root_gone_away_another(
    vpo_home: Path,
    lib: Path,
    film: Film,
    start_watch: Start,
    endpoint: Endpoint,
) -> None:
    notify = {"urls": [endpoint.url], "on": ["changed", "watch_down"]}
    write_profile(vpo_home, "movies", [lib], extra=f"notify: {json.dumps(notify)}\n")
    (vpo_home / "profiles" / "movies.yaml").chmod(0o600)
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    assert endpoint.messages == []  # starting to watch is no news

    copy_in(film("one.mkv"), lib / "one.mkv")
    copy_in(film("two.mkv", tone=500), lib / "two.mkv")
    catalogued(vpo_home, lib / "one.mkv", watcher)
    catalogued(vpo_home, lib / "two.mkv", watcher)
    until(lambda: endpoint.messages, "the batch's message", watcher)
    batch = endpoint.messages[0]
    assert batch["title"].startswith("VPO watch on ") and batch["title"].endswith(": files changed"), batch
    assert "added" in batch["message"] and "Job " in batch["message"], batch

    lib.rename(lib.with_name("lib.away"))  # an unmounted share, as the watcher sees it
    until(lambda: (watcher_row(vpo_home, lib) or {}).get("mode") == "away", "the root reported away", watcher)
    until(lambda: any("down" in m["title"] for m in endpoint.messages), "the watch_down message", watcher)
    down = endpoint.messages[-1]
    assert down["title"].endswith(": a watched root is down"), down
    assert f"- {lib}: is not there" in down["message"], down
    assert down["type"] == "failure"
    assert watcher.stop() == 0, watcher.output()
    batches = endpoint.messages[:-1]  # one per batch: the two films may settle in one or two
    assert 1 <= len(batches) <= 2, endpoint.messages
    assert all(m["title"].endswith(": files changed") for m in batches), endpoint.messages
