"""Process owners read and replace the partner decision table; hostile files publish nothing."""
import io
from pathlib import Path

from sqlalchemy import func, select

from conftest import csrf_from, login
from webapp.extensions import db
from webapp.models import DefinitionVersion

DMN = (Path(__file__).resolve().parent.parent / "processes" / "orientation_partenaire.dmn").read_text()
URL = "/pilotage/decisions/orientation_partenaire"


def _versions(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DefinitionVersion).where(
            DefinitionVersion.process_key == "orientation_partenaire"))


def _upload(client, content: str | bytes, name="table.dmn"):
    page = client.get(URL).get_data(as_text=True)
    data = content.encode() if isinstance(content, str) else content
    return client.post(URL, data={"csrf_token": csrf_from(page), "fichier": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def _restore_current(app, keep: int):
    with app.app_context():
        for version in db.session.scalars(select(DefinitionVersion).where(
                DefinitionVersion.process_key == "orientation_partenaire", DefinitionVersion.version > keep)):
            db.session.delete(version)
        first = db.session.scalar(select(DefinitionVersion).where(
            DefinitionVersion.process_key == "orientation_partenaire", DefinitionVersion.version == keep))
        first.is_current = True
        db.session.commit()


def test_anyone_reads_the_table(client):
    login(client, "claire.martin")
    page = client.get(URL).get_data(as_text=True)
    assert "Public scolaire qui choisit un métier" in page and "COLLECT" in page
    assert 'type="file"' not in page


def test_pilot_publishes_a_new_version_and_nothing_for_an_identical_file(client, app):
    before = _versions(app)
    login(client, "julien.mercier")
    try:
        same = _upload(client, DMN).get_data(as_text=True)
        assert "rien à publier" in same and _versions(app) == before
        changed = _upload(client, DMN.replace("<text>60</text>", "<text>70</text>", 1)).get_data(as_text=True)
        assert f"Version {before + 1} publiée" in changed and _versions(app) == before + 1
        assert client.get(f"{URL}/version/{before + 1}.dmn").get_data(as_text=True).count("<text>70</text>") == 1
    finally:
        _restore_current(app, before)


def test_hostile_or_wrong_files_publish_nothing(client, app):
    before = _versions(app)
    login(client, "julien.mercier")
    doctype = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + DMN.split("?>", 1)[1]
    code = DMN.replace('<text>"cio"</text>', "<text>__import__('os').system('id')</text>", 1)
    other = DMN.replace('decision id="orientation_partenaire"', 'decision id="autre_decision"')
    for content, expected in ((doctype, "DOCTYPE"), (code, "interdit"), (other, "autre_decision"),
                              (b"\xff\xfe not text", "UTF-8"), ("<definitions", "mal formé")):
        html = _upload(client, content).get_data(as_text=True)
        assert "Rien n&#39;a été publié" in html and expected in html, expected
    assert _versions(app) == before


def test_only_pilots_publish(client, app):
    before = _versions(app)
    login(client, "claire.martin")
    page = client.get("/").get_data(as_text=True)
    response = client.post(URL, data={"csrf_token": csrf_from(page), "fichier": (io.BytesIO(DMN.encode()), "t.dmn")},
                           content_type="multipart/form-data")
    assert response.status_code == 403 and _versions(app) == before


def test_a_table_that_breaks_the_contract_or_names_a_journey_is_refused(client, app):
    before = _versions(app)
    login(client, "julien.mercier")
    weak = DMN.replace("<text>60</text>", '<text>"fort"</text>', 1)
    html = _upload(client, weak).get_data(as_text=True)
    assert "Rien n&#39;a été publié" in html and "doit être un nombre entier" in html
    renamed = DMN.replace('name="poids"', 'name="importance"')
    assert "Sorties attendues" in _upload(client, renamed).get_data(as_text=True)
    assert _versions(app) == before
    page = client.get("/").get_data(as_text=True)
    hijack = DMN.replace('decision id="orientation_partenaire"', 'decision id="accueil"')
    response = client.post("/pilotage/decisions/accueil", data={
        "csrf_token": csrf_from(page), "fichier": (io.BytesIO(hijack.encode()), "accueil.dmn")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Décision inconnue" in response.get_data(as_text=True)
    with app.app_context():
        kinds = db.session.scalars(select(DefinitionVersion.kind).where(DefinitionVersion.process_key == "accueil"))
        assert set(kinds) == {"bpmn"}
