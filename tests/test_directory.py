"""The directory (Annuaire): browsing with filters, detail, admin edits, export and import."""
import csv
import html
import io
import json
import re

import pytest
from sqlalchemy import func, select

from conftest import csrf_from, login
from webapp.extensions import db
from webapp.models import AuditEvent, Structure
from webapp.queries.directory import EXPORT_COLUMNS, search_structures

ADMIN = "nathalie.bernard"
COLUMNS = [c.key for c in Structure.__table__.columns if c.key != "id"]


@pytest.fixture
def directory(app):
    """Put the directory back as it was: drop structures added, restore those changed."""
    with app.app_context():
        before = {s.slug: {k: getattr(s, k) for k in COLUMNS} for s in db.session.scalars(select(Structure))}
    yield
    with app.app_context():
        db.session.rollback()
        added = db.session.scalars(select(Structure).where(Structure.slug.not_in(before))).all()
        for structure in added:
            structure.parent_id = None
        db.session.flush()
        for structure in added:
            db.session.delete(structure)
        for structure in db.session.scalars(select(Structure).where(Structure.slug.in_(before))):
            for key, value in before[structure.slug].items():
                setattr(structure, key, value)
        db.session.commit()


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def names_in(response) -> list[str]:
    """The structure names listed in the directory's table."""
    return [html.unescape(n) for n in re.findall(r'<td[^>]*><a href="/annuaire/\d+">([^<]+)</a></td>',
                                                  response.get_data(as_text=True))]


def structure(slug: str) -> Structure:
    return db.session.scalar(select(Structure).where(Structure.slug == slug))


def structure_events() -> list[str]:
    return db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("structure.%"))).all()


def count_structures() -> int:
    return db.session.scalar(select(func.count()).select_from(Structure))


def post_form(client, url: str, data: dict):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def upload(client, content: bytes, filename: str):
    page = client.get("/annuaire/importer")
    return client.post("/annuaire/importer", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "fichier": (io.BytesIO(content), filename)})


NEW = {"name": "Point Information Jeunesse de Fleury-les-Aubrais", "network": "info_jeunesse",
       "commune": "Fleury-les-Aubrais", "address": "1 rue de la Mairie", "phone": "02 61 91 45 99",
       "email": "pij@fleury.example.org", "publics": ["scolaire", "etudiant"],
       "themes": ["choisir-un-metier", "mobilite"], "cep_operator": "false",
       "convention": "regionale", "active": "true", "bassin": "2421", "parent_slug": "crij-orleans"}


# --- Browsing ---------------------------------------------------------------------------------

