"""Attacker's probes of the support programme's routes: another territory's event answers 404 with no
name and changes nothing, every POST needs its CSRF token, pages naming professionals are never cached,
signed-out visitors are sent to the login page."""
from datetime import timedelta

import pytest
from conftest import csrf_from, get_user
from sqlalchemy import select
from test_support_programme import (CLAIRE, COORDINATOR_37, KARIM, REGIONAL_ADMIN, SOPHIE_APEC, VALID,
                                    _programme_clean, _registered, client_of, make_event, moved)

from webapp.extensions import db
from webapp.models import SupportRegistration

__all__ = ["_programme_clean", "moved"]  # the fixtures used here


def _probe_scene(app):
    """A Loiret event with Claire registered, and a regional one with Karim registered (both start tomorrow)."""
    with app.app_context():
        loiret = make_event(starts_in=timedelta(days=1), departement="45", title="Rencontre du Loiret")
        regional = make_event(starts_in=timedelta(days=1))
        local_ids = _registered(loiret, CLAIRE)
        _registered(regional, KARIM)
        return loiret, regional, local_ids[CLAIRE]


@pytest.mark.parametrize("method, suffix", [("get", ""), ("get", "/presences"), ("post", "/inscription"),
                                            ("post", "/annulation"), ("post", "/presences")])
def test_another_territory_gets_404_with_no_name_and_no_change(app, moved, method, suffix):
    loiret, _regional, registration = _probe_scene(app)
    moved.current += timedelta(days=1, hours=1)  # started: attendance may be recorded
    for username in (SOPHIE_APEC, COORDINATOR_37):  # Indre-et-Loire
        client = client_of(app, username)
        token = csrf_from(client.get("/programme").get_data(as_text=True))
        path = f"/programme/{loiret}{suffix}"
        response = client.get(path) if method == "get" else \
            client.post(path, data={"csrf_token": token, "present": [str(registration)]})
        body = response.get_data(as_text=True)
        assert response.status_code == 404, (username, path, response.status_code)
        assert "Claire Martin" not in body and "Rencontre du Loiret" not in body
    with app.app_context():
        rows = db.session.scalars(select(SupportRegistration).where(SupportRegistration.event_id == loiret)).all()
        assert [(r.user_id, r.status, r.attended) for r in rows] == [(get_user(CLAIRE).id, "inscrit", None)]


@pytest.mark.parametrize("suffix", ["/inscription", "/annulation", "/presences"])
def test_every_post_needs_its_csrf_token(app, moved, suffix):
    _loiret, regional, _registration = _probe_scene(app)
    moved.current += timedelta(days=1, hours=1)
    for username in (KARIM, REGIONAL_ADMIN):
        assert client_of(app, username).post(f"/programme/{regional}{suffix}", data={}).status_code == 400
    assert client_of(app, REGIONAL_ADMIN).post("/programme/nouveau", data=VALID).status_code == 400
    with app.app_context():
        rows = db.session.scalars(select(SupportRegistration).where(SupportRegistration.event_id == regional)).all()
        assert [(r.status, r.attended) for r in rows] == [("inscrit", None)]


def test_pages_naming_professionals_are_never_cached_and_signed_out_visitors_are_sent_to_login(app, moved):
    loiret, regional, _registration = _probe_scene(app)
    moved.current += timedelta(days=1, hours=1)
    admin = client_of(app, REGIONAL_ADMIN)
    for path in (f"/programme/{regional}", f"/programme/{regional}/presences", "/programme/participation",
                 "/programme/participation.csv"):
        response = admin.get(path)
        assert response.status_code == 200 and response.headers.get("Cache-Control") == "no-store", path
    anonymous = app.test_client()
    for path in ("/programme", f"/programme/{loiret}", "/programme/participation", "/programme/nouveau"):
        response = anonymous.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], path
