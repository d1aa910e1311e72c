"""The `Test` event (Radarr's and Sonarr's "Test" button): is everything the hook needs in
order? The settings, every profile (the hook picks one by its roots) and its default
policy, the catalogue (opened for real: the hook writes to it), the tools, the
integrations. Each problem is a failed Check; none raises."""

from __future__ import annotations

from pathlib import Path

from vpo.config.settings import Settings
from vpo.doctor.checks import Check, profile_checks, tool_check
from vpo.errors import VpoError

TOOLS = ("ffprobe", "mkvpropedit", "mkvmerge", "mkvextract", "ffmpeg")


def hook_checks(settings: Settings, *, settings_error: VpoError | None = None) -> list[Check]:
    """`settings_error`: why the selected settings did not resolve (then `settings` are the
    defaults)."""
    from vpo.doctor.integrations import integration_checks

    checks = []
    if settings_error is not None:
        checks.append(Check("settings", False, settings_error.message, {"code": settings_error.code}))
    checks += profile_checks(settings)
    checks += policy_checks(settings)
    checks.append(catalogue_check(settings))
    checks += [tool_check(name, getattr(settings.tools, name)) for name in TOOLS]
    checks += integration_checks(settings)
    return checks


def policy_checks(settings: Settings) -> list[Check]:
    """Each valid profile's default policy loads."""
    from vpo.config.profiles import list_profiles
    from vpo.policy.loader import load_policy

    checks = []
    for entry in list_profiles(settings.home):
        if not entry.valid or not entry.default_policy:
            continue
        try:
            load_policy(Path(entry.default_policy))
        except VpoError as exc:
            checks.append(Check(f"policy:{entry.name}", False, exc.message, {"path": entry.default_policy}))
        else:
            checks.append(
                Check(f"policy:{entry.name}", True, entry.default_policy, {"path": entry.default_policy})
            )
    return checks


def catalogue_check(settings: Settings) -> Check:
    """Open (creating and migrating if need be) the catalogue, as a Download event will."""
    from vpo.db.connection import open_database

    target = settings.database_target
    shown = str(target) if not settings.database.url else "database.url"
    try:
        db = open_database(target)
    except VpoError as exc:
        return Check("catalogue", False, exc.message, {"target": shown})
    except OSError as exc:
        return Check("catalogue", False, f"{shown}: {exc.strerror or exc}", {"target": shown})
    label = db.label
    db.close()
    return Check("catalogue", True, label, {"target": shown})
