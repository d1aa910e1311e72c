"""`vpo doctor`."""

from __future__ import annotations

import typer

from vpo.cli.context import resolve_settings, selected_profile
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_text, safe
from vpo.errors import ConfigError


def doctor(ctx: typer.Context, json_out: JsonOpt = False, profile: ProfileOpt = None) -> int:
    """Check tools and their versions, PyAV, the extension, the database, config, profiles
    and integrations (reachable, key accepted, what each sees).

    Exit 0 when everything is sound, 1 when something needs attention. Unlike other
    commands, a broken config.yaml or profile is reported here rather than stopping it.
    """
    from vpo.doctor.checks import run_checks

    name = selected_profile(ctx, profile)
    problem: ConfigError | None = None
    try:
        effective = resolve_settings(ctx, profile=profile)
    except ConfigError as exc:
        problem = exc
        effective = resolve_settings(ctx, files=False)
    checks = run_checks(effective.settings, profile=name, settings_error=problem)
    healthy = all(c.ok for c in checks)
    if json_out:
        print_json(
            {
                "ok": healthy,
                "home": str(effective.settings.home),
                "profile": name,
                "checks": [c.to_dict() for c in checks],
            }
        )
    else:
        for check in checks:
            print_text(f"{'ok ' if check.ok else 'BAD'}  {check.name:<20} {safe(check.detail)}")
    return 0 if healthy else 1
