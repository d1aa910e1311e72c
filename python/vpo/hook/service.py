"""A Radarr or Sonarr event, handled: the files of an import or upgrade as `vpo watch`
handles a settled file (watch/pipeline.py: catalogue, the profile's policy, transcodes
queued, never run here), a rename as the scan records moves (same file ids), deletions as
missing files. Each step is a job, as from the command line. Returns quickly: Radarr and
Sonarr wait for the script before their next import."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from vpo.config.settings import Settings
from vpo.db import files as files_db
from vpo.db import original_languages
from vpo.db.connection import Database
from vpo.hook.environment import DOWNLOAD, FILE_DELETES, FOLDER_DELETES, RENAME, HookEvent
from vpo.hook.models import Batch, HookReport
from vpo.hook.places import Places
from vpo.timeutil import now_iso
from vpo.watch.models import WatchRoot
from vpo.watch.pipeline import apply_policy, catalogue

log = logging.getLogger(__name__)

HANDLED = (DOWNLOAD, RENAME, *FILE_DELETES, *FOLDER_DELETES)
# A profile's effective settings and its default policy (None: no profile)
Resolve = Callable[[str | None], tuple[Settings, Path | None]]
OpenDb = Callable[[Settings], Database]


def handle_event(event: HookEvent, places: Places, resolve: Resolve, open_db: OpenDb) -> HookReport:
    report = HookReport(event.app, event.kind)
    if event.kind not in HANDLED:
        log.info("%s event %s: nothing for VPO to do", event.app, event.kind)
        report.handled = False
        return report
    batches = _batches(event, places, report)
    databases: dict[object, Database] = {}
    try:
        for batch in batches:
            settings, policy = resolve(batch.profile)
            db = databases.get(settings.database_target)
            if db is None:
                db = databases[settings.database_target] = open_db(settings)
            _run(db, event, batch, WatchRoot(batch.root, batch.profile, settings, policy), report)
            report.batches.append(batch)
    finally:
        for db in databases.values():
            db.close()
    return report


def _batches(event: HookEvent, places: Places, report: HookReport) -> list[Batch]:
    """The event's paths on this host, grouped by the profile root (or folder) holding them."""
    groups: dict[tuple[str | None, bytes], Batch] = {}
    for named, gone in [
        *((p, False) for p in event.files),
        *((p, True) for p in (*event.previous, *event.deleted)),
    ]:
        path = places.local(named)
        place = places.of(path)
        if place.profile is None and not gone:
            report.notes.append(
                f"{os.fsdecode(path)}: under no profile's roots: catalogued with the defaults, no policy"
            )
        batch = groups.setdefault((place.profile, place.root), Batch(place.profile, place.root))
        (batch.gone if gone else batch.files).append(path)
    return list(groups.values())


def _run(db: Database, event: HookEvent, batch: Batch, target: WatchRoot, report: HookReport) -> None:
    present = [f for f in batch.files if os.path.exists(f)]
    for path in sorted(set(batch.files) - set(present)):
        report.problems.append(f"{os.fsdecode(path)}: not found on this host (check `paths:`)")
    if not present and not batch.gone:
        return
    batch.result = catalogue(db, target, present, batch.gone)
    if present and event.kind in (DOWNLOAD, RENAME):
        _record_original(db, event, target.settings, present, report)
    if event.kind == DOWNLOAD:
        apply_policy(db, target, batch.result, hints=event.hints)
    report.problems += batch.result.problems


def _record_original(
    db: Database, event: HookEvent, settings: Settings, paths: list[bytes], report: HookReport
) -> None:
    """What Radarr or Sonarr said is the film's or series' original language, kept with
    each file for every later apply: from the event, else from their API (an integration)."""
    known = (event.original_language, event.app) if event.original_language else None
    if known is None:
        from vpo.integrations.languages import original_language_for

        known = original_language_for(settings, paths[0])
    if known is None:
        return
    report.original_language = (known[0], known[1])
    value = original_languages.KnownOriginal(known[0], known[1])
    now = now_iso()
    with db.transaction() as conn:
        for path in paths:
            record = files_db.get_by_path(conn, path)
            if record is not None and original_languages.record(conn, record.id, value, now):
                log.info("%s: original language %s, from %s", os.fsdecode(path), *value)
