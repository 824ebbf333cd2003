"""`GET /health`: what a load balancer and a monitoring probe rely on — 200 only when the database
answers and a worker beat recently, 503 with a French message naming the failing part otherwise,
`?portee=web` for the database alone; no sign-in, no cookie, at most 2 statements."""
import socket
import time
from datetime import datetime, timedelta

import pytest
from conftest import statements_of

from webapp import clock, create_app
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.operations.workers import beat

NOW = datetime(2026, 12, 1, 10, 0)
LIMIT = 3 * TestConfig.WORKER_INTERVAL_SECONDS + 30  # documented silence allowed to a worker


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def _beat(app, monkeypatch, seconds_ago, name="worker-a:1"):
    """A worker pass that ended `seconds_ago` before NOW, through the worker's own operation."""
    with app.app_context():
        monkeypatch.setattr(clock, "now", lambda: NOW - timedelta(seconds=seconds_ago))
        beat(name, NOW - timedelta(hours=1))
    monkeypatch.setattr(clock, "now", lambda: NOW)


def _no_cookie(response):
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_ok_when_the_database_answers_and_a_worker_beat_recently(app, client, frozen, monkeypatch):
    _beat(app, monkeypatch, 12)
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["worker"]["status"] == "ok" and body["worker"]["last_beat_seconds"] == 12
    assert body["worker"]["max_silence_seconds"] == LIMIT and body["worker"]["recent_workers"] == 1
    _no_cookie(response)


def test_the_latest_of_several_workers_counts(app, client, frozen, monkeypatch):
    _beat(app, monkeypatch, LIMIT + 600, name="dead:1")
    _beat(app, monkeypatch, 5, name="alive:2")
    body = client.get("/health").get_json()
    assert body["worker"]["last_beat_seconds"] == 5 and body["worker"]["recent_workers"] == 1


def test_503_when_no_worker_ever_beat(client, frozen):
    response = client.get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok" and body["worker"]["status"] == "missing"
    assert body["worker"]["last_beat_seconds"] is None
    assert "spro worker" in body["message"] and "démarrez" in body["message"]
    _no_cookie(response)


def test_503_when_the_last_beat_is_older_than_the_threshold(app, client, frozen, monkeypatch):
    _beat(app, monkeypatch, LIMIT)
    assert client.get("/health").status_code == 200  # just at the limit: still alive
    _beat(app, monkeypatch, LIMIT + 1)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["worker"]["status"] == "stale" and body["worker"]["last_beat_seconds"] == LIMIT + 1
    assert f"{LIMIT + 1} s" in body["message"] and "vérifiez" in body["message"]


def test_the_web_scope_checks_the_database_alone(client, frozen):
    response = client.get("/health?portee=web")  # no worker at all
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "scope": "web"}
    _no_cookie(response)


def test_an_unknown_scope_is_refused_in_french(client):
    response = client.get("/health?portee=tout")
    assert response.status_code == 400 and "Portée inconnue" in response.get_json()["message"]


def test_at_most_two_statements(app, client, frozen, monkeypatch):
    _beat(app, monkeypatch, 3)
    for path in ("/health", "/health?portee=web"):
        response, statements = statements_of(app, lambda: client.get(path))
        assert response.status_code == 200
        assert len(statements) <= 2, statements
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            assert "statement_timeout" in statements[0]  # a stuck database answers 503 within 2 s


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_503_not_500_when_the_database_is_unreachable():
    url = f"postgresql+psycopg://spro:secret@127.0.0.1:{_closed_port()}/spro"
    unreachable = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    client = unreachable.test_client()
    for path in ("/health", "/health?portee=web"):
        started = time.monotonic()
        response = client.get(path)
        assert response.status_code == 503, response.get_data(as_text=True)
        body = response.get_json()
        assert body["database"] == "error" and "base de données ne répond pas" in body["message"]
        assert time.monotonic() - started < 5
        _no_cookie(response)


def test_503_naming_the_migrations_when_the_heartbeat_table_is_missing(tmp_path):
    bare = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.sqlite'}")
    response = bare.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "error" and "spro db upgrade" in body["message"]
    assert bare.test_client().get("/health?portee=web").status_code == 200  # the database itself answers


def test_a_stuck_database_answers_503_within_the_statement_timeout(app, client, frozen, monkeypatch):
    """PostgreSQL: the heartbeat table locked by someone else makes the check wait; the probe gets
    its 503 after the 2 s statement timeout instead of hanging."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("statement timeouts are PostgreSQL's")
    _beat(app, monkeypatch, 1)
    from sqlalchemy import text
    from webapp.extensions import db
    with app.app_context():
        engine = db.engine
    with engine.connect() as holder:  # the request below runs outside any app context of the test's
        holder.execute(text("LOCK TABLE worker_heartbeat IN ACCESS EXCLUSIVE MODE"))  # held until rollback
        started = time.monotonic()
        response = client.get("/health")
        elapsed = time.monotonic() - started
        holder.rollback()
    assert response.status_code == 503 and response.get_json()["database"] == "error"
    assert 1.5 < elapsed < 10, elapsed



def test_a_worker_is_seen_as_it_starts_and_counts_its_passes(app, monkeypatch):
    """`spro worker --once`: a beat as it starts (before a first pass that may be long), then one
    after its pass, which is the only pass counted."""
    import webapp.operations.workers as workers
    from sqlalchemy import select
    from webapp.cli import main
    from webapp.models import WorkerHeartbeat
    passes, original = [], workers.beat

    def watched(name, started_at, passed=True):
        original(name, started_at, passed)
        passes.append(db.session.scalar(select(WorkerHeartbeat.passes).where(WorkerHeartbeat.name == name)))
    monkeypatch.setattr(workers, "beat", watched)
    outcome = app.test_cli_runner().invoke(main, ["worker", "--once"])
    assert outcome.exit_code == 0, outcome.output
    assert passes == [0, 1]