def test_directory_requires_login(client):
    for url in ("/annuaire", "/annuaire/1", "/annuaire/export.csv", "/annuaire/importer"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


@pytest.mark.parametrize("query, present, absent", [
    ("reseau=cio&departement=45", ["CIO d'Orléans"], ["CIO de Bourges", "Mission Locale de l'Orléanais"]),
    ("reseau=cio&bassin=2401", ["CIO de Bourges"], ["CIO d'Orléans"]),
    ("public=scolaire&departement=45", ["CIO d'Orléans"], ["France Travail Orléans Madeleine"]),
    ("thematique=choisir-un-metier&departement=45", ["Mission Locale de l'Orléanais"], ["CIO de Bourges"]),
    ("cep=oui&departement=45", ["France Travail Orléans Madeleine"], ["CIO d'Orléans"]),
    ("q=PITHIVIERS", ["Mission Locale de l'Orléanais — antenne de Pithiviers"], ["CIO d'Orléans"]),
])
def test_browse_with_each_filter(client, query, present, absent):
    login(client, "claire.martin")
    names = names_in(client.get(f"/annuaire?{query}"))
    assert set(present) <= set(names) and not set(absent) & set(names), names


def test_search_filters_combine_match_codes_and_paginate(client, ctx):
    assert [s.slug for s in search_structures(network="cio", departement="45").items] == ["cio-orleans"]
    assert all("scolaire" in s.publics for s in search_structures(public="scolaire", per_page=500).items)
    assert all(s.cep_operator for s in search_structures(cep=True, per_page=500).items)
    active = db.session.scalars(select(Structure).where(Structure.active.is_(True))).all()
    assert search_structures(theme="choisir-un-metier").total == \
        sum(1 for s in active if any(t.split("--")[0] == "choisir-un-metier" for t in s.themes))
    assert [s.slug for s in search_structures(text="cio d'orl").items] == ["cio-orleans"]
    assert search_structures(text="100%_").total == 0  # LIKE wildcards are taken literally
    first, second = search_structures(page=1, per_page=5), search_structures(page=2, per_page=5)
    assert first.total == len(active) and first.pages == -(-len(active) // 5)
    assert not {s.id for s in first.items} & {s.id for s in second.items}
    login(client, "claire.martin")
    page = client.get("/annuaire?page=2").get_data(as_text=True)
    assert "Page 2 sur" in page and "« Précédente" in page
    menus = client.get("/annuaire").get_data(as_text=True)
    assert "Choisir un métier" in menus and "Logement" not in menus  # guidance categories only


def test_detail_shows_every_field_and_the_official_commune_code(client, ctx):
    login(client, "claire.martin")
    cio = structure("cio-orleans")
    page = text_of(client.get(f"/annuaire/{cio.id}"))
    for expected in ("CIO d'Orléans", "Orléans (code officiel 45234)", "45 Loiret", "Bassin d'Orléans",
                     cio.opening_hours, cio.phone, cio.email, "Scolaire", "Choisir un métier",
                     "Service de l'État (convention spécifique)", "Opérateur CEP", cio.address):
        assert expected in page, expected
    assert "Modifier la fiche" not in page  # not an admin
    parent = structure("ml-orleans")
    page = text_of(client.get(f"/annuaire/{parent.id}"))
    assert "Mission Locale de l'Orléanais — antenne de Pithiviers" in page and "Régionale" in page
    antenna = structure("ml-orleans-pithiviers")
    assert "Mission Locale de l'Orléanais</a>" in text_of(client.get(f"/annuaire/{antenna.id}"))
    assert client.get("/annuaire/999999").status_code == 404


# --- Administration ---------------------------------------------------------------------------

def test_non_admin_gets_403_on_create_edit_and_import(client, app):
    with app.app_context():  # not around the requests: they must each get their own context
        cio_id = structure("cio-orleans").id
    login(client, "claire.martin")
    token = csrf_from(client.get("/annuaire").get_data(as_text=True) + client.get("/").get_data(as_text=True))
    for url in ("/annuaire/nouvelle", f"/annuaire/{cio_id}/modifier", "/annuaire/importer"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={**NEW, "csrf_token": token}).status_code == 403, url
    assert "Nouvelle structure" not in client.get("/annuaire").get_data(as_text=True)


def test_admin_creates_a_structure_with_a_resolved_commune(client, app, directory):
    login(client, ADMIN)
    assert "Nouvelle structure" in client.get("/annuaire").get_data(as_text=True)
    response = post_form(client, "/annuaire/nouvelle", NEW)
    assert response.status_code == 303, text_of(response)
    with app.app_context():
        created = db.session.get(Structure, int(response.location.rsplit("/", 1)[1]))
        assert created.slug == "point-information-jeunesse-de-fleury-les-aubrais"
        assert (created.commune, created.commune_code, created.departement) == ("Fleury-les-Aubrais", "45147", "45")
        assert created.parent.slug == "crij-orleans" and created.publics == ["scolaire", "etudiant"]
        assert created.cep_operator is False and created.active is True
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "structure.created"))
        assert event.detail["structure_id"] == created.id
    page = text_of(client.get(response.location))
    assert "est ajoutée à l'annuaire" in page and "code officiel 45147" in page


