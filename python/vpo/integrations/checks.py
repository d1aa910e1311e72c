"""PLACEHOLDER (Part I owns this module): `vpo doctor`'s and the hook's integration checks.
No integration can be configured on this branch, so there is nothing to check."""

from __future__ import annotations

from vpo.config.settings import Settings
from vpo.doctor.checks import Check


def integration_checks(settings: Settings) -> list[Check]:
    return []
