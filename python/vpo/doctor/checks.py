"""Each check returns a Check; none raises for an expected problem, so one broken part
never hides the state of the others."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from vpo.config.settings import Settings
from vpo.errors import VpoError

_VERSION_ARGS = {"ffmpeg": ["-version"], "ffprobe": ["-version"], "mkvmerge": ["--version"],
                 "mkvpropedit": ["--version"]}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_checks(settings: Settings) -> list[Check]:
    checks = [tool_check(name, getattr(settings.tools, name)) for name in _VERSION_ARGS]
    checks += [pyav_check(), extension_check(), database_check(settings), config_check(settings)]
    checks += profile_checks(settings)
    return checks


def tool_check(name: str, configured: str) -> Check:
    path = shutil.which(configured)
    if path is None:
        return Check(f"tool:{name}", False, f"{configured} not found", {"configured": configured})
    try:
        out = subprocess.run([path, *_VERSION_ARGS[name]], capture_output=True, timeout=20, check=False)
        first = out.stdout.decode("utf-8", "replace").strip().splitlines()
        version = first[0] if first else f"exit status {out.returncode}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(f"tool:{name}", False, f"{path}: {exc}", {"path": path})
    return Check(f"tool:{name}", True, version, {"path": path, "version": version})


def pyav_check() -> Check:
    try:
        import av

        return Check("pyav", True, f"PyAV {av.__version__} (FFmpeg libraries {av.ffmpeg_version_info})",
                     {"version": av.__version__})
    except Exception as exc:  # noqa: BLE001 - report any import failure
        return Check("pyav", False, f"cannot import av: {exc}", {})


def extension_check() -> Check:
    try:
        from vpo.scan.walker import core_version

        version = core_version()
        return Check("extension", True, f"vpo._core {version}", {"version": version})
    except Exception as exc:  # noqa: BLE001
        return Check("extension", False, f"cannot load vpo._core: {exc} (rebuild: make install)", {})


def database_check(settings: Settings) -> Check:
    from vpo.db.connection import open_database
    from vpo.db.migrations import LATEST

    path = settings.database
    data: dict[str, Any] = {"path": str(path), "supported_schema": LATEST}
    if not path.exists():
        return Check("database", True, f"{path} (not created yet)", data)
    try:
        db = open_database(path)
    except VpoError as exc:
        return Check("database", False, exc.message, data)
    try:
        version = db.conn.execute("PRAGMA user_version").fetchone()[0]
        integrity = db.conn.execute("PRAGMA quick_check").fetchone()[0]
        files = db.conn.execute("SELECT count(*) FROM files").fetchone()[0]
        jobs = db.conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - sqlite errors on a damaged file
        return Check("database", False, f"{path}: {exc}", data)
    finally:
        db.close()
    data.update(schema_version=version, integrity=integrity, files=files, jobs=jobs)
    ok = integrity == "ok"
    return Check("database", ok, f"{path}: schema {version}, {files:,} files, {jobs:,} jobs, integrity {integrity}", data)


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
    from vpo.config.loader import available_profiles, profile_chain

    checks = []
    for name in available_profiles(settings.home):
        try:
            chain = profile_chain(settings.home, name)
            checks.append(Check(f"profile:{name}", True, str(chain[-1].path), {"path": str(chain[-1].path)}))
        except VpoError as exc:
            checks.append(Check(f"profile:{name}", False, exc.message, {}))
    return checks
