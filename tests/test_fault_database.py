"""The database going away: a clear French 503 (a page for the screens, JSON under /api/) with
Retry-After, never a 500 or a stack trace, and the same app answering again by itself once the
database is back, having lost nothing it had confirmed."""
import socket

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from conftest import csrf_from
from webapp import create_app
from webapp.config import TestConfig
from webapp.views.errors import UNAVAILABLE, database_unreachable

TITLE = "Service momentanément indisponible"


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
