"""A throwaway PostgreSQL cluster for tests and the state benchmark: a temporary folder, a free
127.0.0.1 port, stopped and removed afterwards.

PostgreSQL refuses to run as root, and CI runs as root: then initdb, pg_ctl and the server run as
an unprivileged system user (`postgres` when the Debian package made one, else `nobody`), with
subprocess's user/group switch, in a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "factbot"
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin. "
    "The state-store tests need a real server: install it (Debian: apt-get install -y postgresql; "
    ".ci/run does this when they are missing)."
)


class ServerMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl: PATH first, else Debian's newest version folder."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    if versions and Path(versions[-1]).with_name("initdb").exists():
        return Path(versions[-1]).parent
    raise ServerMissing(MISSING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    """One cluster: `start()` it, `url(database)` to reach it, `restart()`, `stop()`, `remove()`."""

    def __init__(self, durable: bool = False) -> None:
        self.bindir = find_bindir()
        # As root, the server's user must reach the folder: /tmp is open to all, a TMPDIR may not be.
        self.folder = Path(tempfile.mkdtemp(prefix="factbot-pg-", dir="/tmp" if os.geteuid() == 0 else None))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.durable = durable  # fsync on (benchmarks) or off (tests: faster, nothing to keep)
        self._as = _unprivileged() if os.geteuid() == 0 else {}
        if self._as:
            os.chown(self.folder, self._as["user"], self._as["group"])
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale",
                  "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run([str(self.bindir / tool), *args], capture_output=True, text=True, cwd=self.folder,
                                timeout=120, **self._as)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}\n{log}")

    def start(self) -> None:
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.folder}",
                   "-c max_connections=200", "-c shared_buffers=64MB"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log),
                  "-o", " ".join(options))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends every session at once (commands in flight fail)."""
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-D", str(self.data), "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        result = subprocess.run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                                 "-U", SUPERUSER, name], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"createdb {name} failed: {result.stderr.strip()}")
        return self.url(name)

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _unprivileged() -> dict:
    """subprocess options that run a command as the unprivileged user PostgreSQL will accept."""
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")
