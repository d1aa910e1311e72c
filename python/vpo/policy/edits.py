"""What an in-place edit (mkvpropedit) must change to turn the tracks into the plan's:
default and forced flags, languages, names. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from vpo.media.models import Track
from vpo.policy.plan import Plan


def in_place_edits(current: Sequence[Track], plan: Plan) -> dict[int, list[tuple[str, str | None]]]:
    """{current track index: [(mkvpropedit property, value; None deletes it)]}."""
    by_index = {t.index: t for t in current}
    edits: dict[int, list[tuple[str, str | None]]] = {}
    for pos, index in enumerate(plan.order):
        want, was = plan.final[pos], by_index[index]
        if want.type == "attachment":
            continue
        changes: list[tuple[str, str | None]] = []
        if want.default != was.default:
            changes.append(("flag-default", str(int(want.default))))
        if want.forced != was.forced:
            changes.append(("flag-forced", str(int(want.forced))))
        if want.language != was.language:
            changes.append(("language", want.language))
        if want.title != was.title:
            changes.append(("name", want.title or None))
        if changes:
            edits[index] = changes
    return edits
