"""Hostile inputs a user or client can send: odd numbers, deep or huge JSON, header-breaking values,
invalid UTF-8, broken uploads. Each one gets a 4xx with a French message (JSON for the API), never a 500."""
import html
import io
import json

import pytest
from conftest import api_token, csrf_from, get_user, login
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import HumanTask
from webapp.operations.journeys import start_journey

BEYOND_64_BITS = "18446744073709551617"
HOSTILE_NUMBERS = {
    "beyond-64-bits": BEYOND_64_BITS,
    "arabic-indic": "١٢٣",
    "fullwidth": "１２３",
    "superscript": "²",
    "5000-digits": "9" * 5000,
    "negative": "-1",
    "19-digits": "1" * 19,
    "beyond-32-bits": "2147483648",
}
NOT_FOUND_PAGE = "Cette page n'existe pas ou vous n'y avez pas accès."
BAD_PAGE = "Numéro de page invalide"


def open_task(app, username="claire.martin") -> int:
    """The first task of a new reception in the user's structure."""
    with app.app_context():
        journey = start_journey(get_user(username), "accueil")
        db.session.commit()
        return db.session.scalar(select(HumanTask.id).where(HumanTask.journey_id == journey.id))


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- Ids in addresses -------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["/taches/{}", "/personnes/{}", "/annuaire/{}", "/annuaire/{}/modifier",
                                     "/cep/parcours/{}/synthese.pdf", "/pilotage/decisions/orientation_partenaire"
                                                                       "/version/{}.dmn"])
def test_odd_ids_in_screen_addresses_are_not_found(client, address):
    """Does an id beyond 64 bits, in other digits than 0-9, of 5,000 digits or negative answer the
    French « page not found », as any unknown dossier does?"""
    login(client, "claire.martin")
    for name, number in HOSTILE_NUMBERS.items():
        response = client.get(address.format(number))
        assert response.status_code == 404, name
        assert NOT_FOUND_PAGE in page_text(response), name


@pytest.mark.parametrize("method, address", [("GET", "/api/v1/tasks/{}"), ("GET", "/api/v1/people/{}"),
                                             ("POST", "/api/v1/tasks/{}/claim"),
                                             ("POST", "/api/v1/tasks/{}/complete"),
                                             ("GET", "/api/v1/journeys/{}/funding-plan")])
def test_odd_ids_in_api_addresses_are_not_found(client, method, address):
    """Does the API answer those ids with its French JSON 404?"""
    headers = api_token(client, "claire.martin")
    for name, number in HOSTILE_NUMBERS.items():
        response = client.open(address.format(number), method=method, headers=headers, json={"data": {}})
        assert response.status_code == 404, name
        assert response.get_json() == {"message": "Cette adresse de l'API n'existe pas."}, name


def test_the_largest_id_a_column_holds_is_simply_unknown(client):
    """Is the largest id an `integer` column holds an ordinary unknown task, on screens and in the API?"""
    login(client, "claire.martin")
    largest = "2147483647"
    assert client.get(f"/taches/{largest}").status_code == 404
    response = client.get(f"/api/v1/tasks/{largest}", headers=api_token(client, "claire.martin"))
    assert response.status_code == 404 and response.get_json()["message"]


# --- Page numbers and ids in query strings and forms ---------------------------------------------

PAGED_SCREENS = {"claire.martin": ["/taches?scope=mine", "/taches?scope=queue", "/personnes?filtre=recents",
                                   "/annuaire?", "/messages?", "/orientations/envoyees?"],
                 "isabelle.roux": ["/orientations/recues?"], "olivier.lambert": ["/coordination?"],
                 "sophie.marchand": ["/cep/?", "/cep/financements?"]}


@pytest.mark.parametrize("user", PAGED_SCREENS)
def test_odd_page_numbers_on_screens_are_refused_in_french(client, user):
    """Does every paged screen answer an odd page number (0 included) with a French 400 naming the page?"""
    login(client, user)
    for address in PAGED_SCREENS[user]:
        for name, number in {**HOSTILE_NUMBERS, "zero": "0", "letters": "deux"}.items():
            response = client.get(f"{address}&page={number}")
            assert response.status_code == 400, (address, name)
            assert BAD_PAGE in page_text(response), (address, name)


