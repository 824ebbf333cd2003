"""Fixtures: one app and database per test session (SQLite file, or PostgreSQL when
SPRO_TEST_DATABASE_URL is set), demo directory seeded once, journeys wiped after each test."""
import os
import re

import pytest
from sqlalchemy import delete, select

from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.models import (ApiToken, AuditEvent, ContactRequest, DefinitionDraft, DefinitionVersion, Followup,
                           FollowupAnswer, FollowupOptOutLink, FundingPlan, FundingRequest, HumanTask, Journey,
                           JourneyMigration, OutboxMessage, Person, PersonAccess, PersonSearchTerm, Referral,
                           ResourceGiven, SignInThrottle, SupportEvent, SupportRegistration, User, WorkerHeartbeat)
from webapp.models.identity import RegionalIdentity
from webapp.queries.identity import forget as forget_identity

# Deleted after each test, in this order (foreign keys). The regional identity goes back to its defaults.
TRANSACTIONAL = (Followup, FollowupAnswer, FollowupOptOutLink, ContactRequest, ResourceGiven, SupportRegistration,
                 SupportEvent, JourneyMigration, SignInThrottle, OutboxMessage, AuditEvent, HumanTask, Referral,
                 FundingRequest, FundingPlan, Journey, ApiToken, PersonSearchTerm, PersonAccess, Person,
                 WorkerHeartbeat)
DEMO_PASSWORD = "demo-spro-2026"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("SPRO_TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        from webapp.demo import seed_demo
        seed_demo()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(app):
    yield
    with app.app_context():
        db.session.rollback()
        for model in TRANSACTIONAL:
            db.session.execute(delete(model))
        identity_set = db.session.execute(delete(RegionalIdentity)).rowcount  # a test set the regional identity
        db.session.commit()
        if identity_set:
            forget_identity()  # this process shows the defaults again
        db.session.remove()


class MovableClock:
    """A stand-in for `webapp.clock.now` that tests move by setting `current`."""

    def __init__(self, start):
        self.current = start

    def __call__(self):
        return self.current


@pytest.fixture
def restore_versions(app):
    """For tests that publish: on the way out, journeys, drafts and the versions published here go, and the
    shipped ones are current again."""
    with app.app_context():
        before = {v.id: v.is_current for v in db.session.scalars(select(DefinitionVersion))}
    yield
    with app.app_context():
        db.session.rollback()
        for model in TRANSACTIONAL:  # the journeys hold the versions added here
            db.session.execute(delete(model))
        db.session.execute(delete(DefinitionDraft))
        db.session.execute(delete(DefinitionVersion).where(DefinitionVersion.id.not_in(list(before))))
        for version in db.session.scalars(select(DefinitionVersion)):
            version.is_current = before[version.id]
        db.session.commit()


@pytest.fixture
def ctx(app):
    """An application context for tests that call operations and queries directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def server(app):
    """The app served on a free local port in a thread, for the browser tests: its base URL."""
    import threading
    from werkzeug.serving import make_server
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


@pytest.fixture
def client(app):
    return app.test_client()


def get_user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, username: str, password: str = DEMO_PASSWORD):
    """Log a client in through the real login form (CSRF included)."""
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_from(page.get_data(as_text=True))})


def api_token(client, username: str, password: str = DEMO_PASSWORD) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def statements_of(app, action):
    """(what `action()` returns, the SQL statements it ran), counted on the app's engine."""
    from sqlalchemy import event
    seen = []

    def listener(_conn, _cursor, statement, *_rest):
        seen.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, seen
