"""Timestamps: always timezone-aware UTC, serialised as ISO-8601 with `Z`."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_iso(moment: datetime) -> str:
    """`2026-11-23T23:01:21.123456Z`: fixed width, so text order is time order."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return to_iso(utcnow())


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def to_local_display(text: str | None) -> str:
    """For people only: local time, to the second."""
    if not text:
        return "-"
    return from_iso(text).astimezone().strftime("%Y-%m-%d %H:%M:%S")
