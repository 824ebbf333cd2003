"""The load bench's preparation: the database as users get it, counsellors with API tokens, and the
real server (`spro serve`, gunicorn) plus one `spro worker`, started and stopped as subprocesses."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPRO = str(Path(sys.executable).with_name("spro"))
PREFIX = "banc.conseil"
# The paths the mix uses, checked in the served OpenAPI document before the run.
API_PATHS = ("/tasks", "/tasks/{task_id}", "/tasks/{task_id}/complete", "/journeys", "/people/{person_id}")


def run_cli(*args: str, env: dict) -> str:
    """A `spro` command as an operator types it; its output, or SystemExit with its error."""
    done = subprocess.run([SPRO, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"spro {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare(count: int, structures: list[str], journeys_each: int) -> dict:
    """Create `count` counsellors (role conseiller, spread over `structures`), one API token each, and
    `journeys_each` receptions each waiting in their « Mes tâches ». Returns tokens, a valid thématique
    and the PostgreSQL data directory (for its CPU figures)."""
    from sqlalchemy import select, text
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Structure, User
    from webapp.operations.journeys import start_journey
    from webapp.operations.users import hash_password, issue_token
    from webapp.vocabularies import thematiques
    app = create_app()
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.username.like(f"{PREFIX}%")).limit(1)):
            raise SystemExit("This database already holds the bench's counsellors: use a throwaway database "
                             "(bash scripts/with_postgres.sh …).")
        found = {s.slug: s for s in db.session.scalars(select(Structure).where(Structure.slug.in_(structures)))}
        missing = [slug for slug in structures if slug not in found]
        if missing:
            raise SystemExit(f"Unknown structures: {', '.join(missing)} (see `spro seed-demo --json`).")
        password = hash_password("banc-d-essai-2026")  # one hash for all: argon2 is slow on purpose
        users = []
        for i in range(count):
            structure = found[structures[i % len(structures)]]
            user = User(username=f"{PREFIX}{i:03d}", full_name=f"Conseiller·ère de banc {i}", password_hash=password,
                        structure_id=structure.id, roles=["conseiller"], active=True)
            db.session.add(user)
            users.append(user)
        db.session.flush()
        tokens = [issue_token(user, hours=12)[0] for user in users]
        db.session.commit()
        started = time.perf_counter()
        for user in users:
            for _ in range(journeys_each):
                start_journey(user, "accueil")
            db.session.commit()
        seeded = time.perf_counter() - started
        try:
            data_directory = db.session.scalar(text("SHOW data_directory"))
        except Exception:  # not a superuser: no PostgreSQL CPU figure
            db.session.rollback()
            data_directory = None
        theme = thematiques()[0][0]
        version = db.session.scalar(text("SHOW server_version"))
    return {"tokens": tokens, "theme": theme, "data_directory": data_directory, "seed_seconds": seeded,
            "postgres": version}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """`spro serve` and `spro worker` as subprocesses, their output in one log file."""

    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path = env, log_path
        self.port = free_port()
        self.log = open(log_path, "w")
        self.web = subprocess.Popen([SPRO, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=env,
                                    cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.worker = subprocess.Popen([SPRO, "worker"], env=env, cwd=ROOT, stdout=self.log,
                                       stderr=subprocess.STDOUT)

    def wait_ready(self, deadline_seconds: float = 90) -> dict:
        """Poll the OpenAPI document until the server answers (deadline), then check the mix's paths."""
        import json
        deadline = time.monotonic() + deadline_seconds
        url = f"http://127.0.0.1:{self.port}/api/v1/openapi.json"
        while True:
            if self.web.poll() is not None:
                raise SystemExit(f"spro serve stopped (exit {self.web.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    document = json.load(answer)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"spro serve did not answer within {deadline_seconds:.0f} s; see {self.log_path}")
                time.sleep(0.2)
        paths = set(document.get("paths", {}))
        absent = [p for p in API_PATHS if p not in paths and f"/api/v1{p}" not in paths]
        if absent:
            raise SystemExit(f"The served API lacks {', '.join(absent)}: the mix must be updated.")
        return document

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process.poll() is None:
                process.terminate()
        for process in (self.web, self.worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


def server_env() -> dict:
    env = dict(os.environ)
    env.setdefault("SPRO_SECRET_KEY", os.urandom(24).hex())
    return env
