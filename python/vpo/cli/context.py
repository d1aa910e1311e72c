"""What every command needs before calling a service: settings, logging, the database."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import typer

from vpo.config.settings import Settings
from vpo.db.connection import Database, open_database


class CliState:
    """Global options, from the top-level callback (`vpo --profile X --log-level debug ...`)."""

    def __init__(self) -> None:
        self.profile: str | None = None
        self.log_level: str | None = None
        self.log_file: str | None = None
        self.log_json: bool = False


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def settings_for(ctx: typer.Context, *, profile: str | None = None, **flags: Any) -> Settings:
    """Resolve the effective settings for this command and configure logging from them."""
    from vpo.logging import configure

    st = state(ctx)
    settings = Settings()
    log = settings.logging
    if st.log_level:
        log = replace(log, level=st.log_level)
    if st.log_file:
        log = replace(log, file=st.log_file)
    if st.log_json:
        log = replace(log, format="json")
    settings = replace(settings, logging=log)
    configure(settings.logging)
    return settings


def open_library(settings: Settings, *, creates_jobs: bool = False) -> Database:
    """Open the catalogue; fail abandoned jobs; purge old ones before a job-creating command."""
    from vpo.jobs.maintenance import purge, recover_abandoned

    db = open_database(settings.database)
    recover_abandoned(db)
    if creates_jobs and settings.jobs.auto_purge:
        purge(db, older_than_days=settings.jobs.retention_days)
    return db
