"""Planning every target of an apply before anything is changed: the recovery of killed
runs, the stat check against the catalogue, the catalogued tracks, the evaluation.

Built for a whole library in one go (100,000 files): the tracks come in a few batched
queries, not one per file, and a folder is listed once to see whether anything a killed
apply leaves behind (a hidden `.…vpo-…` name) is there at all; only then does
`recover.recover` look at its files.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from vpo.apply.options import ApplyOptions
from vpo.apply.outcome import FileOutcome
from vpo.apply.scope import RelativePaths
from vpo.db import files as files_db
from vpo.db import original_languages, track_layouts
from vpo.db.connection import Database
from vpo.db.files import FileRecord
from vpo.edit import executor, recover
from vpo.edit.change import Change
from vpo.edit.convert import new_name
from vpo.media.models import Track
from vpo.media.regular_file import require_regular
from vpo.policy.edits import in_place_edits
from vpo.policy.evaluate import evaluate
from vpo.policy.models import Policy
from vpo.policy.plan import Plan
from vpo.policy.rules import glob
from vpo.policy.verify import verify

# How many files are planned per batch of track queries.
BATCH = 2000


@dataclass(frozen=True)
class Layout:
    """What planning makes of one track layout, shared by every file that has it: its
    tracks, its plan, and the plan as the output shows it (built once, never changed)."""

    current: list[Track]
    plan: Plan
    actions: list[dict[str, Any]]  # plan.actions as the JSON's dicts
    extra: dict[str, Any]  # the keys schema 2 adds to a file's JSON
    change: Change  # the plan as the executor carries it out
    method: str  # the tool that carries the plan out, headers editable in place


@dataclass
class Planned:
    record: FileRecord
    layout: Layout
    stat: tuple[int, int]  # (size, mtime_ns) the plan was made for
    in_place: bool = True  # False: the headers cannot be edited in place (see note)
    note: str | None = None

    @property
    def current(self) -> list[Track]:
        return self.layout.current

    @property
    def plan(self) -> Plan:
        return self.layout.plan

    @property
    def method(self) -> str:
        if self.in_place:
            return self.layout.method
        return executor.method_for(self.record.container or "", self.layout.change, in_place=False)


def plan_files(
    db: Database,
    targets: Iterable[FileRecord | FileOutcome],
    options: ApplyOptions,
    roots: tuple[bytes, ...],
) -> Iterator[FileOutcome | Planned]:
    """Each target planned, in order, as it is taken: BATCH targets at a time are read
    (one query for their tracks), so a library is never planned whole in memory."""
    leftovers = _Leftovers()
    memo = _Plans(options.policy)
    sidecars = _Sidecars(options.policy)
    where = RelativePaths(roots)
    pending = iter(targets)
    while part := list(islice(pending, BATCH)):
        ids = [t.id for t in part if isinstance(t, FileRecord)]
        layouts = track_layouts.track_layouts_for(db.conn, ids)
        # what Radarr or Sonarr said (only schema 2 reads an original language)
        known = original_languages.known_for(db.conn, ids) if memo.reads_original else {}
        for target in part:
            if isinstance(target, FileOutcome):
                yield target
            else:
                facts = (layouts[target.id], known.get(target.id), sidecars.of(target.path))
                yield _plan(target, facts, options, where, leftovers, memo)


def _plan(
    record: FileRecord,
    facts: tuple[Hashable, tuple[str, str] | None, frozenset[str]],
    options: ApplyOptions,
    where: RelativePaths,
    leftovers: _Leftovers,
    memo: _Plans,
) -> FileOutcome | Planned:
    """`facts`: the file's track layout (track_layouts_for), what Radarr or Sonarr said
    is its original language, and its sidecars (_Sidecars)."""
    # An apply killed mid-way: the original goes back first (a dry run says what it would do,
    # and plans as if the original were back).
    restored: list[str] = []
    if leftovers.maybe(record.path):
        restored = recover.recover(record.path, (record.size, record.mtime_ns), dry_run=options.dry_run)
    try:
        st = require_regular(record.path)  # a FIFO's stat says "changed"; say what it is
    except OSError as exc:
        return FileOutcome(
            os.fsdecode(record.path), "failed", error=f"cannot read: {exc.strerror}", file_id=record.id
        )
    if (st.st_size != record.size or st.st_mtime_ns != record.mtime_ns) and not (
        options.dry_run and restored
    ):
        return FileOutcome(
            os.fsdecode(record.path),
            "failed",
            error="changed since the last scan; run `vpo scan` first",
            file_id=record.id,
        )
    paths = where(record.path) if memo.by_path else ()
    layout = memo.plan(facts[0], record.container, paths, facts[1], facts[2])
    planned = Planned(record, layout, (st.st_size, st.st_mtime_ns))
    if layout.method == "mkvpropedit" and not layout.plan.empty:
        problem = executor.in_place_problem(record.path)
        if problem:
            planned.in_place, planned.note = False, problem
    return planned


class _Plans:
    """Evaluation is pure, and a library repeats itself (the episodes of a series, a
    release group's files have the same tracks): a layout seen before gets the plan it
    got then. A path enters an evaluation only through the rules' `path` globs, so the
    key holds which of them match, not the path."""

    LIMIT = 20_000

    def __init__(self, policy: Policy) -> None:
        from vpo.policy.models import When

        def globs(w: When | None) -> list[str]:
            if w is None:
                return []
            nested = [*(w.all or ()), *(w.any or ()), w.not_]
            return ([w.path] if w.path is not None else []) + [g for n in nested for g in globs(n)]

        self.policy = policy
        self.reads_original = policy.reads_original_language
        found = [g for r in policy.rules for g in globs(r.when)]
        self.globs = [glob(g) for g in dict.fromkeys(found)]
        self.by_path = bool(self.globs)
        self.plans: dict[tuple[Any, ...], Layout] = {}

    def plan(
        self,
        rows: Hashable,
        container: str | None,
        paths: tuple[str, ...],
        known: tuple[str, str] | None = None,
        sidecars: frozenset[str] = frozenset(),
    ) -> Layout:
        """The file's tracks (its catalogue rows, as track_layouts.track_layouts_for gives
        them) and its plan; `known`: what Radarr or Sonarr said is its original language;
        `sidecars`: the names beside it that start with its `NAME.`, without it."""
        matched = tuple(any(g.fullmatch(p) for p in paths) for g in self.globs)
        key = (rows, container, matched, known, sidecars)
        found = self.plans.get(key)
        if found is None:
            if len(self.plans) >= self.LIMIT:
                self.plans.clear()
            tracks = [track_layouts.track_from_row(r) for r in track_layouts.layout_rows(rows)]
            plan = evaluate(
                tracks,
                self.policy,
                container=container,
                paths=paths,
                known_original=known,
                sidecars=sidecars,
            )
            change = change_of(tracks, plan)
            found = self.plans[key] = Layout(
                tracks,
                plan,
                [a.to_dict() for a in plan.actions],
                outcome_extra(plan, self.policy),
                change,
                executor.method_for(container or "", change),
            )
        return found


def change_of(current: list[Track], plan: Plan) -> Change:
    """The plan in the terms the executor takes, its result checked by the policy's
    verification (the header edits only for a plan an in-place edit can carry out)."""
    return Change(
        order=plan.order,
        final=plan.final,
        container=plan.container,
        rewrites=plan.rewrites,
        edits={} if plan.empty or plan.rewrites else in_place_edits(current, plan),
        verify=verify,
        added=plan.added,
        extracted=plan.extracted,
        embedded=plan.embedded,
    )


class _Leftovers:
    """Which folders hold a hidden name with `vpo-` in it (what a killed apply leaves: its
    `.vpo-tmp-*` outputs, `.NAME.vpo-original-PID.EXT` originals) or a kept original
    (`NAME.EXT.vpo-original`): listed once per folder. Killed in-place edits are rolled
    back from their journals by every command that opens the catalogue (cli/context.py).
    Where there is none, recovery has nothing to find. (If recovery ever reads more than
    the folder, e.g. a journal, this gate must ask it too.)"""

    def __init__(self) -> None:
        self.folders: dict[bytes, bool] = {}
        self.last = (
            b"\0",
            False,
        )  # (the last folder with its `/`, its answer): targets come folder by folder

    def maybe(self, path: bytes) -> bool:
        inside, answer = self.last
        if path.startswith(inside) and path.find(b"/", len(inside)) < 0:
            return answer
        folder = os.path.dirname(path)
        found = self.folders.get(folder)
        if found is None:
            try:
                names = os.listdir(folder or b".")
            except OSError:
                names = []
            # hidden working names (`.vpo-tmp-*`, `.NAME.vpo-original-PID.EXT`) and kept
            # originals (`NAME.EXT.vpo-original`): recovery reads both
            found = any(b"vpo-" in n for n in names)
            self.folders[folder] = found
        if folder.endswith(b"/") or path[len(folder) : len(folder) + 1] != b"/":
            return found  # `/` itself, or a path dirname normalised: asked again each time
        self.last = (folder + b"/", found)
        return found


class _Sidecars:
    """The sidecar names beside each file (`NAME.eng.srt` beside `NAME.mkv`), for a policy
    with `subtitles`: each folder listed once (the last one's names are kept: targets come
    folder by folder). Without `subtitles` nothing is listed."""

    def __init__(self, policy: Policy) -> None:
        subs = policy.subtitles
        self.wanted = subs.extract is not None or subs.embed
        self.folder: bytes | None = None
        self.names: list[bytes] = []

    def of(self, path: bytes) -> frozenset[str]:
        if not self.wanted:
            return frozenset()
        folder, name = os.path.split(path)
        if folder != self.folder:
            try:
                self.names = os.listdir(folder or b".")
            except OSError:
                self.names = []
            self.folder = folder
        stem = os.path.splitext(name)[0] + b"."
        return frozenset(os.fsdecode(n[len(stem) :]) for n in self.names if n.startswith(stem) and n != name)


def outcome_extra(plan: Plan, policy: Policy) -> dict[str, Any]:
    """The keys schema 2 adds to a file's JSON (none for version 1 policies)."""
    if policy.schema_version == 1:
        return {}
    return {
        "original_language": {"code": plan.original_language, "source": plan.original_source},
        "rule": {"action": plan.rule[0], "reason": plan.rule[1]} if plan.rule else None,
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
    }


def conversion_problem(db: Database, record: FileRecord, plan: Plan) -> str | None:
    """Why the file cannot take its new name, if it cannot."""
    if not plan.container:
        return None
    target = new_name(record.path, plan.container)
    if os.path.lexists(target) or files_db.path_known(db.conn, target):
        return f"cannot convert: {os.fsdecode(os.path.basename(target))} already exists"
    return None