def test_a_page_far_beyond_the_list_is_refused_and_a_real_one_still_reads(client):
    """Is a page beyond the bound refused while page 2 of the directory still shows?"""
    login(client, "claire.martin")
    assert client.get("/annuaire?page=1000001").status_code == 400
    assert client.get("/annuaire?page=2").status_code == 200
    assert client.get("/annuaire?page=").status_code == 200


@pytest.mark.parametrize("address", ["/api/v1/tasks", "/api/v1/referrals"])
def test_odd_page_numbers_in_the_api_name_the_page(client, address):
    """Does the API answer an odd page number with a French 400 on the « page » parameter?"""
    headers = api_token(client, "claire.martin")
    for name, number in HOSTILE_NUMBERS.items():
        response = client.get(f"{address}?page={number}", headers=headers)
        assert response.status_code == 400, name
        assert set(response.get_json()["errors"]) == {"page"}, name


@pytest.mark.parametrize("number", [BEYOND_64_BITS, "١٢٣", "9" * 5000])
def test_odd_person_ids_in_a_query_string_never_fail(client, number):
    """Does an odd dossier number in « autre_id » (merge) or « structure » (messages) answer without a 500?"""
    login(client, "claire.martin")
    person = client.post("/accueil/nouveau", data={"anonyme": "oui", "csrf_token": csrf_from(
        page_text(client.get("/accueil/nouveau")))})
    assert person.status_code in (302, 303)
    merge = client.get(f"/personnes/1/fusionner?autre_id={number}")
    assert merge.status_code in (200, 303, 400, 404) and "Erreur interne" not in page_text(merge)
    assert client.get(f"/messages?structure={number}").status_code == 200


@pytest.mark.parametrize("number", [BEYOND_64_BITS, "١٢٣", "9" * 5000, "-3"])
def test_odd_user_ids_in_a_reassignment_form_are_refused(app, client, number):
    """Does reassigning a task to an odd user id answer a French refusal, the task unchanged?"""
    task_id = open_task(app)
    login(client, "claire.martin")
    token = csrf_from(page_text(client.get(f"/taches/{task_id}")))
    response = client.post(f"/taches/{task_id}/reaffecter", data={"user_id": number, "csrf_token": token})
    assert 400 <= response.status_code < 500
    assert "Erreur interne" not in page_text(response)


@pytest.mark.parametrize("body", [{"user_id": int(BEYOND_64_BITS)}, {"user_id": -1}, {"user_id": "١٢٣"}])
def test_odd_user_ids_in_an_api_reassignment_name_the_field(app, client, body):
    """Does the API refuse an odd user id with a French 400 on « user_id »?"""
    task_id = open_task(app)
    response = client.post(f"/api/v1/tasks/{task_id}/reassign", json=body,
                           headers=api_token(client, "claire.martin"))
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"user_id"}


# --- JSON bodies ---------------------------------------------------------------------------

def post_raw_json(client, text: str | bytes):
    return client.post("/api/v1/journeys", data=text, content_type="application/json",
                       headers=api_token(client, "claire.martin"))


def test_json_nested_ten_thousand_deep_is_refused(client):
    """Is a body nested 10,000 levels deep refused with a French 400, not a recursion crash?"""
    response = post_raw_json(client, '{"process_key": ' + "[" * 10_000 + "]" * 10_000 + "}")
    assert response.status_code == 400
    assert "trop imbriqué" in response.get_json()["message"]


def test_json_nested_past_the_limit_in_form_data_is_refused(app, client):
    """Is form data nested past 32 levels refused before any check walks it?"""
    task_id = open_task(app)
    data = {}
    for _ in range(40):
        data = {"x": data}
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data},
                           headers=api_token(client, "claire.martin"))
    assert response.status_code == 400
    assert "trop imbriqué" in response.get_json()["message"]


@pytest.mark.parametrize("text", ['{"process_key": "accueil", "person_id": ' + "9" * 5000 + "}",
                                  '{"process_key": "accueil", "person_id": NaN}',
                                  '{"process_key": "accueil", "person_id": 1e999}',
                                  '{"process_key": "accueil", "person_id": Infinity}',
                                  b'{"process_key": "\xff\xfe"}', '{"process_key": '])
