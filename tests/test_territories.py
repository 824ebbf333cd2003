"""Bassins are configurable groups of communes: shown to all, edited by the regional admin."""
from html import unescape

from sqlalchemy import select

from conftest import csrf_from, login
from webapp.extensions import db
from webapp.models import AuditEvent, BassinCommune


def _bassin_of(app, commune_code):
    with app.app_context():
        return db.session.scalar(select(BassinCommune.bassin_code).where(BassinCommune.commune_code == commune_code))


def test_admin_moves_a_commune_to_another_bassin(client, app):
    before = _bassin_of(app, "45208")  # Montargis
    login(client, "nathalie.bernard")
    page = client.get("/territoires/bassins/2421")
    assert page.status_code == 200 and "45234 Orléans" in page.get_data(as_text=True)
    current = unescape(page.get_data(as_text=True).split('name="communes"', 1)[1].split(">", 1)[1]
                       .split("</textarea>")[0])
    response = client.post("/territoires/bassins/2421", data={
        "communes": current + "\nMontargis", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert _bassin_of(app, "45208") == "2421" != before
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bassin.updated")) is not None
    # put it back for the other tests
    page = client.get(f"/territoires/bassins/{before}")
    body = unescape(page.get_data(as_text=True).split('name="communes"', 1)[1].split(">", 1)[1]
                    .split("</textarea>")[0])
    client.post(f"/territoires/bassins/{before}", data={"communes": body + "\n45208",
                                                        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert _bassin_of(app, "45208") == before


def test_bad_commune_stores_nothing_and_names_the_line(client, app):
    login(client, "nathalie.bernard")
    page = client.get("/territoires/bassins/2421")
    response = client.post("/territoires/bassins/2421", data={
        "communes": "45234\nVilleinconnue\n37261", "csrf_token": csrf_from(page.get_data(as_text=True))})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Villeinconnue" in html and "n&#39;est pas dans le département 45" in html
    assert _bassin_of(app, "37261") != "2421"  # Tours untouched
    with app.app_context():
        assert db.session.scalar(select(BassinCommune).where(BassinCommune.bassin_code == "2421",
                                                              BassinCommune.commune_code != "45234")) is not None


def test_counsellor_reads_but_cannot_edit(client):
    login(client, "claire.martin")
    assert client.get("/territoires").status_code == 200
    page = client.get("/territoires/bassins/2421")
    assert page.status_code == 200 and 'name="communes"' not in page.get_data(as_text=True)
    response = client.post("/territoires/bassins/2421", data={
        "communes": "45234", "csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    assert response.status_code == 403
