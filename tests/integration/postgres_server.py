"""A throwaway PostgreSQL server from the distribution's binaries, for integration tests.

`initdb` and `pg_ctl` are looked up on PATH, then under /usr/lib/postgresql/*/bin (Debian's
`postgresql` package does not put them on PATH). The cluster lives in a fresh temporary folder:
trust authentication, TCP on 127.0.0.1 at a free port, unix socket in the same folder, C locale
(so string order matches DuckDB's byte order). PostgreSQL refuses to run as root; when this
process is root the server runs as the `postgres` user (or `nobody`) and owns the folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "churn"


def find_binary(name: str) -> str | None:
    """`name` on PATH, else the newest /usr/lib/postgresql/<version>/bin/<name>."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple:
        part = Path(path).parts[-3]
        return tuple(int(x) for x in part.split(".") if x.isdigit())

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unprivileged_user() -> pwd.struct_passwd | None:
    """None when not root; else the account the server runs as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` user exists")


@dataclass
class PostgresServer:
    """One running cluster; `stop()` shuts it down and removes its folder."""

    root: Path
    port: int
    bin_dir: Path
    user: pwd.struct_passwd | None
    host: str = "127.0.0.1"
    superuser: str = SUPERUSER

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str, driver: str = "postgresql") -> str:
        """SQLAlchemy-style URL (trust auth: any password is accepted, none is needed)."""
        return f"{driver}://{self.superuser}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        con = psycopg2.connect(host=self.host, port=self.port, user=self.superuser,
                               dbname=database)
        con.autocommit = True
        return con

    def create_database(self, name: str) -> None:
        con = self.connect()
        try:
            with con.cursor() as cur:
                cur.execute(f'create database "{name}"')
        finally:
            con.close()

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs = {}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
            env["HOME"] = str(self.root)
            env["USER"] = env["LOGNAME"] = self.user.pw_name
        proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                              cwd=self.root, env=env, **kwargs)
        if proc.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n"
                               f"{proc.stderr}\n{log[-3000:]}")
        return proc

    def start(self) -> "PostgresServer":
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", self.superuser,
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        options = (f"-c listen_addresses={self.host} -c port={self.port} "
                   f"-c unix_socket_directories='{self.root}' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
                   "-c shared_buffers=64MB")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l",
                  str(self.log_file), "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m",
                          "immediate", "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PostgresServer:
    """initdb + pg_ctl start in a new temporary folder; raises when the binaries are missing."""
    initdb = find_binary("initdb")
    pg_ctl = find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or "
                           "under /usr/lib/postgresql/*/bin: install Debian's `postgresql` "
                           "package (.ci/run does)")
    bin_dir = Path(os.path.realpath(pg_ctl)).parent
    if not (bin_dir / "initdb").exists():
        bin_dir = Path(os.path.realpath(initdb)).parent
    user = _unprivileged_user()
    # A folder of its own under the system temp dir: pytest's tmp dirs are private to the
    # current user, which the server's user could not enter when we are root.
    root = Path(tempfile.mkdtemp(prefix="churn-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PostgresServer(root=root, port=_free_port(), bin_dir=bin_dir, user=user)
    try:
        last_error = None
        for _ in range(3):  # the free port may be taken between the probe and the start
            try:
                return server.start()
            except RuntimeError as exc:
                last_error = exc
                if "could not bind" not in str(exc) and "already in use" not in str(exc):
                    raise
                shutil.rmtree(server.data_dir, ignore_errors=True)
                server.port = _free_port()
                time.sleep(0.5)
        raise last_error
    except BaseException:
        server.stop()
        raise
