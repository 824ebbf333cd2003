"""Sign-in throttling: growing delays per username, a generous limit per address, success resets."""
import html
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select

from conftest import DEMO_PASSWORD, get_user, login
from webapp import clock
from webapp.config import Config
from webapp.extensions import db, limiter
from webapp.models import AuditEvent, SignInThrottle, User
from webapp.operations.sign_in import purge_stale, user_lock_seconds

START = datetime(2026, 12, 1, 9, 0)
OFFICE = {"REMOTE_ADDR": "192.0.2.10"}


@pytest.fixture
def now(monkeypatch):
    moment = {"now": START}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


def attempt(app, username, password, address=OFFICE):
    client = app.test_client()
    client.environ_base.update(address)
    response = login(client, username, password)
    return response.status_code, html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("username", ["claire.martin", "personne.inconnue"])
def test_failures_lock_a_username_with_growing_delays_whether_or_not_it_exists(app, now, username):
    statuses = [attempt(app, username, "devine")[0] for _ in range(4)]
    assert statuses == [401, 401, 401, 401]
    status, page = attempt(app, username, "devine")  # the 5th failure locks for 15 s
    assert status == 429 and "Trop de tentatives : réessayez dans 15 secondes." in page
    status, page = attempt(app, username, DEMO_PASSWORD)  # even the right password waits
    assert status == 429 and "Identifiant ou mot de passe incorrect" not in page
    now["now"] += timedelta(seconds=16)
    assert attempt(app, username, "devine")[1].count("réessayez dans 30 secondes") == 1
    now["now"] += timedelta(seconds=31)
    assert "réessayez dans 1 minute." in attempt(app, username, "devine")[1]
    now["now"] += timedelta(seconds=61)
    assert "Trop de tentatives : réessayez dans 2 minutes." in attempt(app, username, "devine")[1]
    now["now"] += timedelta(seconds=119)
    assert attempt(app, username, DEMO_PASSWORD)[0] == 429  # one second too early
    now["now"] += timedelta(seconds=2)
    status, page = attempt(app, username, DEMO_PASSWORD)
    if username == "claire.martin":
        assert status == 302
    else:  # no such account: one more failure, locked twice as long
        assert status == 429 and "réessayez dans 4 minutes." in page


def test_the_delay_doubles_up_to_fifteen_minutes():
    assert [user_lock_seconds(n) for n in range(1, 12)] == [0, 0, 0, 0, 15, 30, 60, 120, 240, 480, 900]
    assert user_lock_seconds(40) == user_lock_seconds(10_000) == 900


def test_a_success_resets_the_count_and_does_not_count(app, now):
    for _ in range(4):
        assert attempt(app, "claire.martin", "devine")[0] == 401
    assert attempt(app, "claire.martin", DEMO_PASSWORD)[0] == 302
    for _ in range(4):
        assert attempt(app, "claire.martin", "devine")[0] == 401  # counted afresh: not locked at 5 in all
    assert attempt(app, "claire.martin", "devine")[0] == 429


def test_a_locked_username_does_not_lock_its_colleagues(app, now):
    for _ in range(5):
        attempt(app, "claire.martin", "devine")
    assert attempt(app, "claire.martin", DEMO_PASSWORD)[0] == 429
    assert attempt(app, "sophie.lefebvre", DEMO_PASSWORD)[0] == 302


def test_failed_and_successful_sign_ins_are_audited(app, now):
    attempt(app, "claire.martin", "devine")
    attempt(app, "claire.martin", DEMO_PASSWORD)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "auth")
                                    .order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["auth.login_failed", "auth.login"]
        assert events[0].detail["username"] == "claire.martin" and events[0].user_id is None
        assert events[1].user_id == get_user("claire.martin").id


@pytest.fixture
def colleagues(app):
    """30 counsellors of one structure (one shared hash: argon2 is slow on purpose)."""
    with app.app_context():
        model = get_user("claire.martin")
        names = [f"collegue.{n:02d}" for n in range(30)]
        db.session.add_all(User(username=name, full_name=f"Collègue {name[-2:]}", password_hash=model.password_hash,
                                structure_id=model.structure_id, roles=["conseiller"]) for name in names)
        db.session.commit()
    yield names
    with app.app_context():
        ids = select(User.id).where(User.username.in_(names))
        db.session.execute(delete(AuditEvent).where(AuditEvent.user_id.in_(ids)))
        db.session.execute(delete(User).where(User.username.in_(names)))
        db.session.commit()


