"""Each check returns a Check; none raises for an expected problem, so one broken part
never hides the state of the others."""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import time
from typing import Any

from vpo.config.settings import Settings
from vpo.doctor.database import database_check
from vpo.doctor.models import Check
from vpo.errors import VpoError
from vpo.media.children import tool_preexec

log = logging.getLogger(__name__)

_VERSION_ARGS = {
    "ffmpeg": ["-version"],
    "ffprobe": ["-version"],
    "mkvmerge": ["--version"],
    "mkvpropedit": ["--version"],
    "mkvextract": ["--version"],
}


def run_checks(
    settings: Settings, *, profile: str | None = None, settings_error: VpoError | None = None
) -> list[Check]:
    """Every check. `profile` is the selected profile (--profile or $VPO_PROFILE);
    `settings_error` is why the settings could not be resolved (then `settings` are the
    built-in defaults and flags, and the config and profile checks say what is wrong)."""
    checks = [tool_check(name, getattr(settings.tools, name)) for name in _VERSION_ARGS]
    checks += [pyav_check(), extension_check(), database_check(settings), config_check(settings)]
    checks += profile_checks(settings)
    checks.append(selection_check(profile, settings_error))
    checks.append(log_file_check(settings))
    checks += mapped_root_checks(settings.paths.map)
    if settings.integrations.configured():
        from vpo.doctor.integrations import integration_checks

        checks += integration_checks(settings)
    if settings.notify.urls:  # Apprise is loaded only when there is something to check
        from vpo.doctor.notify import notify_check

        checks += [c for c in [notify_check(settings)] if c is not None]
    return checks


def tool_check(name: str, configured: str) -> Check:
    path = shutil.which(os.path.expanduser(configured))
    if path is None:
        return Check(
            f"tool:{name}",
            False,
            f"{configured} not found (set tools.{name} in config.yaml or a profile)",
            {"configured": configured},
        )
    command = [path, *_VERSION_ARGS[name]]
    started = time.monotonic()
    try:
        out = subprocess.run(
            command,
            capture_output=True,
            timeout=20,
            check=False,
            stdin=subprocess.DEVNULL,
            preexec_fn=tool_preexec(),  # dies with VPO (media/children.py)
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(f"tool:{name}", False, f"{path}: {exc}", {"configured": configured, "path": path})
    finally:
        log.debug(
            "ran %s",
            shlex.join(command),
            extra={
                "operation": "doctor",
                "command": shlex.join(command),
                "duration_seconds": round(time.monotonic() - started, 6),
            },
        )
    lines = out.stdout.decode("utf-8", "replace").strip().splitlines()
    banner = lines[0] if lines else ""
    data = {"configured": configured, "path": path, "banner": banner, "version": _version(banner)}
    if out.returncode != 0:
        return Check(
            f"tool:{name}",
            False,
            f"{path} {_VERSION_ARGS[name][0]} failed (exit status {out.returncode})",
            data,
        )
    return Check(f"tool:{name}", True, f"{path}: {banner}", data)


def _version(banner: str) -> str | None:
    """'ffmpeg version 5.1.4-0+deb12u1 Copyright...' -> '5.1.4-0+deb12u1'; 'mkvmerge v74.0.0 (...)' -> '74.0.0'."""
    match = re.search(r"\bversion\s+n?(\d\S*)", banner) or re.search(r"\bv(\d+(?:\.\d+)+)", banner)
    return match.group(1) if match else None


def pyav_check() -> Check:
    try:
        import av

        return Check(
            "pyav",
            True,
            f"PyAV {av.__version__} (FFmpeg libraries {av.ffmpeg_version_info})",
            {"version": av.__version__},
        )
    except Exception as exc:
        return Check("pyav", False, f"cannot import av: {exc}", {})


def extension_check() -> Check:
    try:
        from vpo.scan.walker import core_version

        version = core_version()
        return Check("extension", True, f"vpo._core {version}", {"version": version})
    except Exception as exc:
        return Check("extension", False, f"cannot load vpo._core: {exc} (rebuild: make install)", {})


def config_check(settings: Settings) -> Check:
    from vpo.config.loader import config_path, load_config_layer

    path = config_path(settings.home)
    try:
        layer = load_config_layer(settings.home)
    except VpoError as exc:
        return Check("config", False, exc.message, {"path": str(path)})
    detail = f"{path}" if layer is not None else f"{path} (absent: built-in defaults)"
    return Check("config", True, detail, {"path": str(path), "present": layer is not None})


def profile_checks(settings: Settings) -> list[Check]:
    """One check per file in the profiles folder: it and everything it extends must load."""
    from vpo.config.profiles import list_profiles

    checks = []
    for entry in list_profiles(settings.home):
        data: dict[str, Any] = {"path": str(entry.path), "extends": entry.extends}
        if entry.valid:
            via = f" (extends {entry.extends})" if entry.extends else ""
            checks.append(Check(f"profile:{entry.name}", True, f"{entry.path}{via}", data))
        else:
            checks.append(Check(f"profile:{entry.name}", False, entry.error or "invalid", data))
    return checks


def selection_check(profile: str | None, settings_error: VpoError | None) -> Check:
    """The settings this command resolved: which profile, and whether resolution worked."""
    data: dict[str, Any] = {"profile": profile}
    if settings_error is not None:
        data.update(code=settings_error.code, details=settings_error.details)
        return Check(
            "settings", False, f"{settings_error.message} (checks above use built-in defaults)", data
        )
    return Check("settings", True, f"profile {profile}" if profile else "no profile selected", data)


def log_file_check(settings: Settings) -> Check:
    """Can the configured log file be written? (It is opened for append and nothing written.)"""
    from vpo.logging import log_path, make_log_dir

    path = log_path(settings.logging)
    if path is None:
        return Check("log file", True, "none (logging to stderr)", {"path": None})
    data = {"path": str(path)}
    try:
        make_log_dir(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
    except OSError as exc:
        return Check(
            "log file", False, f"cannot open {path} ({exc.strerror or exc}): VPO logs to stderr instead", data
        )
    return Check("log file", True, str(path), data)


def mapped_root_checks(mapping: tuple[tuple[str, str], ...]) -> list[Check]:
    """On a worker host: each `paths` mount point exists (a library not mounted is a job
    this host will leave to others)."""
    checks = []
    for root, local in mapping:
        ok = os.path.isdir(local)
        detail = f"{root} -> {local}" + ("" if ok else " (not found: not mounted?)")
        checks.append(Check(f"paths:{root}", ok, detail, {"catalogue_root": root, "local": local}))
    return checks
