"""Settling, as a pure table: a path is due once what was last seen of it (size and mtime,
or gone) has not changed for `settle` seconds; when it is due the caller looks again
(`confirm`), and only a file still as it was counts as settled. Times are the caller's
(a monotonic clock), so this is tested without sleeping."""

from __future__ import annotations

from dataclasses import dataclass

# What a look at a path found: (size, mtime_ns), or None when it is not there.
Seen = tuple[int, int] | None


@dataclass(slots=True)
class _Entry:
    seen: Seen
    changed: float  # when `seen` last changed


class Settling:
    def __init__(self, settle: float) -> None:
        self.settle = settle
        self._entries: dict[bytes, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: bytes) -> bool:
        return path in self._entries

    def seen(self, path: bytes) -> Seen:
        return self._entries[path].seen

    def observe(self, path: bytes, seen: Seen, now: float) -> bool:
        """A change was reported (or a poll found one); True when the path was not waiting
        yet. An event that changed nothing (same size and mtime) restarts nothing."""
        entry = self._entries.get(path)
        if entry is None:
            self._entries[path] = _Entry(seen, now)
            return True
        if entry.seen != seen:
            entry.seen, entry.changed = seen, now
        return False

    def due(self, now: float, limit: int | None = None) -> list[tuple[bytes, Seen]]:
        """The paths unchanged for `settle` seconds, longest waiting first (at most `limit`)."""
        ready = [(e.changed, p) for p, e in self._entries.items() if now - e.changed >= self.settle]
        ready.sort()
        if limit is not None:
            ready = ready[:limit]
        return [(p, self._entries[p].seen) for _, p in ready]

    def confirm(self, path: bytes, seen: Seen, now: float) -> bool:
        """A due path looked at again: True (and forgotten) when it is as it was; otherwise
        what was found is recorded and it waits `settle` seconds more."""
        entry = self._entries[path]
        if entry.seen == seen:
            del self._entries[path]
            return True
        entry.seen, entry.changed = seen, now
        return False

    def discard(self, path: bytes) -> None:
        self._entries.pop(path, None)

    def restart(self, now: float) -> None:
        """Every path waits `settle` seconds from now (after a pause: an unmounted root)."""
        for entry in self._entries.values():
            entry.changed = now

    def next_due(self, now: float) -> float | None:
        """Seconds until the next path is due (0 when one is), None when nothing waits."""
        if not self._entries:
            return None
        first = min(e.changed for e in self._entries.values())
        return max(0.0, first + self.settle - now)
