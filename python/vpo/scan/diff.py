"""Change detection, every decision of it in one place, as pure functions. No IO: nothing
here touches the database, the file system or the native extension.

- `plan_batch`: size and mtime (to the nanosecond), racy rows, missing files come back;
- `is_racy`: an mtime too close to the scan's start to be trusted next time;
- `hash_verdict`: `--verify-hash`, content that changed under an unchanged size and mtime;
- `racy_confirmed`: a racy file probed again and found as it was is no change.

`known` maps path -> `Known` (id, size, mtime_ns, scan_status, racy, content_hash). plan_batch pops
each path it sees, so whatever is left once the walk ends was not found on disk: the map
is the only full copy of the paths, and it shrinks as the walk proceeds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from vpo.catalogue import Entry, Known, ScanStatus

# Timestamps within this of the scan's start cannot be trusted to reveal a later write in the
# same tick (git's "racy clean" problem). 2 s covers FAT and SMB; ext4/btrfs/APFS are finer.
RACY_WINDOW_NS = 2_000_000_000
RACY_REASON = "mtime was too recent to trust"


@dataclass(slots=True)
class BatchPlan:
    skipped: int = 0
    changed: list[tuple[Entry, Known, str]] = field(default_factory=list)  # (entry, known, why)
    new: list[Entry] = field(default_factory=list)
    returned: list[tuple[Entry, Known]] = field(default_factory=list)  # missing, back unchanged
    unchanged: list[tuple[Entry, Known]] = field(default_factory=list)  # only with verify


def plan_batch(
    entries: list[Entry], known: dict[bytes, Known], *, full: bool = False, verify: bool = False
) -> BatchPlan:
    plan = BatchPlan()
    pop = known.pop
    for entry in entries:
        k = pop(entry[0], None)
        if k is None:
            plan.new.append(entry)
        elif full:
            plan.changed.append((entry, k, "full rescan"))
        elif k.size != entry[1] or k.mtime_ns != entry[2]:
            plan.changed.append((entry, k, "size or mtime changed"))
        elif k.racy:
            plan.changed.append((entry, k, RACY_REASON))
        elif k.scan_status == ScanStatus.MISSING:
            plan.returned.append((entry, k))
        elif verify:
            plan.unchanged.append((entry, k))
        else:
            plan.skipped += 1
    return plan


def hold_back(plan: BatchPlan, only: frozenset[bytes]) -> list[Entry]:
    """Take the new and changed entries not in `only` out of `plan` (ScanOptions.only);
    returns them. A file that reappeared unchanged stays: nothing is probed for it."""
    held = [e for e in plan.new if e[0] not in only]
    held += [e for e, _, _ in plan.changed if e[0] not in only]
    if held:
        plan.new = [e for e in plan.new if e[0] in only]
        plan.changed = [c for c in plan.changed if c[0][0] in only]
    return held


def in_scope(
    known: dict[bytes, Known], root: bytes, extensions: Iterable[str], *, skip_hidden: bool = True
) -> dict[bytes, Known]:
    """The known paths a walk of `root` for `extensions` can find.

    A file the walk does not look for (another extension, or inside a hidden directory,
    catalogued by scanning that directory itself) says nothing about being missing.
    Extensions match the final suffix of the name, case-insensitively, as the walker does.
    """
    wanted = {os.fsencode(e).lstrip(b".").lower() for e in extensions}
    start = len(root.rstrip(b"/")) + 1
    kept = {}
    for path, k in known.items():
        name = path.rpartition(b"/")[2]
        dot = name.rfind(b".")
        if dot <= 0 or name[dot + 1 :].lower() not in wanted:
            continue
        if skip_hidden and (path[start:].startswith(b".") or b"/." in path[start:]):
            continue
        kept[path] = k
    return kept


def is_racy(mtime_ns: int, scan_start_ns: int) -> bool:
    return mtime_ns >= scan_start_ns - RACY_WINDOW_NS


HashVerdict = Literal["same", "baseline", "changed"]


def hash_verdict(known: Known, digest: str | None) -> HashVerdict:
    """`--verify-hash` on a file whose size and mtime are unchanged: `same` (or the hash
    could not be computed: nothing to say), `baseline` (the first verify stores it), or
    `changed` (the content changed under an unchanged size and mtime: probe it again)."""
    if digest is None or known.content_hash == digest:
        return "same"
    if known.content_hash is None:
        return "baseline"
    return "changed"


def racy_confirmed(why: str | None, before: Sequence[object], after: Sequence[object] | None) -> bool:
    """A file probed again only because its mtime was racy, with the tracks it had: not a
    change, so no job row says it was."""
    return why == RACY_REASON and after is not None and tuple(before) == tuple(after)


def split_remaining(
    known: dict[bytes, Known], unreadable: list[bytes]
) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
    """After the walk: (newly missing, already missing) as (id, path).

    Paths under a directory the walk could not read are neither: we do not know.
    """
    prefixes = [u.rstrip(b"/") + b"/" for u in unreadable]
    newly: list[tuple[int, bytes]] = []
    already: list[tuple[int, bytes]] = []
    for path, k in known.items():
        if prefixes and any(path.startswith(p) for p in prefixes):
            continue
        (already if k.missing else newly).append((k.id, path))
    return newly, already
