"""A throwaway PostgreSQL cluster for the tests and benchmarks: initdb + pg_ctl in a
temporary directory, listening on a Unix socket only (no TCP port, nothing reachable from
outside), run as the unprivileged `postgres` user when the tests run as root (PostgreSQL
refuses root). Debian's `postgresql` package provides the binaries (Makefile system-deps).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote


def binaries() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb, or None."""
    base = Path("/usr/lib/postgresql")
    found = sorted(
        (d for d in base.glob("*/bin") if (d / "initdb").exists()),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


class Cluster:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="vpo-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            info = pwd.getpwnam("postgres")
            os.chown(self.root, info.pw_uid, info.pw_gid)
        os.chmod(self.root, 0o755)

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, stdin=subprocess.DEVNULL)

    def start(self) -> Cluster:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--locale=C",
            "--encoding=UTF8",
            "--no-sync",
        )
        self._run("mkdir", "-p", str(self.socket))
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.socket}' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        self._sql("postgres", "CREATE DATABASE vpo_template")
        return self

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@/{dbname}?host={quote(str(self.socket), safe='')}"

    def _sql(self, dbname: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, owner: str | None = None) -> str:
        """A fresh empty database (a copy of an empty template: fast); its URL. With `owner`
        (a role from password_role), that role owns it and the URL connects as that role."""
        name = "vpo_" + uuid.uuid4().hex[:12]
        owned = f" OWNER {owner}" if owner else ""
        self._sql("postgres", f"CREATE DATABASE {name}{owned} TEMPLATE vpo_template")
        url = self.url(name)
        return url.replace(f"//{self.user}@", f"//{owner}@", 1) if owner else url

    def password_role(self, role: str, password: str) -> None:
        """A role that connects only with `password` (scram-sha-256); every other role keeps
        trust authentication. Idempotent."""
        hba = self.data / "pg_hba.conf"
        rule = f"local all {role} scram-sha-256\n"
        text = hba.read_text()
        if rule in text:
            return
        self._sql("postgres", f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        hba.write_text(rule + text)  # the first matching line wins
        self._sql("postgres", "SELECT pg_reload_conf()")
        self._until_password_needed(role)

    def _until_password_needed(self, role: str) -> None:
        """pg_reload_conf() only signals the server: wait until the new rule holds."""
        import time

        import psycopg

        url = self.url("postgres").replace(f"//{self.user}@", f"//{role}@", 1)
        for _ in range(100):
            try:
                psycopg.connect(url, connect_timeout=2).close()
            except psycopg.OperationalError:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the server still lets {role} in without a password")

    def clone(self, src_url: str, dst_url: str) -> None:
        """Make the database at dst_url a copy of the one at src_url (nobody connected)."""
        src, dst = (u.split("/")[-1].split("?")[0] for u in (src_url, dst_url))
        self._sql("postgres", f"DROP DATABASE IF EXISTS {dst}")
        self._sql("postgres", f"CREATE DATABASE {dst} TEMPLATE {src}")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
