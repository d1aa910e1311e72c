"""A PostgreSQL password never leaves VPO, whatever shape the URL that holds it has.

Every command that touches the database runs at `-vv` with a log file (text or JSON) and
the URL in a profile, against a real server that wants the password (scram) and against a
port nothing listens on; the secret is looked for in stdout, stderr, the log and, where the
server is up, every row of the catalogue and job records. A malformed URL (bad port, no
`@host`, an unclosed IPv6 address) is one clean error line, exit 2, on every command.
`vpo db migrate-to` refuses a URL that carries a password (`ps` would show it) and takes
it from PGPASSWORD, ~/.pgpass or a prompt on a terminal.
"""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engine
from integration.conftest import VPO, Result, RunVpo, age_tree
from integration.scanutil import assert_no_traceback, one_error_line

SECRET = "Hunter2-S3cr3t-9f4c"
ROLE = "vpo_secret"
pytestmark = pytest.mark.parametrize("db_engine", ["sqlite"])  # the URL says where the catalogue is


def free_port() -> int:
    """A TCP port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_url() -> str:
    """A fresh database on the test server, owned by a role that must give SECRET; its URL
    without the password (`postgresql://vpo_secret@/vpo_...?host=/socket/dir`)."""
    engine.cluster().password_role(ROLE, SECRET)
    return engine.cluster().new_database(owner=ROLE)


def shapes(server_url: str) -> dict[str, str]:
    """Every way a URL holds the password, up (the server) and down (a dead port)."""
    path, _, query = server_url.partition("?")  # postgresql://vpo_secret@/db, host=...
    dead = f"postgresql://{ROLE}@127.0.0.1:{free_port()}/vpo"
    return {
        "user-part-up": path.replace(f"{ROLE}@", f"{ROLE}:{SECRET}@") + "?" + query,
        "query-up": f"{server_url}&password={SECRET}",
        "sslmode-query-up": f"{path}?sslmode=disable&{query}&password={SECRET}",
        "user-part-down": dead.replace(f"{ROLE}@", f"{ROLE}:{SECRET}@"),
        "query-down": f"{dead}?password={SECRET}",
        "sslmode-query-down": f"{dead}?sslmode=disable&password={SECRET}",
        "ipv6-unclosed": f"postgresql://vpo:{SECRET}@[::1/vpo",
        "no-at-host": f"postgresql://vpo:{SECRET}/vpo",
        "port-not-a-number": f"postgresql://vpo:{SECRET}@localhost:notaport/vpo",
        "port-out-of-range": f"postgresql://vpo:{SECRET}@localhost:99999/vpo",
    }


# the shapes (the bad ports have their own test below)
SHAPES = [
    "user-part-up",
    "query-up",
    "sslmode-query-up",
    "user-part-down",
    "query-down",
    "sslmode-query-down",
    "ipv6-unclosed",
    "no-at-host",
]
MALFORMED = {"ipv6-unclosed", "no-at-host", "port-not-a-number", "port-out-of-range"}
# The default run takes one shape of each kind (a working URL, a server that is down, a
# malformed URL); `make test-all` takes every shape, each command meeting both log forms.
DEFAULT_SHAPES = {"user-part-up", "query-down", "no-at-host"}


def set_up_home(home: Path, url: str) -> None:
    """config.yaml: every log line everywhere; profile `pg`: the URL."""
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("logging:\n  level: debug\n  include_stderr: true\n")
    profile = home / "profiles" / "pg.yaml"
    profile.write_text(f"description: the shared catalogue\ndatabase:\n  url: {json.dumps(url)}\n")
    profile.chmod(0o600)


def commands(library: Path, url: str) -> list[tuple[str, ...]]:
    """Every command that touches the database (`JOB`: the id `jobs list --json` found)."""
    return [
        ("scan", str(library)),
        ("jobs", "list", "--json"),
        ("jobs", "show", "JOB"),
        ("doctor", "--json"),
        ("profiles", "show", "pg", "--json"),
        ("db", "migrate-to", url),
        ("report",),
        ("files",),
    ]


def catalogue_text(url: str) -> str:
    """Every row of every table of the catalogue, as text."""
    from vpo.db.postgres import PgConnection

    conn = PgConnection(url, password=SECRET)
    try:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(repr(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)
    finally:
        conn.close()


def refused_at_startup(result: Result, args: tuple[str, ...], profile: Path) -> None:
    """Before any work: one error line naming the key and the file (the JSON error with
    --json); `vpo doctor` reports it among its checks instead (exit 1)."""
    if args[0] == "doctor":
        assert result.code == 1, result
        assert "database.url" in result.stdout and str(profile) in result.stdout, result
    elif "--json" in args:
        assert result.code == 2 and result.stderr == "", result
        error = result.json()
        assert error["details"]["key"] == "database.url" and error["details"]["file"] == str(profile)
    else:
        assert result.code == 2, result
        line = one_error_line(result)
        assert "database.url" in line and str(profile) in line, result


@pytest.mark.parametrize(
    "shape", [s if s in DEFAULT_SHAPES else pytest.param(s, marks=pytest.mark.slow) for s in SHAPES]
)
def test_no_command_shows_the_password(
    vpo: RunVpo,
    vpo_home: Path,
    tmp_path: Path,
    make_video: Callable[..., Path],
    server_url: str,
    shape: str,
    db_engine: str,
) -> None:
    url = shapes(server_url)[shape]
    set_up_home(vpo_home, url)
    library = tmp_path / "lib"
    make_video(library / "film.mkv")
    age_tree(library)
    env = {"VPO_PROFILE": "pg", "VPO_DATABASE_URL": ""}
    logs = {"text": tmp_path / "vpo.log", "json": tmp_path / "vpo.jsonl"}
    up = shape.endswith("-up")
    job_id = "deadbeef"
    seen = []
    for n, args in enumerate(commands(library, url)):
        args = tuple(job_id if a == "JOB" else a for a in args)
        form = ("text", "json")[(n + SHAPES.index(shape)) % 2]  # each command meets both
        flags = ["-vv", "--log-file", str(logs[form])] + (["--log-json"] if form == "json" else [])
        result = vpo(*flags, *args, env=env)
        assert_no_traceback(result)
        assert SECRET not in result.stdout + result.stderr, result
        seen.append(result.stdout + result.stderr)
        if shape in MALFORMED:
            refused_at_startup(result, args, vpo_home / "profiles" / "pg.yaml")
        if up and args[0] == "scan":
            assert result.code == 0, result  # the URL (and its password) really work
        if up and args[:2] == ("jobs", "list"):
            job_id = result.json()[0]["id"]
    assert "***" in "".join(seen)  # shown masked, not just left out
    for log in logs.values():
        text = log.read_text() if log.exists() else ""
        assert SECRET not in text
    if up:
        assert logs["text"].read_text() and logs["json"].read_text()  # the logs were written
        assert SECRET not in catalogue_text(server_url)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://vpo:{SECRET}@localhost:notaport/vpo",
        f"postgresql://vpo:{SECRET}@localhost:99999/vpo",
        f"postgresql://vpo:{SECRET}/vpo",
        f"postgresql://vpo:{SECRET}@[::1/vpo",
    ],
    ids=["not-a-number", "out-of-range", "no-at-host", "ipv6-unclosed"],
)
def test_a_malformed_url_is_one_error_line_and_exit_2(
    vpo: RunVpo, vpo_home: Path, tmp_path: Path, url: str, db_engine: str
) -> None:
    vpo_home.mkdir(parents=True)
    sources = {
        "VPO_DATABASE_URL": ({"VPO_DATABASE_URL": url}, None),
        str(vpo_home / "config.yaml"): ({}, vpo_home / "config.yaml"),
    }
    commands = [("jobs", "list"), ("scan", str(tmp_path)), ("report",), ("jobs", "run")]
    for n, (source, (env, config)) in enumerate(sources.items()):
        if config is not None:
            config.write_text(f"database:\n  url: {json.dumps(url)}\n")
        result = vpo(*commands[(n + len(url)) % len(commands)], env=env)  # the same for every one
        assert result.code == 2, result
        line = one_error_line(result)
        assert "database.url" in line and source in line and "***" in line, result
        assert SECRET not in line
        as_json = vpo("files", "--json", env=env)
        assert as_json.code == 2 and as_json.stderr == "", as_json
        error = as_json.json()
        assert error["code"] == "CONFIG_INVALID" and error["details"]["key"] == "database.url"
        assert SECRET not in as_json.stdout
        if config is not None:
            config.unlink()


def test_a_readable_file_with_a_query_password_is_warned_about(
    vpo: RunVpo, vpo_home: Path, server_url: str, db_engine: str
) -> None:
    set_up_home(vpo_home, f"{server_url}&password={SECRET}")
    (vpo_home / "profiles" / "pg.yaml").chmod(0o644)
    result = vpo("profiles", "show", "pg", env={"VPO_DATABASE_URL": ""})
    assert result.code == 0, result
    assert "can be read by other users" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def copied_jobs(url: str) -> int:
    from vpo.db.postgres import PgConnection

    conn = PgConnection(url, password=SECRET)
    try:
        if conn.dialect.schema_version(conn) == 0:
            return 0  # not even migrated
        return int(conn.execute("SELECT count(*) FROM jobs").fetchone()[0])
    finally:
        conn.close()


def test_migrate_to_takes_the_password_from_pgpassword_or_pgpass_never_the_url(
    vpo: RunVpo, vpo_home: Path, tmp_path: Path, server_url: str, db_engine: str
) -> None:
    (tmp_path / "lib").mkdir()
    for _ in range(2):
        assert vpo("scan", tmp_path / "lib").code == 0  # two jobs to copy
    nowhere = {"PGPASSWORD": "", "PGPASSFILE": str(tmp_path / "no-pgpass")}
    path, _, query = server_url.partition("?")
    for with_password in (
        path.replace(f"{ROLE}@", f"{ROLE}:{SECRET}@") + "?" + query,
        f"{server_url}&password={SECRET}",
    ):
        refused = vpo("db", "migrate-to", with_password)
        assert refused.code == 2, refused
        line = one_error_line(refused)
        assert "PGPASSWORD" in line and "~/.pgpass" in line and SECRET not in line, refused
    assert copied_jobs(server_url) == 0

    no_password = vpo("db", "migrate-to", server_url, "--json", env=nowhere)
    assert no_password.code == 2, no_password  # no terminal: no prompt, libpq's refusal
    assert no_password.json()["code"] == "DATABASE_PASSWORD_REQUIRED"
    wrong = vpo("db", "migrate-to", server_url, env={**nowhere, "PGPASSWORD": "not-it"})
    assert wrong.code == 2 and "password authentication failed" in wrong.stderr, wrong
    assert copied_jobs(server_url) == 0

    done = vpo("db", "migrate-to", server_url, "--json", env={**nowhere, "PGPASSWORD": SECRET})
    assert done.code == 0, done
    assert copied_jobs(server_url) == 2

    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:{ROLE}:{SECRET}\n")
    pgpass.chmod(0o600)
    second = engine.cluster().new_database(owner=ROLE)
    via_file = vpo("db", "migrate-to", second, env={"PGPASSFILE": str(pgpass), "PGPASSWORD": ""})
    assert via_file.code == 0, via_file
    assert copied_jobs(second) == 2


def run_on_a_terminal(args: list[str], env: dict[str, str], typed: str) -> tuple[int, str]:
    """Run vpo with a pty as its terminal; type `typed` once it asks; (exit code, what it
    wrote to the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(VPO), *args], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
                if b"Password for" in out and typed:
                    os.write(master, typed.encode() + b"\n")
                    typed = ""
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return code, out.decode("utf-8", "replace")


def test_migrate_to_asks_for_the_password_on_a_terminal(
    vpo: RunVpo, vpo_env: dict[str, Any], tmp_path: Path, server_url: str, db_engine: str
) -> None:
    (tmp_path / "lib").mkdir()
    assert vpo("scan", tmp_path / "lib").code == 0
    env = {**vpo_env, "PGPASSWORD": "", "PGPASSFILE": str(tmp_path / "none")}
    code, shown = run_on_a_terminal(["db", "migrate-to", server_url], env, SECRET)
    assert code == 0, shown
    assert "Password for postgresql://vpo_secret@" in shown
    assert SECRET not in shown  # typed without echo
    assert copied_jobs(server_url) == 1
