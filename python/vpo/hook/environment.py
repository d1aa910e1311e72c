"""What Radarr and Sonarr tell a Custom Script, read from its environment.

The names are theirs (src/NzbDrone.Core/Notifications/CustomScript/CustomScript.cs in each
project): they set `Radarr_EventType`, `Sonarr_EpisodeFile_Paths`, ... through a .NET
StringDictionary, which lower-cases keys, so the script sees `radarr_eventtype`; they are
read here whatever their case. Lists of paths are `|`-separated (a Sonarr season pack's
`sonarr_episodefile_paths`, a rename's `..._previouspaths`, an upgrade's `..._deletedpaths`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vpo.errors import UsageError
from vpo.integrations.hints import Hints
from vpo.media.language_lookup import language_code

RADARR, SONARR = "Radarr", "Sonarr"
DOWNLOAD, RENAME, TEST = "Download", "Rename", "Test"
FILE_DELETES = ("MovieFileDelete", "EpisodeFileDelete")
FOLDER_DELETES = ("MovieDelete", "SeriesDelete")  # the film or series, its folder with it


@dataclass(frozen=True)
class HookEvent:
    app: str  # RADARR or SONARR
    kind: str  # their event type: Test, Download, Rename, MovieFileDelete, ...
    files: tuple[str, ...] = ()  # imported or renamed files, as Radarr or Sonarr see them
    previous: tuple[str, ...] = ()  # a rename's previous paths
    deleted: tuple[str, ...] = ()  # files (an upgrade's old ones) or folders deleted
    hints: Hints = field(default_factory=Hints)
    original_language: str | None = None  # ISO 639-2/B, of the film or series
    upgrade: bool = False


def read_event(environ: Mapping[str, str]) -> HookEvent:
    """The event in `environ`; a UsageError when neither Radarr nor Sonarr set one."""
    env = {k.lower(): v for k, v in environ.items() if k.lower().startswith(("radarr_", "sonarr_"))}
    for app in (RADARR, SONARR):
        kind = env.get(f"{app.lower()}_eventtype", "").strip()
        if kind:
            return _event(app, kind, env)
    raise UsageError(
        "no radarr_eventtype or sonarr_eventtype in the environment: `vpo hook` is run by Radarr "
        "or Sonarr (Settings > Connect > Custom Script, docs/media-stack.md)"
    )


def _event(app: str, kind: str, env: dict[str, str]) -> HookEvent:
    p = app.lower() + "_"
    file_key = f"{p}moviefile" if app == RADARR else f"{p}episodefile"
    if kind == DOWNLOAD:
        files = _list(env.get(f"{file_key}_paths")) or _list(env.get(f"{file_key}_path"))
        deleted = _list(env.get(f"{p}deletedpaths"))
    elif kind == RENAME:
        files, deleted = _list(env.get(f"{file_key}_paths")), ()
    elif kind in FILE_DELETES:
        files, deleted = (), _list(env.get(f"{file_key}_path"))
    elif kind in FOLDER_DELETES:
        folder = env.get(f"{p}movie_path") if app == RADARR else env.get(f"{p}series_path")
        files, deleted = (), _list(folder)
    else:
        files, deleted = (), ()
    return HookEvent(
        app,
        kind,
        files=files,
        previous=_list(env.get(f"{file_key}_previouspaths")) if kind == RENAME else (),
        deleted=deleted,
        hints=Hints(
            radarr_movie_id=_number(env.get("radarr_movie_id")),
            sonarr_series_id=_number(env.get("sonarr_series_id")),
        ),
        original_language=language_code(
            env.get("radarr_movie_originallanguage") or env.get("sonarr_series_originallanguage")
        ),
        upgrade=env.get(f"{p}isupgrade", "").strip().lower() == "true",
    )


def _list(value: str | None) -> tuple[str, ...]:
    """A `|`-separated list of paths, empty items dropped."""
    return tuple(p for p in (value or "").split("|") if p.strip())


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