def test_invalid_form_keeps_input_shows_errors_and_stores_nothing(client, app, directory):
    login(client, ADMIN)
    with app.app_context():
        before = count_structures()
    response = post_form(client, "/annuaire/nouvelle", {**NEW, "name": "", "commune": "Atlantis",
                                                        "email": "pas-un-courriel"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="erreur-name"[^>]*>Ce champ est obligatoire', page)
    assert re.search(r'id="erreur-commune"[^>]*>Commune introuvable : précisez le code postal ou le code '
                     r'officiel\.', page)
    assert re.search(r'id="erreur-email"[^>]*>Adresse courriel invalide', page)
    assert 'value="Atlantis"' in page and 'value="1 rue de la Mairie"' in page
    assert re.search(r'value="scolaire"\s+checked', page)
    response = post_form(client, "/annuaire/nouvelle", {**NEW, "bassin": "2401"})
    assert response.status_code == 422
    assert "Ce bassin n'est pas dans le département de la commune (45)" in text_of(response)
    with app.app_context():
        assert count_structures() == before
        assert structure_events() == []


def test_admin_edits_a_structure_and_the_change_is_audited(client, app, directory):
    login(client, ADMIN)
    with app.app_context():
        cio = structure("cio-orleans")
        cio_id = cio.id
    form = client.get(f"/annuaire/{cio_id}/modifier").get_data(as_text=True)
    assert 'value="Orléans"' in html.unescape(form) and 'value="etat" checked' in form
    assert 'value="cio-orleans"' not in form  # not its own parent
    fields = {"name": "CIO d'Orléans", "network": "cio", "commune": "Orléans", "convention": "etat",
              "cep_operator": "false", "active": "true", "publics": ["scolaire", "etudiant", "apprenti"],
              "themes": ["choisir-un-metier"], "phone": "02 61 91 45 21", "bassin": "2421"}
    response = post_form(client, f"/annuaire/{cio_id}/modifier", fields)
    assert response.status_code == 303, text_of(response)
    with app.app_context():
        cio = structure("cio-orleans")
        assert cio.phone == "02 61 91 45 21" and cio.publics == ["scolaire", "etudiant", "apprenti"]
        assert cio.commune_code == "45234" and cio.address is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "structure.updated"))
        assert {"phone", "publics", "themes", "address"} <= set(event.detail["fields"])
    response = post_form(client, f"/annuaire/{cio_id}/modifier", {**fields, "commune": "Nulle-Part"})
    assert response.status_code == 422 and 'value="Nulle-Part"' in response.get_data(as_text=True)


def test_posts_require_the_csrf_token(client, app, directory):
    login(client, ADMIN)
    with app.app_context():
        before = count_structures()
        cio_id = structure("cio-orleans").id
    assert client.post("/annuaire/nouvelle", data=NEW).status_code == 400
    assert client.post(f"/annuaire/{cio_id}/modifier", data=NEW).status_code == 400
    assert client.post("/annuaire/importer", data={"fichier": (io.BytesIO(b"slug\n"), "a.csv")},
                       content_type="multipart/form-data").status_code == 400
    with app.app_context():
        assert count_structures() == before


# --- Export and import ------------------------------------------------------------------------

