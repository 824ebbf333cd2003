"""The database going away: a clear French 503 (a page for the screens, JSON under /api/) with
Retry-After, never a 500 or a stack trace, and the same app answering again by itself once the
database is back, having lost nothing it had confirmed."""
import http.cookiejar
import json
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from conftest import csrf_from
from pg_cluster import private_cluster
from processes_support import Api, check_database, prepare_database, process_env, start_server, wait_until
from test_fault_kill import FIRST_STEP, analysis, call, children, thematique_of
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.operations import audit
from webapp.views.errors import UNAVAILABLE, database_unreachable

TITLE = "Service momentanément indisponible"


@pytest.fixture
def pg_cluster():
    with private_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def app_without_database():
    """An app whose PostgreSQL address is a closed port: every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://spro@127.0.0.1:{port}/spro")


def assert_unavailable_page(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:500]
    assert response.headers["Retry-After"] == "60" and response.mimetype == "text/html"
    assert TITLE in html and "base de données injoignable" in html and "Réessayez dans une minute" in html
    assert "Traceback" not in html and "psycopg" not in html and "OperationalError" not in html


def assert_unavailable_json(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60" and response.is_json
    assert response.get_json() == {"message": UNAVAILABLE}
    assert response.headers["Cache-Control"] == "no-store"


def test_screens_answer_a_french_503_page_while_the_database_is_away(app_without_database):
    """Can someone still open the login page, and does signing in say in French that the service is
    away for a minute (not a 500)?"""
    client = app_without_database.test_client()
    page = client.get("/login")
    assert page.status_code == 200 and "Se connecter" in page.get_data(as_text=True)
    signing_in = client.post("/login", data={"username": "claire.martin", "password": "demo-spro-2026",
                                             "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert_unavailable_page(signing_in)


def test_a_signed_in_session_gets_the_503_page_not_a_500(app_without_database):
    """When the session's user cannot be loaded (the database is away), do the screens answer the 503
    page, without the menu that would read the database again?"""
    from flask_login import login_manager
    browser = {"User-Agent": "Navigateur de test"}
    with app_without_database.test_request_context(headers=browser, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = login_manager._create_identifier()  # the session's client, as Flask-Login checks it
    client = app_without_database.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": "1", "_fresh": True, "_id": identifier})
    for path in ("/", "/taches?scope=queue", "/login"):
        response = client.get(path, headers=browser)
        assert_unavailable_page(response)
        assert "Déconnexion" not in response.get_data(as_text=True)


def test_the_api_answers_a_french_503_in_json_while_the_database_is_away(app_without_database):
    """Do the token endpoint and an authenticated call answer 503 JSON with the French message?"""
    client = app_without_database.test_client()
    assert_unavailable_json(client.post("/api/v1/auth/token",
                                        json={"username": "claire.martin", "password": "demo-spro-2026"}))
    assert_unavailable_json(client.get("/api/v1/tasks", headers={"Authorization": "Bearer " + "x" * 40}))
    assert_unavailable_json(client.post("/api/v1/tasks/1/complete", json={"data": {}},
                                        headers={"Authorization": "Bearer " + "x" * 40}))


def _wrapped(driver_error: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, driver_error)


def test_only_a_lost_connection_counts_as_the_database_being_away():
    """Are a refused connection and a server shutting down told apart from a statement the server
    refused (serialization failure, lock timeout, SQLite's lock): only the former are a 503?"""
    assert database_unreachable(_wrapped(psycopg.OperationalError("connection refused")))
    assert database_unreachable(_wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert database_unreachable(_wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")))
    assert not database_unreachable(_wrapped(psycopg.errors.SerializationFailure("could not serialize")))
    assert not database_unreachable(_wrapped(psycopg.errors.LockNotAvailable("lock timeout")))
    import sqlite3
    assert not database_unreachable(_wrapped(sqlite3.OperationalError("database is locked")))
    assert database_unreachable(_wrapped(sqlite3.OperationalError("unable to open database file")))



def test_a_connection_lost_after_the_answer_is_built_does_not_turn_it_into_a_500():
    """When the database connection dies between the request's last read and the end of the request
    (PostgreSQL stopping), is the answer still given (not an error from the web server), unless its
    audit entry could not be written (then the 503), and does the next request get a fresh connection?"""
    suite = os.environ.get("SPRO_TEST_DATABASE_URL", "")
    if not suite.startswith("postgresql"):
        pytest.skip("a server-side end of connection: PostgreSQL only")
    # As in production: an exception no handler took becomes the 500 answer (TESTING would raise it here).
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=suite, PROPAGATE_EXCEPTIONS=False)

    @app.get("/essai/connexion-coupee")
    def read_then_lose_the_connection():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()  # a transaction stays open
        with psycopg.connect(suite.replace("+psycopg", "", 1), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return {"pid": pid}

    @app.get("/essai/lecture-tracee")
    def read_whose_audit_entry_cannot_be_written():
        audit.defer(None, "task.list_read", "Lecture (essai)")
        return read_then_lose_the_connection()

    client = app.test_client()
    first = client.get("/essai/connexion-coupee")
    assert first.status_code == 200
    second = client.get("/essai/connexion-coupee")
    assert second.status_code == 200 and second.get_json()["pid"] != first.get_json()["pid"]
    traced = client.get("/essai/lecture-tracee")  # the read is not given without its audit entry
    assert traced.status_code == 503 and TITLE in traced.get_data(as_text=True)
    assert client.get("/essai/connexion-coupee").status_code == 200
    with app.app_context():
        db.engine.dispose()


# -- PostgreSQL stopped and started again under load (a private cluster) -------------------------

CONNECT_TIMEOUT = 2  # seconds (SPRO_DATABASE_CONNECT_TIMEOUT_SECONDS); libpq's minimum
READY_AFTER_START = 10  # seconds for the same app to answer 200 again once PostgreSQL accepts connections


class Load:
    """Client threads completing tasks and reading queues through the API, each request recorded as
    (sent, answered, what, status); a 503 whose body is not the French message is kept as a wrong one."""

    def __init__(self, api, tokens, thematique):
        self.api, self.tokens, self.thematique = api, tokens, thematique
        self.stop = threading.Event()
        self.changed = threading.Condition()
        self.records, self.wrong_503 = [], []
        self.completed, self.started = set(), set()

    def call(self, method, path, body, token):
        sent = time.monotonic()
        status, answer = call(self.api, method, path, body, token)
        with self.changed:
            self.records.append((sent, time.monotonic(), path.split("/")[1].split("?")[0], status))
            if status == 503 and answer != {"message": UNAVAILABLE}:
                self.wrong_503.append(answer)
            if status == 200 and path.endswith("/complete"):
                self.completed.add(int(path.split("/")[2]))
            self.changed.notify_all()
        return status, answer

    def completing(self, token, rng):
        while not self.stop.is_set():
            status, started = self.call("POST", "/journeys", {"process_key": "accueil"}, token)
            if status != 201:
                continue
            self.started.add(started["journey"]["id"])
            status, done = self.call("POST", f"/tasks/{started['tasks'][0]['id']}/complete",
                                     {"data": FIRST_STEP}, token)
            if status == 200:
                self.call("POST", f"/tasks/{done['next_tasks'][0]['id']}/complete",
                          {"data": analysis(self.thematique, rng)}, token)

    def reading(self, token):
        while not self.stop.is_set():
            self.call("GET", "/tasks?scope=queue", None, token)

    def __enter__(self):
        self.threads = [threading.Thread(target=self.completing, args=(t, random.Random(n)))
                        for n, t in enumerate(self.tokens[:-1])]
        self.threads.append(threading.Thread(target=self.reading, args=(self.tokens[-1],)))
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def wait_for_answers(self, count, since, status_ok, what):
        """Until `count` requests sent after `since` got an answer `status_ok` accepts."""
        def enough():
            return sum(1 for sent, _, _, status in self.records if sent >= since and status_ok(status)) >= count
        with self.changed:
            assert self.changed.wait_for(enough, timeout=60), f"not within 60 s: {what}"

    def sent_between(self, start, end):
        with self.changed:
            return [r for r in self.records if start <= r[0] and (end is None or r[0] < end)]


def failures_in(log_path) -> str:
    """The server log's lines about failed requests other than the expected 503."""
    lines = log_path.read_text(errors="replace").splitlines()
    return "\n".join(line[:2000] for line in lines if ('"ERROR"' in line or "Traceback" in line or " 500" in line)
                     and "injoignable" not in line and " 503" not in line)[-6000:]


def raw_get(url, opener=None):
    """(status, headers, body text) of a GET, without following redirects into another page."""
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def signed_in_browser(base):
    """A cookie-keeping client signed in through the login form, as a browser would be."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, _, page = raw_get(f"{base}/login", opener)
    form = urllib.parse.urlencode({"username": "claire.martin", "password": "demo-spro-2026",
                                   "csrf_token": csrf_from(page)}).encode()
    with opener.open(f"{base}/login", data=form, timeout=30) as response:
        assert response.status == 200 and "Se connecter" not in response.read().decode()
    return opener


def assert_outage_answers(base, token, browser):
    """The screens (signed in or not) and the API answer the French 503 within the connect timeout."""
    for url, opener in ((f"{base}/taches?scope=queue", browser), (f"{base}/", browser),
                        (f"{base}/api/v1/tasks?scope=mine", None)):
        began = time.monotonic()
        if opener is None:
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            status, headers, body = raw_get(request)
        else:
            status, headers, body = raw_get(url, opener)
        assert time.monotonic() - began < CONNECT_TIMEOUT + 2, f"{url} hung while the database was away"
        assert status == 503 and headers["Retry-After"] == "60", (url, status, body[:300])
        if opener is None:
            assert json.loads(body) == {"message": UNAVAILABLE}
        else:
            assert TITLE in body and "base de données injoignable" in body and "Traceback" not in body


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_the_app_recovers_by_itself_when_postgresql_comes_back(pg_cluster, tmp_path, mode):
    """PostgreSQL stopped (pg_ctl stop -m fast, then immediate) under load: do requests get the French
    503 quickly, does the same app process answer 200 again within seconds of the restart (and after a
    restart while it was idle), and is every step answered 2xx still there, with `spro check` finding no
    inconsistent journey?"""
    url = pg_cluster.createdb("spro_fault")
    prepare_database(url)
    # the production default on 2 CPUs: 4 `sync` processes, one request at a time each
    server, base = start_server(process_env(url, SPRO_WEB_WORKERS=4, SPRO_WEB_THREADS=1,
                                            SPRO_DATABASE_CONNECT_TIMEOUT_SECONDS=CONNECT_TIMEOUT),
                                tmp_path / "serve.log")
    try:
        wait_until(lambda: len(children(server.pid)) == 4, 30, "gunicorn's four workers started")
        processes = {server.pid, *children(server.pid)}
        api = Api(base)
        tokens = [api.token(name) for name in ("claire.martin", "karim.benali", "sophie.lefebvre")]
        browser = signed_in_browser(base)
        with Load(api, tokens, thematique_of(api, tokens[0])) as load:
            load.wait_for_answers(20, 0, lambda s: s in (200, 201), "20 answers before the outage")
            pg_cluster.stop(mode)
            stopped = time.monotonic()
            load.wait_for_answers(10, stopped, lambda s: s == 503, "10 answers 503 during the outage")
            assert_outage_answers(base, tokens[0], browser)
            starting = time.monotonic()
            pg_cluster.start()
            started = time.monotonic()
            load.wait_for_answers(20, started, lambda s: s in (200, 201), "20 answers after the restart")
            back = min(r[1] for r in load.sent_between(started, None) if r[3] in (200, 201)) - started
        # A restart while the app is idle: no request saw the server go, every pooled connection is dead.
        pg_cluster.restart(mode)
        idle_restart = Counter(call(api, "GET", "/tasks?scope=queue", None, tokens[2])[0] for _ in range(16))
        assert idle_restart == {200: 16}, "pooled connections are tested before use, none fails"
        assert {server.pid, *children(server.pid)} == processes, \
            "the app must not have been restarted:\n" + "\n".join(
                line for line in server.log_tail(400).splitlines() if "orker" in line)
        assert raw_get(f"{base}/taches?scope=queue", browser)[0] == 200, "the signed-in session goes on"
    finally:
        server.stop()
    during, after = load.sent_between(stopped, starting), load.sent_between(started, None)
    print(f"\n{mode}: {len(during)} requests during the outage, slowest {max(r[1] - r[0] for r in during):.2f} s; "
          f"first 2xx {back:.2f} s after PostgreSQL accepted connections again")
    assert back < READY_AFTER_START
    assert {r[3] for r in during} == {503}, "every request sent while the database was away gets the 503"
    assert max(r[1] - r[0] for r in during) < CONNECT_TIMEOUT + 2
    assert {r[3] for r in after} <= {200, 201}, "nothing fails once PostgreSQL is back (no poisoned pool)"
    assert {r[3] for r in load.records} <= {200, 201, 503} and not load.wrong_503, \
        f"no 500, no broken connection:\n{failures_in(tmp_path / 'serve.log')}"
    engine = create_engine(url)
    with engine.connect() as db:
        done = dict(db.execute(text("SELECT id, status FROM human_task")).all())
        journeys = set(db.scalars(text("SELECT id FROM journey")))
    engine.dispose()
    assert {t: done.get(t) for t in load.completed if done.get(t) != "terminee"} == {}
    assert load.started <= journeys
    checked = check_database(url)
    assert checked.returncode == 0 and " 0 incohérent" in checked.stdout, checked.stdout + checked.stderr
