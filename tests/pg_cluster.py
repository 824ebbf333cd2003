"""A private, throwaway PostgreSQL cluster for tests that stop, kill or restart the server itself.

The suite's own server (scripts/with_postgres.sh) is shared by every test: a test that takes the
database away needs one of its own. As scripts/with_postgres.sh does: initdb with trust auth, UTF8,
listening only on 127.0.0.1 on a free port, no fsync; as root, the server tools run as the
`postgres` system user in a temporary folder it owns (PostgreSQL refuses to run as root). The port
stays the same across restarts, so an app's database URL stays valid.
"""
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

# fsync off: what a commit wrote still reaches the kernel, so it survives the server's death (stop -m
# immediate, SIGKILL), only not the machine's. synchronous_commit stays on, unlike the suite's server:
# off, a commit is answered before its WAL is written, and an immediate stop loses it.
FAST_SETTINGS = "-c fsync=off"


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (PG_BINDIR, pg_config's, or the newest Debian one), or None."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    else:
        if shutil.which("pg_config"):
            found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
            if found.returncode == 0:
                candidates.append(Path(found.stdout.strip()))
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                          key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
        candidates.extend(reversed(versions))
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def needs_private_cluster() -> Path:
    """The server binaries; skips the test when they are missing, or outside the PostgreSQL pass
    (make test-postgres, scripts/with_postgres.sh) so that `make test` runs these slow tests once."""
    if not os.environ.get("SPRO_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (scripts/with_postgres.sh sets SPRO_TEST_DATABASE_URL)")
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BINDIR")
    if os.geteuid() == 0 and subprocess.run(["id", "-u", "postgres"], capture_output=True).returncode != 0:
        pytest.skip("running as root without a `postgres` user (scripts/with_postgres.sh creates it)")
    return binaries


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """initdb'd in a temporary folder; start(), stop(mode), restart(mode), url(db), createdb(db), cleanup()."""

    def __init__(self, binaries: Path):
        self.bin = binaries
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="spro-pgc-", dir="/tmp"))
        if self.as_root:
            shutil.chown(self.folder, "postgres")  # PostgreSQL refuses to run as root
        self.folder.chmod(0o700)
        self.data, self.log = self.folder / "data", self.folder / "log"
        self.port = None
        self.running = False
        initdb = ("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        if self._run(*initdb, "--locale=C.UTF-8", check=False).returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)  # no C.UTF-8 locale on this system
            self._run(*initdb, "--no-locale")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}\n{self.log_tail()}")
        return done

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self) -> None:
        """Start the server (on the same port as before once it has one; a free port the first time)."""
        attempts = 1 if self.port else 5
        for _ in range(attempts):
            port = self.port or _free_port()
            done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                             "-o", f"-h 127.0.0.1 -p {port} -k {self.folder} {FAST_SETTINGS}", "start",
                             check=False)
            if done.returncode == 0:
                self.port, self.running = port, True
                return
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        raise RuntimeError(f"PostgreSQL did not start:\n{self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop: `fast` ends sessions cleanly, `immediate` drops them as a crash would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of `database` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def createdb(self, database: str) -> str:
        """Create `database`; its SQLAlchemy URL."""
        import psycopg
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def cleanup(self) -> None:
        """Stop the server if it runs (fast, else immediate) and remove its folder."""
        if self.running:
            if self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop",
                         check=False).returncode != 0:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def private_cluster():
    """A started private cluster, stopped and removed on the way out (skips the test when there is none)."""
    cluster = PgCluster(needs_private_cluster())
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()