def test_thirty_colleagues_behind_one_address_all_sign_in_within_a_minute(app, now, colleagues, monkeypatch):
    """Each mistypes once, then signs in, all from the office's address within one minute, with the
    production per-address request limit; meanwhile someone guessing one account is locked."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", Config.LOGIN_RATE_LIMIT)
    limiter.reset()
    try:
        results = []
        for second, name in enumerate(colleagues):
            now["now"] = START + timedelta(seconds=second)
            results.append((attempt(app, name, "faute de frappe")[0], attempt(app, name, DEMO_PASSWORD)[0]))
            if second < 5:
                attempt(app, "claire.martin", f"essai {second}")
            elif second == 5:
                guessed = attempt(app, "claire.martin", DEMO_PASSWORD)[0]
        assert results == [(401, 302)] * 30
        assert guessed == 429
    finally:
        limiter.reset()


def test_many_failures_from_one_address_lock_that_address(app, now, monkeypatch):
    """Guessing across many usernames from one address hits the address's limit (lowered to 10 here)."""
    monkeypatch.setitem(app.config, "SIGN_IN_ADDRESS_MAX_FAILURES", 10)
    for n in range(9):
        assert attempt(app, f"cible.{n}", "devine")[0] == 401
    status, page = attempt(app, "cible.9", "devine")
    assert status == 429 and "réessayez dans 15 minutes" in page
    assert attempt(app, "claire.martin", DEMO_PASSWORD)[0] == 429
    assert attempt(app, "claire.martin", DEMO_PASSWORD, {"REMOTE_ADDR": "198.51.100.4"})[0] == 302
    now["now"] += timedelta(minutes=15, seconds=1)
    assert attempt(app, "claire.martin", DEMO_PASSWORD)[0] == 302


def test_the_api_token_endpoint_shares_the_throttle(app, client, now):
    """Failures on the screen and on the API add up; the API answers 429 in JSON with the wait."""
    for _ in range(3):
        attempt(app, "claire.martin", "devine", {"REMOTE_ADDR": "127.0.0.1"})
    codes = [client.post("/api/v1/auth/token", json={"username": "claire.martin", "password": "devine"})
             for _ in range(2)]
    assert [r.status_code for r in codes] == [401, 429]
    assert codes[1].get_json()["message"] == "Trop de tentatives : réessayez dans 15 secondes."
    assert codes[1].headers["Retry-After"] == "15"
    locked = client.post("/api/v1/auth/token", json={"username": "claire.martin", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    now["now"] += timedelta(seconds=16)
    assert client.post("/api/v1/auth/token", json={"username": "claire.martin",
                                                   "password": DEMO_PASSWORD}).status_code == 200
    assert client.post("/api/v1/auth/token", json={"username": "claire.martin",
                                                   "password": "devine"}).status_code == 401


def test_stale_counters_are_purged_and_live_ones_kept(app, now):
    attempt(app, "claire.martin", "devine")
    for _ in range(5):
        attempt(app, "sophie.lefebvre", "devine")
    now["now"] += timedelta(hours=24, minutes=1)
    attempt(app, "olivier.lambert", "devine", {"REMOTE_ADDR": "198.51.100.4"})
    with app.app_context():
        assert purge_stale() == 3  # claire's and sophie's counts, the office address's window
        db.session.commit()
        assert sorted(db.session.scalars(select(SignInThrottle.key))) == ["ip:198.51.100.4", "user:olivier.lambert"]


def test_behind_a_reverse_proxy_each_client_is_counted_at_its_own_address(tmp_path):
    """With SPRO_PROXY_COUNT=1 the address the throttle counts is the client's (from the proxy's
    X-Forwarded-For), not the proxy's own."""
    from flask import request

    from webapp import create_app
    from webapp.config import TestConfig
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'proxy.sqlite'}", PROXY_COUNT=1)
    seen = []

    def address():
        seen.append(request.remote_addr)
        return ""
    app.add_url_rule("/adresse", "adresse", address)
    app.test_client().get("/adresse", headers={"X-Forwarded-For": "203.0.113.7"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen == ["203.0.113.7"]
