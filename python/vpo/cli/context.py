"""What every command needs before calling a service: settings, logging, the database."""

from __future__ import annotations

import os
from typing import Any

import typer

from vpo.config.layers import Layer
from vpo.config.resolver import Effective
from vpo.config.settings import Settings
from vpo.db.connection import Database, open_database
from vpo.errors import ConfigError
from vpo.redact import mask_url, remember


class CliState:
    """Global options, from the top-level callback (`vpo --profile X --log-level debug ...`)."""

    def __init__(self) -> None:
        self.profile: str | None = None
        self.log_level: str | None = None
        self.log_file: str | None = None
        self.log_json: bool = False
        self.verbosity: int = 0  # -1: -q, 1: -v, 2: -vv


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def resolve_settings(
    ctx: typer.Context, *, profile: str | None = None, flags: dict[str, Any] | None = None, files: bool = True
) -> Effective:
    """Effective settings: defaults < config.yaml < profile chain < flags. Configures logging.

    The profile is the command's `--profile`, else the global one, else $VPO_PROFILE (an
    empty $VPO_PROFILE means none; an empty `--profile` is an error). Every configuration
    error surfaces here, before any work starts. `files=False` skips config.yaml and
    profiles (defaults and flags only): `vpo doctor` uses it to keep going and report them.
    """
    from vpo.logging import configure

    effective = effective_settings(ctx, profile=profile, flags=flags, files=files)
    configure(effective.settings.logging, stderr_level=stderr_level(state(ctx).verbosity, effective))
    return effective


def effective_settings(
    ctx: typer.Context, *, profile: str | None = None, flags: dict[str, Any] | None = None, files: bool = True
) -> Effective:
    """resolve_settings without configuring logging: `vpo watch` resolves one set of settings
    per profile it watches, and logs with the command's own."""
    from vpo.config.resolver import resolve
    from vpo.config.settings import vpo_home

    home = vpo_home()
    layers = []
    chain = []
    if files:
        name = selected_profile(ctx, profile)
        if name is not None or (home / "config.yaml").exists():
            # Only now: the loader brings ruamel.yaml and pydantic with it.
            from vpo.config.loader import check_profile_name, load_config_layer, profile_chain

            if name is not None:
                check_profile_name(name)
            config = load_config_layer(home)
            if config is not None:
                layers.append(config)
            chain = profile_chain(home, name) if name is not None else []
            layers.extend(p.layer for p in chain)
    url = os.environ.get("VPO_DATABASE_URL")
    if url:
        layers.append(Layer("env", {"database": {"url": checked_env_url(url)}}))
    layers.append(flags_layer(ctx, flags))
    effective = resolve(layers, home=home, profile=chain[-1] if chain else None)
    remember(effective.settings.database.url)  # its password masked wherever it is quoted
    return effective


def checked_env_url(url: str) -> str:
    """$VPO_DATABASE_URL, or the ConfigError a file's bad database.url would give."""
    from vpo.db.pg_url import url_problem

    problem = url_problem(url)
    if problem is None:
        return url
    shown = mask_url(url)
    raise ConfigError(
        f"VPO_DATABASE_URL: database.url: {shown}: {problem}",
        details={"source": "VPO_DATABASE_URL", "key": "database.url", "url": shown, "reason": problem},
    )


def stderr_level(verbosity: int, effective: Effective) -> str:
    """What stderr shows (SPEC section 6): -q errors, -v info, -vv debug; otherwise the
    level asked for by a flag, profile or config.yaml, and warnings when none was: the
    command's own output already says what happened, and cron mails only what went wrong."""
    if verbosity < 0:
        return "error"
    if verbosity > 0:
        return "debug" if verbosity > 1 else "info"
    if effective.sources.get("logging.level", "default") != "default":
        return effective.settings.logging.level
    return "warning"


def selected_profile(ctx: typer.Context, profile: str | None = None) -> str | None:
    """The profile a command runs with: its own --profile, the global one, $VPO_PROFILE."""
    if profile is not None:
        return profile
    st = state(ctx)
    if st.profile is not None:
        return st.profile
    return os.environ.get("VPO_PROFILE") or None


def flags_layer(ctx: typer.Context, flags: dict[str, Any] | None = None) -> Layer:
    """The command's own flags plus the global logging flags, as the `cli` layer."""
    from vpo.config.resolver import cli_layer

    st = state(ctx)
    all_flags = dict(flags or {})
    all_flags.update(
        {
            "logging.level": st.log_level,
            "logging.file": st.log_file,
            "logging.format": "json" if st.log_json else None,
        }
    )
    return cli_layer(all_flags)


def settings_for(ctx: typer.Context, *, profile: str | None = None, **flags: Any) -> Settings:
    return resolve_settings(ctx, profile=profile, flags=flags).settings


def _journals_pending(journal_dir: bytes) -> bool:
    """Whether an in-place edit's journal is pending (`pending-PID-…`, edit/journal.py):
    only then is the rollback loaded, which every command would otherwise import
    (10-40 ms of its start-up) to find an empty folder."""
    try:
        return any(name.startswith(b"pending-") for name in os.listdir(journal_dir))
    except OSError:
        return False


def open_library(settings: Settings, *, creates_jobs: bool = False) -> Database:
    """Open the catalogue; fail abandoned jobs; put back files whose in-place edit was killed;
    purge old jobs before a job-creating command."""
    from vpo.jobs.maintenance import purge, recover_abandoned

    db = open_database(settings.database_target)
    recover_abandoned(db, max_attempts=settings.transcode.max_attempts)
    journal_dir = os.fsencode(settings.journal_dir)
    if _journals_pending(journal_dir):
        from vpo.edit.rollback import roll_back_killed

        roll_back_killed(journal_dir, db)
    if creates_jobs and settings.jobs.auto_purge:
        purge(db, older_than_days=settings.jobs.retention_days)
    return db