def test_csv_export_has_the_stable_columns_and_round_trips(client, app, directory):
    with app.app_context():  # cells a spreadsheet would run as formulas are neutralised
        structure("ft-orleans").phone, structure("ft-orleans").opening_hours = "+33 2 61 91 45 30", "=SOMME(1)"
        db.session.commit()
    login(client, "claire.martin")  # anyone logged in may export
    response = client.get("/annuaire/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    content = response.get_data()
    assert content.startswith("\ufeff".encode()) and b";'=SOMME(1);'+33 2 61 91 45 30;" in content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Identifiant", "Nom", "Réseau"] and "Code officiel de la commune" in rows[0]
    assert not set(rows[0]) & set(EXPORT_COLUMNS)  # French titles only, no code names
    by_slug = {r[0]: dict(zip(EXPORT_COLUMNS, r)) for r in rows[1:]}
    cio = by_slug["cio-orleans"]
    assert (cio["commune_code"], cio["publics"], cio["cep_operator"], cio["convention"], cio["active"]) == \
        ("45234", "scolaire etudiant", "non", "etat", "oui")
    assert by_slug["ml-orleans-pithiviers"]["parent_slug"] == "ml-orleans"
    admin = app.test_client()
    login(admin, ADMIN)
    response = upload(admin, content, "annuaire.csv")
    assert response.status_code == 303, text_of(response)
    page = text_of(admin.get(response.location))
    assert f"0 structure(s) créée(s), 0 mise(s) à jour, {len(rows) - 1} inchangée(s)" in page
    with app.app_context():
        assert structure_events() == [] and structure("ft-orleans").opening_hours == "=SOMME(1)"


def test_json_export_round_trips(client, app, directory):
    login(client, ADMIN)
    response = client.get("/annuaire/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    items = json.loads(response.get_data(as_text=True))
    assert list(items[0]) == list(EXPORT_COLUMNS)
    cio = next(i for i in items if i["slug"] == "cio-orleans")
    assert cio["cep_operator"] is False and cio["publics"] == ["scolaire", "etudiant"]
    response = upload(client, response.get_data(), "annuaire.json")
    assert response.status_code == 303, text_of(response)
    page = text_of(client.get(response.location))
    assert f"0 structure(s) créée(s), 0 mise(s) à jour, {len(items)} inchangée(s)" in page


HEADER = "slug;name;network;parent_slug;commune;commune_code;publics;themes;cep_operator;convention\n"


def test_import_creates_and_updates_by_slug(client, app, directory):
    login(client, ADMIN)
    content = (HEADER +
               "pij-fleury-antenne;PIJ de Fleury — antenne;info_jeunesse;pij-fleury;Fleury-les-Aubrais 45400;;"
               "scolaire;mobilite;non;regionale\n"
               "pij-fleury;PIJ de Fleury-les-Aubrais;info_jeunesse;;Fleury-les-Aubrais;;scolaire etudiant;"
               "choisir-un-metier;non;regionale\n"
               "cio-orleans;CIO d'Orléans;cio;;Orléans;45234;scolaire etudiant;choisir-un-metier;non;etat\n")
    response = upload(client, ("\ufeff" + content).encode(), "structures.csv")
    assert response.status_code == 303, text_of(response)
    assert "2 structure(s) créée(s), 1 mise(s) à jour, 0 inchangée(s)" in text_of(client.get(response.location))
    with app.app_context():
        antenna, cio = structure("pij-fleury-antenne"), structure("cio-orleans")
        assert antenna.parent.slug == "pij-fleury" and antenna.commune_code == "45147"
        assert cio.themes == ["choisir-un-metier"] and cio.phone is None  # absent columns are emptied
        assert sorted(structure_events()) == ["structure.created", "structure.created", "structure.updated"]


def test_import_with_a_bad_line_stores_nothing_and_names_the_line(client, app, directory):
    login(client, ADMIN)
    with app.app_context():
        before = count_structures()
    content = (HEADER.replace(";", ",") +
               "pij-fleury,PIJ de Fleury,info_jeunesse,,Fleury-les-Aubrais,,scolaire,mobilite,non,regionale\n"
               "pij-bad,PIJ inconnu,reseau_imaginaire,parent-absent,Atlantis,,martien,cuisine,peut-etre,mairie\n"
               "pij-fleury,Doublon,info_jeunesse,,Orléans,45000,,,oui,etat\n")
    response = upload(client, content.encode(), "structures.csv")
    assert response.status_code == 422
    page = text_of(response)
    assert "aucune structure n'a été enregistrée" in page and "Ligne 2" not in page
    line3 = re.search(r"<strong>Ligne 3</strong> : ([^<]+)", page).group(1)
    for problem in ("Réseau : valeur inconnue « reseau_imaginaire »", "Publics : valeur inconnue « martien »",
                    "Thématiques : valeur inconnue « cuisine »", "Opérateur CEP",
                    "Type de convention : valeur inconnue « mairie »", "Commune introuvable",
                    "structure parente « parent-absent » inconnue"):
        assert problem in line3, problem
    line4 = re.search(r"<strong>Ligne 4</strong> : ([^<]+)", page).group(1)
    assert "« pij-fleury » déjà présent plus haut" in line4
    assert "code officiel de commune inconnu : « 45000 »" in line4  # a postal code, not the INSEE code
    with app.app_context():
        assert count_structures() == before and structure("pij-fleury") is None


def test_import_refuses_cycles_unknown_columns_encodings_and_big_files(client, app, directory):
    login(client, ADMIN)
    items = [{"slug": "a-one", "name": "A", "network": "cio", "parent_slug": "a-two", "commune_code": "45234",
              "convention": "etat"},
             {"slug": "a-two", "name": "B", "network": "cio", "parent_slug": "a-one", "commune": "Orléans",
              "convention": "etat", "departement": "18"}, "not an object"]
    page = text_of(upload(client, json.dumps(items).encode(), "cycle.json"))
    assert "<strong>Élément 1</strong> : la chaîne des structures parentes" in page
    assert "le département 18 n'est pas celui de Orléans" in page and "<strong>Élément 3</strong>" in page
    response = upload(client, "Identifiant;prénom\nx;y\n".encode(), "bad.csv")
    assert response.status_code == 422 and "Colonnes inconnues : prénom" in text_of(response)
    assert "Colonnes attendues (celles de l'export) : Identifiant, Nom, Réseau" in text_of(response)
    response = upload(client, HEADER.encode("latin-1") + "é;é\n".encode("latin-1"), "latin.csv")
    assert "n'est pas encodé en UTF-8" in text_of(response)
    response = upload(client, b"x" * (2 * 1024 * 1024 + 1), "big.csv")
    assert response.status_code == 422 and "2 Mo" in text_of(response)
    response = upload(client, b"x" * (3 * 1024 * 1024), "huge.csv")  # refused before reading it
    assert response.status_code == 413 and "2 Mo" in text_of(response)
    response = upload(client, b"[", "broken.json")
    assert response.status_code == 422 and "JSON est illisible" in text_of(response)
    with app.app_context():
        assert structure("a-one") is None
