"""A throwaway PostgreSQL server on loopback, for the test suite and the benchmarks.

PostgreSQL is the store for shared deployments; to test and measure it for real, the
suite and ``tracker bench --postgres-server`` start their own server in a temporary
folder (Debian's ``postgresql`` package provides the binaries), listening on 127.0.0.1
only, and remove it afterwards.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "free_port"]


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL server on loopback in a temporary folder.

    ``initdb`` a fresh cluster (trust authentication, loopback only, a Unix socket in the
    same folder), start it with ``pg_ctl`` (durability switched off: the data is thrown
    away) and remove everything on :meth:`stop`. Run as root, the server runs as the
    ``postgres`` user (``runuser``), since PostgreSQL refuses to run as root.
    """

    def __init__(self):
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("找不到 PostgreSQL 服务器程序（apt-get install postgresql）/ "
                               "PostgreSQL server binaries not found")
        self.pg_ctl = pg_ctl
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="redwood-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        try:
            self._run([initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
                       "-E", "UTF8", "--no-locale"])
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=100")
            self._run([pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                       "-w", "-t", "60", "start"])
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.base = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"
        self.url = f"{self.base}/postgres"
        self.version = self._version()
        self._counter = itertools.count()

    def _run(self, command):
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            log = self.dir / "log"
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr}"
                               + (log.read_text() if log.exists() else ""))

    def _version(self) -> str | None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text("SHOW server_version")).scalar()
        finally:
            engine.dispose()

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base}/{name}"

    def stop(self) -> None:
        try:
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
