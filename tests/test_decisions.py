"""Process owners read and replace the partner decision table; hostile files publish nothing."""
import html
import io
import re
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
    assert "Public scolaire qui choisit un métier" in page and "le poids le plus fort est retenu" in page
    assert 'type="file"' not in page


def _cells(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_table_reads_in_french_without_dmn_expressions(client):
    """Values show their French labels, « toutes » stands for any value, texts lose their quotes."""
    login(client, "julien.mercier")
    page = client.get(URL).get_data(as_text=True)
    headings = [html.unescape(h) for h in re.findall(r'<th scope="col">([^<]+)</th>', page)]
    assert headings == ["N°", "Public", "Thématiques", "Réseau", "Poids", "Raison"]
    rows = _cells(page)
    assert rows[0] == ["1", "Scolaire", "Choisir un métier", "CIO", "60",
                       "Public scolaire qui choisit un métier : le CIO est le premier interlocuteur."]
    assert rows[1][:4] == ["2", "Scolaire", "toutes", "CIO"]
    assert ["Demandeur·se d'emploi", "Trouver un emploi", "France Travail (ex-Pôle emploi)"] in [r[1:4] for r in rows]
    assert "Réseaux à suggérer pour une orientation" in page and "orientation_partenaire »" not in page
    for technical in ("in ?", "&#34;cio&#34;", '"cio"', "COLLECT", ">v1<"):
        assert technical not in page, technical


def test_a_broken_file_is_named_with_its_line_and_what_to_fix(client, app):
    before = _versions(app)
    login(client, "julien.mercier")
    broken = DMN.replace("</rule>", "</regle>", 1)  # line of the first rule's end tag
    line = DMN.splitlines().index(next(l for l in DMN.splitlines() if "</rule>" in l)) + 1
    page = html.unescape(_upload(client, broken, "orientation_partenaire.dmn").get_data(as_text=True))
    assert (f"orientation_partenaire.dmn : XML mal formé : le fichier n'est pas un XML valide (ligne {line}) : "
            "une balise n'est pas refermée") in page
    assert "mismatch" not in page and "decision.dmn" not in page
    code = DMN.replace('<text>"cio"</text>', "<text>__import__('os')</text>", 1)
    page = html.unescape(_upload(client, code, "ma_table.dmn").get_data(as_text=True))
    assert "ma_table.dmn : règle 1, colonne « Réseau » : " in page
    odd = DMN.replace('hitPolicy="COLLECT"', 'hitPolicy="PLUSIEURS"')  # refused by the DMN schema
    page = html.unescape(_upload(client, odd, "ma_table.dmn").get_data(as_text=True))
    assert "ma_table.dmn : la table n'est pas lisible par le moteur de décision : vérifiez" in page
    assert "Element" not in page and "facet" not in page
    assert _versions(app) == before


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