def test_numbers_and_text_that_are_not_json_are_refused(client, text):
    """Are a 5,000-digit number, NaN, an infinite float, invalid UTF-8 and truncated JSON a French 400?"""
    response = post_raw_json(client, text)
    assert response.status_code == 400
    assert response.get_json()["message"] == "Le corps de la requête doit être un objet JSON."


@pytest.mark.parametrize("person_id", [int(BEYOND_64_BITS), 2**31, 10 ** 4000, 0])
def test_out_of_range_person_ids_in_json_name_the_field(client, person_id):
    response = client.post("/api/v1/journeys", json={"process_key": "accueil", "person_id": person_id},
                           headers=api_token(client, "claire.martin"))
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"person_id"}


def test_a_huge_json_body_is_refused_with_a_french_413(client):
    """Is a body over the 3 MB limit refused unread, in French JSON?"""
    body = json.dumps({"process_key": "accueil", "padding": "x" * (4 * 1024 * 1024)})
    response = post_raw_json(client, body)
    assert response.status_code == 413
    assert response.get_json()["message"] == "Requête trop volumineuse (3 Mo au plus) : rien n'a été enregistré."


def test_a_huge_form_is_refused_with_a_french_page(client):
    """Is a screen form over the limit refused with the French 413 page?"""
    login(client, "claire.martin")
    response = client.post("/accueil/nouveau", data={"nom": "x" * (4 * 1024 * 1024)})
    assert response.status_code == 413
    assert "trop volumineux (3 Mo au plus)" in page_text(response)


# --- Header-breaking values, invalid UTF-8 ----------------------------------------------------

@pytest.mark.parametrize("address", ["/pilotage/decisions/orientation%0d%0aSet-Cookie:%20x=1",
                                     "/territoires/bassins/45%0aLocation:%20http://evil.example",
                                     "/pilotage/decisions/orientation_partenaire/version/1%0a.dmn"])
def test_newlines_in_addresses_never_reach_a_header(client, address):
    """Does an address carrying CR/LF answer a French 404, no header injected?"""
    login(client, "julien.mercier")
    response = client.get(address)
    assert response.status_code == 404
    assert NOT_FOUND_PAGE in page_text(response) or "introuvable" in page_text(response)
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    assert "evil.example" not in response.headers.get("Location", "")


def test_a_newline_in_an_uploaded_file_name_is_harmless(client):
    """Does a DMN upload whose file name carries CR/LF answer with the usual French refusal?"""
    login(client, "julien.mercier")
    token = csrf_from(page_text(client.get("/pilotage/decisions/orientation_partenaire")))
    response = client.post("/pilotage/decisions/orientation_partenaire", data={
        "csrf_token": token, "fichier": (io.BytesIO(b"<pas du DMN/>"), "a\r\nSet-Cookie: x=1.dmn")},
        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "Rien n'a été publié" in page_text(response)
    assert "x=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("address", ["/personnes?q=%ff%fe", "/accueil/nouveau?prenom=%ff&nom=%c3%28",
                                     "/annuaire?q=%ed%a0%80", "/taches?person=%ff"])
def test_invalid_utf8_in_query_strings_is_read_as_text(client, address):
    """Do bytes that are not UTF-8 in a query string show the screen (read as replacement characters)?"""
    login(client, "claire.martin")
    assert client.get(address).status_code == 200


def test_invalid_utf8_in_the_api_query_string_is_searched_as_text(client):
    response = client.get("/api/v1/people?q=%ff%fe", headers=api_token(client, "claire.martin"))
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_invalid_utf8_in_a_form_is_refused_or_read_as_text(client):
    """Does a reception form with bytes that are not UTF-8 answer a page, never a 500?"""
    login(client, "claire.martin")
    token = csrf_from(page_text(client.get("/accueil/nouveau")))
    response = client.post("/accueil/nouveau", data=f"csrf_token={token}&prenom=%ff%fe&nom=%c3%28&anonyme=non",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 303, 422)


