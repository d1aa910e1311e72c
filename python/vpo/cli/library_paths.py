"""PATH arguments, or the profile's library: `vpo scan --profile movies` with no PATH works
on the roots `movies` names (SPEC section 17). One function, used by scan, check, apply,
transcode, files, report and backups alike."""

from __future__ import annotations

from vpo.config.resolver import Effective
from vpo.errors import UsageError


def paths_or_roots(paths: list[str] | None, effective: Effective, *, required: bool) -> list[str]:
    """The PATHs given (they always win); with none, the selected profile's `roots`.

    With neither: a command that needs a PATH (`required`: scan, apply, transcode) fails
    with exit 2, naming the profiles that have roots; the others get `[]`, which means the
    whole catalogue, as before profiles had roots."""
    if paths:
        return paths
    profile = effective.profile
    if profile is not None and profile.roots:
        return list(profile.roots)
    if not required:
        return []
    from vpo.config.profiles import profiles_with_roots

    named = profiles_with_roots(effective.settings.home)
    choices = f"profiles with roots: {', '.join(named)}" if named else "no profile names roots yet"
    if profile is not None:
        message = (
            f"no PATH given and profile {profile.name!r} names no roots: give a PATH, or add "
            f"`roots: [...]` to {profile.path} ({choices})"
        )
    else:
        message = f"no PATH given: give one, or --profile NAME to work on that profile's roots ({choices})"
    raise UsageError(message, details={"profiles_with_roots": named})
