"""Sessions that end: logout and password change end them on the server, idle and absolute timeouts,
a cookie replayed from another browser or address, Secure cookies and HSTS, and a same-site `next`."""
import html
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from conftest import DEMO_PASSWORD, api_token, csrf_from, get_user, login
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, User
from webapp.operations.users import change_password, hash_password

START = datetime(2026, 12, 1, 9, 0)


@pytest.fixture
def now(monkeypatch):
    """The application's clock, frozen at START and moved by the test."""
    moment = {"now": START}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


@pytest.fixture
def claire_password(app):
    """Claire's password is restored after the test (users are not wiped between tests)."""
    yield
    with app.app_context():
        get_user("claire.martin").password_hash = hash_password(DEMO_PASSWORD)
        db.session.commit()


def signed_in(app, username="claire.martin", **environ):
    client = app.test_client()
    client.environ_base.update(environ)
    assert login(client, username).status_code == 302
    return client


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str, **environ):
    """A fresh client presenting a saved session cookie."""
    client = app.test_client()
    if environ:
        client.environ_base.update(environ)
    client.set_cookie("session", cookie)
    return client


def asks_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_cookie_replayed_after_logout_is_refused(app, now):
    """Saved before logout and presented again by another client: is it signed out?"""
    claire = signed_in(app)
    assert claire.get("/taches").status_code == 200
    cookie = session_cookie(claire)
    assert replay(app, cookie).get("/taches").status_code == 200  # the control: the same cookie works before
    page = claire.get("/taches").get_data(as_text=True)
    after = claire.post("/logout", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "sur cet appareil comme sur les autres" in html.unescape(after.get_data(as_text=True))
    assert asks_to_sign_in(replay(app, cookie).get("/taches"))
    assert asks_to_sign_in(replay(app, cookie).get("/personnes"))


def test_logout_ends_the_users_other_sessions(app, now):
    office, laptop = signed_in(app), signed_in(app)
    page = office.get("/taches").get_data(as_text=True)
    office.post("/logout", data={"csrf_token": csrf_from(page)})
    assert asks_to_sign_in(laptop.get("/taches"))
    assert signed_in(app).get("/taches").status_code == 200  # signing in again works


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, now, claire_password):
    here, elsewhere = signed_in(app), signed_in(app)
    stolen = session_cookie(elsewhere)
    page = here.get("/compte/mot-de-passe").get_data(as_text=True)
    assert "Changer mon mot de passe" in page
    response = here.post("/compte/mot-de-passe", data={
        "current": DEMO_PASSWORD, "new": "une phrase de passe longue", "confirmation": "une phrase de passe longue",
        "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert here.get("/taches").status_code == 200
    assert asks_to_sign_in(elsewhere.get("/taches"))
    assert asks_to_sign_in(replay(app, stolen).get("/taches"))
    assert login(app.test_client(), "claire.martin").status_code == 401  # the old password no longer opens
    assert login(app.test_client(), "claire.martin", "une phrase de passe longue").status_code == 302


@pytest.mark.parametrize("current, new, confirmation, field, message", [
    ("mauvais", "une phrase de passe longue", "une phrase de passe longue", "current", "actuel est incorrect"),
    (DEMO_PASSWORD, "court", "court", "new", "au moins 12 caractères"),
    (DEMO_PASSWORD, "une phrase de passe longue", "une autre phrase longue", "confirmation", "ne correspondent pas"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, now, claire_password, current, new,
                                                                 confirmation, field, message):
    claire = signed_in(app)
    page = claire.get("/compte/mot-de-passe").get_data(as_text=True)
    response = claire.post("/compte/mot-de-passe", data={
        "current": current, "new": new, "confirmation": confirmation, "csrf_token": csrf_from(page)})
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert message in text and f'id="erreur-{field}"' in text
    assert claire.get("/taches").status_code == 200
    assert login(app.test_client(), "claire.martin").status_code == 302


def test_a_session_idle_for_longer_than_the_timeout_ends(app, now):
    claire = signed_in(app)
    now["now"] += timedelta(minutes=29)
    assert claire.get("/taches").status_code == 200  # activity moves the idle deadline on
    now["now"] += timedelta(minutes=29)
    assert claire.get("/taches").status_code == 200
    now["now"] += timedelta(minutes=31)
    response = claire.get("/taches?scope=queue")
    assert asks_to_sign_in(response) and "next=%2Ftaches%3Fscope%3Dqueue" in response.headers["Location"]
    page = html.unescape(claire.get(response.headers["Location"]).get_data(as_text=True))
    assert "Session expirée après 30 minutes d'inactivité" in page


def test_the_idle_timeout_is_a_setting(app, now, monkeypatch):
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 5)
    claire = signed_in(app)
    now["now"] += timedelta(minutes=6)
    response = claire.get("/taches", follow_redirects=True)
    assert "Session expirée après 5 minutes d'inactivité" in html.unescape(response.get_data(as_text=True))


def test_an_active_session_still_ends_eight_hours_after_sign_in(app, now):
    claire = signed_in(app)
    for _ in range(19):  # a request every 25 minutes for 7 h 55
        now["now"] += timedelta(minutes=25)
        assert claire.get("/taches").status_code == 200
    now["now"] += timedelta(minutes=25)
    response = claire.get("/taches", follow_redirects=True)
    assert "Session expirée après 8 heures" in html.unescape(response.get_data(as_text=True))


def test_a_cookie_replayed_from_another_browser_or_address_is_refused(app, now):
    """Flask-Login's strong protection, made effective for permanent sessions."""
    claire = signed_in(app, HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="10.0.0.7")
    cookie = session_cookie(claire)
    same = {"HTTP_USER_AGENT": "Firefox/140", "REMOTE_ADDR": "10.0.0.7"}
    assert replay(app, cookie, **same).get("/taches").status_code == 200
    assert asks_to_sign_in(replay(app, cookie, **{**same, "HTTP_USER_AGENT": "curl/8.0"}).get("/taches"))
    assert asks_to_sign_in(replay(app, cookie, **{**same, "REMOTE_ADDR": "203.0.113.9"}).get("/taches"))


def test_cookies_are_secure_and_hsts_sent_outside_the_local_demo(app, monkeypatch):
    environment = {k: v for k, v in os.environ.items() if k != "SPRO_SECURE_COOKIES"}

    def secure_by_default(**extra) -> str:
        return subprocess.run([sys.executable, "-c", "from webapp.config import Config; "
                               "print(Config.SESSION_COOKIE_SECURE)"], env={**environment, **extra},
                              capture_output=True, text=True, check=True).stdout.strip()
    assert secure_by_default() == "True"
    assert secure_by_default(SPRO_SECURE_COOKIES="false") == "False"
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]


def test_no_hsts_on_the_plain_http_demo(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


HOSTILE_NEXT = ["//evil.example", "/%5Cevil.example", "/%09/evil.example", "/%0a/evil", "%5C%5Cevil",
                "https://evil.example", "javascript:alert(1)", "/%09/evil", "%2F%2Fevil", "/%2F/evil.example",
                "https:/evil.example", "/%0d/evil", "/%20/evil", "///evil.example", "evil.example"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_after_login_never_leaves_the_site(app, target):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(f"/login?next={target}", data={
        "username": "claire.martin", "password": DEMO_PASSWORD, "csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_after_login_keeps_a_page_of_the_site(app):
    client = app.test_client()
    asked = client.get("/taches?scope=queue")
    assert asks_to_sign_in(asked)
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    response = client.post(asked.headers["Location"], data={
        "username": "claire.martin", "password": DEMO_PASSWORD, "csrf_token": csrf_from(page)})
    assert response.headers["Location"] == "/taches?scope=queue"
    assert client.get(response.headers["Location"]).status_code == 200


def test_an_api_token_can_be_revoked_and_ends_with_a_password_change(app, client):
    """A client ends its own token (then refused, the revocation audited); a password change ends
    every token of the account."""
    headers = api_token(client, "claire.martin")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoked")) is not None
    other = api_token(client, "claire.martin")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "claire.martin"))
        original = user.password_hash
        change_password(user, "demo-spro-2026", "un-nouveau-mot-de-passe", "un-nouveau-mot-de-passe")
        db.session.commit()
    assert client.get("/api/v1/tasks", headers=other).status_code == 401
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "claire.martin"))
        user.password_hash, user.session_version = original, 0
        db.session.commit()