def test_invalid_utf8_in_the_sign_in_form_is_a_failed_sign_in(client):
    token = csrf_from(page_text(client.get("/login")))
    response = client.post("/login", data=f"csrf_token={token}&username=%ff%fe&password=%c3%28",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (401, 429)
    assert "Erreur interne" not in page_text(response)


# --- Malformed multipart uploads -------------------------------------------------------------

def multipart(token: str, file_part: bytes, boundary: str = "XyZ") -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\n").encode() + file_part


BROKEN_FILE_PARTS = {
    "truncated": b'Content-Disposition: form-data; name="fichier"; filename="a.csv"\r\n\r\nnom;ville\r\n',
    "no-headers": b"\r\n\r\n\xff\xfe",
    "no-disposition": b"Content-Type: text/csv\r\n\r\nnom\r\n--XyZ--\r\n",
    "header-without-colon": b"Content-Disposition form-data\r\n\r\nnom\r\n--XyZ--\r\n",
    "huge-header": b"Content-Disposition: form-data; name=\"fichier\"; filename=\"" + b"a" * 100_000
                   + b'"\r\n\r\nx\r\n--XyZ--\r\n',
}


@pytest.mark.parametrize("user, address, form", [
    ("nathalie.bernard", "/annuaire/importer", "/annuaire/importer"),
    ("julien.mercier", "/pilotage/decisions/orientation_partenaire", "/pilotage/decisions/orientation_partenaire")])
@pytest.mark.parametrize("part", BROKEN_FILE_PARTS.values(), ids=BROKEN_FILE_PARTS.keys())
def test_malformed_multipart_uploads_are_refused_in_french(client, user, address, form, part):
    """Is a broken multipart body on an upload endpoint refused with a French page, nothing stored?"""
    login(client, user)
    token = csrf_from(page_text(client.get(form)))
    response = client.post(address, data=multipart(token, part),
                           content_type="multipart/form-data; boundary=XyZ", follow_redirects=True)
    assert response.status_code in (200, 400, 413, 422)
    text = page_text(response)
    assert "Erreur interne" not in text
    assert any(words in text for words in ("Choisissez un fichier", "Rien n'a été publié", "Requête invalide",
                                            "formulaire a expiré", "Trop volumineux", "Colonnes inconnues"))


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=",
                                          "multipart/form-data; boundary=" + "b" * 5000])
def test_multipart_without_a_usable_boundary_is_refused(client, content_type):
    login(client, "nathalie.bernard")
    response = client.post("/annuaire/importer", data=b"--b\r\n\r\n", content_type=content_type)
    assert response.status_code == 400
    assert "Erreur interne" not in page_text(response)


def test_the_people_list_reads_only_ascii_page_numbers(client):
    """« ١٢٣ » is no page number for the API's people list: a French 400 naming the field."""
    headers = api_token(client, "claire.martin")
    for page in ("١٢٣", "１２", "9" * 20):
        response = client.get(f"/api/v1/people?page={page}", headers=headers)
        assert response.status_code == 400, page
        assert "page" in response.get_data(as_text=True)


# --- Hostile or broken diagrams saved by the editor (the studio's JSON save) ----------------------

from pathlib import Path  # noqa: E402  (this section's own needs)

from sqlalchemy import func  # noqa: E402

from webapp.models import DefinitionDraft  # noqa: E402

ACCUEIL = (Path(__file__).resolve().parent.parent / "processes" / "accueil.bpmn").read_text(encoding="utf-8")
EDITOR_SAVE = "/pilotage/parcours/accueil/brouillon.json"
CONDITION = 'reponse == "documentation"'
USER_TASK = '<bpmn:userTask id="accueillir"'


def _on_accueil_task(extension: str) -> str:
    """accueil.bpmn with something added to the extension elements of « Accueillir la personne »."""
    start = ACCUEIL.index(USER_TASK)
    at = ACCUEIL.index("<bpmn:extensionElements>", start) + len("<bpmn:extensionElements>")
    return ACCUEIL[:at] + extension + ACCUEIL[at:]


def _with_namespace(xml: str, prefix: str, uri: str) -> str:
    return xml.replace("<bpmn:definitions ", f'<bpmn:definitions xmlns:{prefix}="{uri}" ', 1)


