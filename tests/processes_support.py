"""Running SPRO as separate processes in tests: a database of their own on the suite's PostgreSQL,
`spro serve` and `spro worker` subprocesses, a JSON client for the API, and an SMTP sink that
counts what the workers deliver. Used by test_multiprocess.py and test_worker_kill.py."""
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

SPRO = str(Path(sys.executable).parent / "spro")
DEMO_PASSWORD = "demo-spro-2026"
OUTBOX_ID = re.compile(rb"spro-outbox-(\d+)")


def needs_postgres() -> str:
    """The suite's PostgreSQL URL; the test is skipped on SQLite (processes need a shared server)."""
    url = os.environ.get("SPRO_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("several processes on one database: PostgreSQL only (SPRO_TEST_DATABASE_URL unset)")
    return url


def wait_until(condition, deadline_seconds: float, what: str, every: float = 0.1):
    """Poll `condition()` until it returns something true; fail naming `what` after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {deadline_seconds:.0f} s: {what}")
        time.sleep(every)  # polling for a condition, not ordering steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers of its master), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


# -- a database of their own ---------------------------------------------------------------

def libpq(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq and its tools read it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def scratch_database(suite_url: str, prefix: str = "spro_mp"):
    """A new database `<prefix>_<random>` on the suite's server (its SQLAlchemy URL), dropped after."""
    import psycopg
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(libpq(suite_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield suite_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(libpq(suite_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def process_env(database_url: str, **settings) -> dict:
    """The environment of a spro subprocess: its own database, no suite settings leaking in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPRO_TEST_DATABASE_URL", "SPRO_CLOCK_OFFSET_DAYS") and not k.startswith("PG")}
    env.update({"SPRO_DATABASE_URL": database_url, "SPRO_SECRET_KEY": "multi-process-test",
                "SPRO_SECURE_COOKIES": "false", "SPRO_WORKER_INTERVAL_SECONDS": "1",
                "SPRO_PUBLIC_URL": "https://spro.example.org"})
    env.update({k: str(v) for k, v in settings.items()})
    return env


def clock_offset(env: dict, days: float) -> dict:
    """The same environment, for a process running as if `days` days had passed."""
    return {**env, "SPRO_CLOCK_OFFSET_DAYS": str(days)}


def upgrade_database(database_url: str) -> None:
    """`spro db upgrade` on it: schema, reference data, the shipped journeys published."""
    subprocess.run([SPRO, "db", "upgrade"], env=process_env(database_url), check=True, capture_output=True,
                   timeout=180)


def prepare_database(database_url: str) -> list[dict]:
    """`spro db upgrade` then `spro seed-demo --json` on it (demo people included); the demo logins."""
    env = process_env(database_url)
    upgrade_database(database_url)
    seeded = subprocess.run([SPRO, "seed-demo", "--json"], env=env, check=True, capture_output=True,
                            text=True, timeout=180)
    return json.loads(seeded.stdout)


def check_database(database_url: str, offset_days: float = 0) -> subprocess.CompletedProcess:
    """`spro check` on it (exit 0: every journey's engine state agrees with its rows), its clock
    `offset_days` ahead, as the workers' whose retention pass purged the audit up to their date."""
    env = clock_offset(process_env(database_url), offset_days) if offset_days else process_env(database_url)
    return subprocess.run([SPRO, "check"], env=env, capture_output=True, text=True, timeout=180)


# -- subprocesses ------------------------------------------------------------------------------

class SproProcess:
    """One `spro …` subprocess, its output in a log file (a pipe nobody reads would block it)."""

    def __init__(self, args: list[str], env: dict, log_path: Path):
        self.args, self.log_path = args, log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen([SPRO, *args], env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no clean-up of any kind."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM to the process group (gunicorn's workers too), SIGKILL if it lingers."""
        if self.alive():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=30)
        self._log.close()

    @property
    def heartbeat_name(self) -> str:
        """The worker_heartbeat row of a `spro worker` (« host:pid »)."""
        return f"{socket.gethostname()}:{self.popen.pid}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_server(env: dict, log_path: Path) -> tuple[SproProcess, str]:
    """`spro serve` on a free port; (the process, its base URL) once /login answers."""
    port = free_port()
    server = SproProcess(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log_path)
    base = f"http://127.0.0.1:{port}"

    def answers():
        if not server.alive():
            raise AssertionError(f"spro serve exited:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False
    wait_until(answers, 60, f"spro serve answering on {base}", every=0.2)
    return server, base


def start_worker(env: dict, log_path: Path) -> SproProcess:
    return SproProcess(["worker"], env, log_path)


# -- the API over HTTP ---------------------------------------------------------------------

class Api:
    """JSON requests to one app process; returns (status, body)."""

    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw or b"{}")
            except ValueError:
                return error.code, {"raw": raw.decode(errors="replace")}

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        status, body = self.call("POST", "/auth/token", {"username": username, "password": password})
        assert status == 200, (username, status, body)
        return body["token"]


# -- an SMTP sink --------------------------------------------------------------------------

class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        recipients = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb in (b"HELO", b"NOOP"):
                self.reply("250 OK")
            elif verb == b"MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == b"RCPT":
                recipients.append(line[8:].strip().decode(errors="replace"))
                self.reply("250 OK")
            elif verb == b"RSET":
                recipients = []
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                content = []
                for data_line in iter(self.rfile.readline, b""):
                    if data_line in (b".\r\n", b".\n"):
                        break
                    content.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                self.server.sink.received(b"".join(content), recipients)
                self.reply("250 OK queued")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    """An SMTP server on a free local port; `deliveries()` counts the messages by outbox id
    (read from the Message-ID the sender builds from it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_outbox_id: dict[int, int] = {}
        self.unknown = 0
        self.server = _Server(("127.0.0.1", 0), _SmtpHandler)
        self.server.sink = self
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def received(self, content: bytes, _recipients):
        found = OUTBOX_ID.search(content)
        with self._lock:
            if found is None:
                self.unknown += 1
            else:
                key = int(found.group(1))
                self._by_outbox_id[key] = self._by_outbox_id.get(key, 0) + 1

    def deliveries(self) -> dict[int, int]:
        with self._lock:
            return dict(self._by_outbox_id)

    def env(self) -> dict:
        return {"SPRO_MAIL_BACKEND": "smtp", "SPRO_SMTP_HOST": "127.0.0.1", "SPRO_SMTP_PORT": self.port,
                "SPRO_SMTP_USE_TLS": "false"}