HOSTILE_DIAGRAMS = {
    # name: (XML, element named or None for the whole file, words of the French message)
    "external entity": ('<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                        + ACCUEIL.split("?>", 1)[1].replace(CONDITION, "&xxe;"), None, "DOCTYPE"),
    "entity expansion": ('<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                         + ACCUEIL.split("?>", 1)[1], None, "DOCTYPE"),
    "oversized": (ACCUEIL.replace("</bpmn:definitions>", "<!--" + "x" * 1_100_000 + "--></bpmn:definitions>"), None,
                  "Fichier trop volumineux"),
    "invalid XML": (ACCUEIL[:4000], None, "XML mal formé"),
    "script task": (ACCUEIL.replace(USER_TASK, '<bpmn:scriptTask id="pirate" scriptFormat="python"><bpmn:script>'
                                    "import os</bpmn:script></bpmn:scriptTask>" + USER_TASK), "pirate",
                    "Tâche de script refusée"),
    "groovy in a Camunda listener": (_with_namespace(_on_accueil_task(
        '<camunda:executionListener event="start"><camunda:script scriptFormat="groovy">"id".execute()'
        "</camunda:script></camunda:executionListener>"), "camunda", "http://camunda.org/schema/1.0/bpmn"),
        "accueillir", "Script refusé"),
    "code in a condition": (ACCUEIL.replace(CONDITION, "__import__('os').system('id')"), "flux_reponse_documentation",
                            "Appel de fonction interdit"),
    "code in a Camunda condition": (ACCUEIL.replace(CONDITION, '${Runtime.getRuntime().exec("id")}'),
                                    "flux_reponse_documentation", "appelle du code"),
    "code in a task title": (_on_accueil_task('<spiffworkflow:properties><spiffworkflow:property name="titleFromData" '
                                              'value="personne.__class__" /></spiffworkflow:properties>'),
                             "accueillir", "Construction interdite"),
    "code in a timer": (ACCUEIL.replace(USER_TASK, '<bpmn:boundaryEvent id="minuteur" name="Minuteur" '
                                        'attachedToRef="accueillir"><bpmn:timerEventDefinition id="m_def">'
                                        "<bpmn:timeDate>open('/etc/passwd').read()</bpmn:timeDate>"
                                        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>" + USER_TASK),
                        "minuteur", "Appel de fonction interdit"),
    "inclusion of another file": (_with_namespace(
        _on_accueil_task('<xi:include href="file:///etc/passwd" parse="text" />'), "xi",
        "http://www.w3.org/2001/XInclude"), "accueillir", "Inclusion XInclude refusée"),
    "unknown service operation": (ACCUEIL.replace('id="cep.operateur"', 'id="os.system"'), "operateur_cep",
                                  "opération « os.system » inconnue"),
}


@pytest.fixture
def drafts(app):
    """Counts the drafts; any left behind by a failing test is removed."""
    def count():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(DefinitionDraft))
    yield count
    with app.app_context():
        db.session.execute(DefinitionDraft.__table__.delete())
        db.session.commit()


@pytest.mark.parametrize("name", HOSTILE_DIAGRAMS)
def test_hostile_diagrams_saved_by_the_editor_are_refused_and_nothing_is_stored(client, drafts, name):
    """Is each hostile or broken diagram refused with a French 422 naming the element and what to fix,
    no draft stored, nothing of the file system read?"""
    xml, element_id, words = HOSTILE_DIAGRAMS[name]
    login(client, "julien.mercier")
    token = csrf_from(page_text(client.get("/pilotage/parcours/accueil")))
    before = drafts()
    response = client.post(EDITOR_SAVE, json={"xml": xml}, headers={"X-CSRFToken": token})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["saved"] is False
    named = [p for p in body["problems"] if words in p["message"]]
    assert named and named[0]["element"] == element_id, body["problems"]
    assert all("root:" not in p["message"] and "Traceback" not in p["message"] for p in body["problems"])
    assert drafts() == before


def test_the_untouched_diagram_is_saved_by_the_same_route(client, drafts):
    """The route refuses for the reasons above only: the shipped diagram itself is saved."""
    login(client, "julien.mercier")
    token = csrf_from(page_text(client.get("/pilotage/parcours/accueil")))
    response = client.post(EDITOR_SAVE, json={"xml": ACCUEIL}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert drafts() == 1
