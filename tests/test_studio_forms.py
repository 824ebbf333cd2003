"""The studio's form editor: the preview is the task page's own rendering, refusals are French and
located, a form saved into the draft is published with the journey's next version (new journeys
use it, running ones keep theirs) and is never reverted by the forms folder afterwards."""
import html
import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conftest import csrf_from, get_user, login
from test_studio_versions import ACCUEIL, ADVISER, PILOTE, edited_accueil
from webapp.extensions import db
from webapp.models import DefinitionDraft, DefinitionVersion, HumanTask, Journey
from webapp.operations.journeys import start_journey
from webapp.operations.studio_forms import MAX_FORM_BYTES, checked_form
from webapp.queries.definitions import current_version

FORMS = Path(__file__).resolve().parent.parent / "forms"
PERSONNE = "accueil_personne.schema.json"
EDITOR = f"/pilotage/parcours/accueil/formulaires/{PERSONNE}"
PREVIEW = "/pilotage/formulaires/apercu"


def _texts(name: str) -> tuple[str, str]:
    return ((FORMS / name).read_text(), (FORMS / name.replace(".schema.json", ".ui.json")).read_text())


def _pilote(app):
    client = app.test_client()
    login(client, PILOTE)
    return client, csrf_from(client.get(EDITOR).get_data(as_text=True))


def _preview(client, token, schema, ui=""):
    return client.post(PREVIEW, json={"schema": schema, "ui": ui}, headers={"X-CSRFToken": token})


def _text(response) -> str:
    """The page's text as people read it (entities decoded, non-breaking spaces as spaces)."""
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def _field_ids(page: str) -> list[str]:
    return re.findall(r'id="champ-([a-z0-9_]+)"', page)


def _first_task(app, username=ADVISER) -> int:
    with app.app_context():
        journey = start_journey(get_user(username), "accueil")
        db.session.commit()
        return db.session.scalar(select(HumanTask.id).where(HumanTask.journey_id == journey.id))


def _save(client, token, name, schema, ui, key="accueil"):
    return client.post(f"/pilotage/parcours/{key}/formulaires/{name}",
                       data={"csrf_token": token, "schema": schema, "ui": ui})


def _publish(client, note="Formulaire revu", key="accueil") -> str:
    token = csrf_from(client.get(f"/pilotage/parcours/{key}").get_data(as_text=True))
    return html.unescape(client.post(f"/pilotage/parcours/{key}/publier", data={"csrf_token": token, "note": note},
                                     follow_redirects=True).get_data(as_text=True))


def test_the_preview_draws_the_fields_the_task_page_draws(app):
    adviser = app.test_client()
    login(adviser, ADVISER)
    task_page = adviser.get(f"/taches/{_first_task(app)}").get_data(as_text=True)
    client, token = _pilote(app)
    response = _preview(client, token, *_texts(PERSONNE))
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert _field_ids(fragment) == _field_ids(task_page) and len(_field_ids(fragment)) >= 5
    for label in re.findall(r'<label for="f-([a-z_]+)">', task_page):
        assert f'<label for="f-{label}">' in fragment
    assert 'data-show-when="anonyme=false"' in task_page and 'data-show-when="anonyme=false"' in fragment


def test_the_editor_lists_the_forms_with_their_steps_and_opens_one(app):
    client, _token = _pilote(app)
    page = _text(client.get("/pilotage/parcours/accueil/formulaires"))
    assert "accueil_personne.schema.json" in page and "« Accueillir la personne »" in page
    assert "accueil_analyse.schema.json" in page and "« Analyser la demande »" in page
    page = html.unescape(client.get(EDITOR).get_data(as_text=True))
    assert "Enregistrer dans le brouillon" in page and "Aperçu" in page and 'id="champ-prenom"' in page
    new = client.get("/pilotage/parcours/accueil/formulaires?nouveau=accueil_bilan")
    assert new.status_code == 302 and new.headers["Location"].endswith("/formulaires/accueil_bilan.schema.json")
    page = html.unescape(client.get(new.headers["Location"]).get_data(as_text=True))
    assert "un modèle : nouveau formulaire" in page and 'id="champ-commentaire"' in page
    assert "Nom de formulaire invalide" in html.unescape(
        client.get("/pilotage/parcours/accueil/formulaires?nouveau=../etc").get_data(as_text=True))
    assert client.get("/pilotage/parcours/accueil/formulaires/..%2Fsecret.json").status_code == 404
    assert client.get("/pilotage/parcours/inconnu/formulaires").status_code == 404


@pytest.mark.parametrize("schema, expected", [
    ('{"type": "object",\n "properties": {,}}', "JSON invalide ligne 2, colonne 17"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}', "JSON invalide ligne 1"),
    ("[1, 2]", "un objet JSON est attendu"),
    ("", "vide"),
    ('{"type": "object", "properties": {"a": {"$ref": "https://evil.example/x.json"}}}', "« $ref »"),
    ('{"$ref": "#/$defs/x", "type": "object", "properties": {"a": {"type": "string"}}}', "références ($ref)"),
    ('{"type": "object", "properties": {"a": {"type": "number"}}}', "type « number » non pris en charge"),
    ('{"type": "object", "properties": {"a": {"type": "string", "pattern": "(a+)+$"}}}', "« pattern »"),
    ('{"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}', "format « date »"),
    ('{"type": "object", "properties": {"a": {"type": "string", "x-check": "magie"}}}', "« x-check » inconnu"),
    ('{"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}}',
     "a besoin de ses choix"),
    ('{"type": "object", "properties": {"_a": {"type": "string"}}}', "nom de champ invalide"),
    ('{"type": "object", "properties": {"a": {"type": "string", "enum": ["x"], "x-enumNames": ["X", "Y"]}}}',
     "autant de libellés"),
    ('{"type": "object", "properties": {"d": {"type": "string", "format": "date", "x-not-before": {"field": "d", '
     '"explain": "e", "message": "{0.__class__}", "help": "x"}}, "e": {"type": "string"}}}', "n'emploie que {date}"),
    ('{"type": "object", "properties": {"d": {"type": "string", "format": "date", "x-not-before": {"field": "d", '
     '"explain": "e", "message": "{date.__class__}", "help": "x"}}, "e": {"type": "string"}}}', "n'emploie que"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}', "« required »"),
    ('{"type": "object", "properties": {"a": {"type": "string", "title": "x\\ud800"}}}', "caractère non permis"),
    ('{"type": "object", "properties": {"a": {"type": "string", "maxLength": -3}}}', "non conforme à la norme"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}, "allOf": [{"if": {"properties": {"a": '
     '{"pattern": "x"}}}, "then": {"required": ["a"]}}]}', "Condition"),
])
def test_a_schema_the_renderer_cannot_take_is_refused_in_french_with_422(app, schema, expected):
    client, token = _pilote(app)
    response = _preview(client, token, schema)
    assert response.status_code == 422
    message = html.unescape(response.get_data(as_text=True))
    assert "Aperçu impossible" in message and expected in message, message


def test_the_ui_schema_size_and_field_count_are_capped(app):
    client, token = _pilote(app)
    schema, _ui = _texts(PERSONNE)
    for ui, expected in (('{"ui:order": ["inconnu"]}', "ui:order"),
                         ('{"prenom": {"ui:widget": "slider"}}', "ui:widget"),
                         ('{"ui:order": [}', "Schéma d'affichage : JSON invalide ligne 1, colonne 15")):
        message = html.unescape(_preview(client, token, schema, ui).get_data(as_text=True))
        assert expected in message, message
    huge = json.dumps({"type": "object", "properties": {"a": {"type": "string", "description": "x" * MAX_FORM_BYTES}}})
    assert "trop volumineux" in html.unescape(_preview(client, token, huge).get_data(as_text=True))
    many = json.dumps({"type": "object", "properties": {f"c{i}": {"type": "string"} for i in range(200)}})
    assert "Trop de champs" in html.unescape(_preview(client, token, many).get_data(as_text=True))
    deep = "[" * 5000 + "]" * 5000
    assert _preview(client, token, deep).status_code == 422
    assert client.post(PREVIEW, data="pas du json", headers={"X-CSRFToken": token}).status_code == 422
    assert client.post(PREVIEW, json={"schema": schema}).status_code == 400  # no CSRF token


def test_every_shipped_form_is_accepted_and_mutations_never_crash_the_renderer(ctx):
    shipped = sorted(FORMS.glob("*.schema.json"))
    for path in shipped:
        checked_form(*_texts(path.name))
    values = [None, True, 0, -1, 10 ** 12, "", "x", "date", "{0}", [], ["a"], {}, {"type": "string"}, [{}]]
    rng = random.Random(9)
    for _round in range(400):
        schema = json.loads(rng.choice(shipped).read_text())
        props = schema["properties"]
        name = rng.choice(sorted(props))
        target = props[name] if rng.random() < .8 else schema
        key = rng.choice(sorted(target) + ["enum", "items", "x-enumNames", "x-vocabulary", "required", "allOf"])
        target[key] = rng.choice(values)
        try:
            checked_form(json.dumps(schema), "{}")
        except Exception as exc:  # noqa: BLE001
            assert type(exc).__name__ == "FormRefused", (key, target[key], exc)


def test_only_process_owners_edit_forms(app, client):
    login(client, ADVISER)
    for url in ("/pilotage/parcours/accueil/formulaires", EDITOR, "/pilotage/tables/orientation_partenaire/editeur",
                "/pilotage/tables/orientation_partenaire/editeur/table.json"):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert _preview(client, token, *_texts(PERSONNE)).status_code == 403
    assert _save(client, token, PERSONNE, *_texts(PERSONNE)).status_code == 403


def test_an_edited_form_is_published_with_the_next_version_and_running_journeys_keep_theirs(app, restore_versions):
    adviser = app.test_client()
    login(adviser, ADVISER)
    before_task = _first_task(app)
    client, token = _pilote(app)
    schema, ui = _texts(PERSONNE)
    edited = schema.replace('"title": "Prénom"', '"title": "Prénom d\'usage"')
    refused = _save(client, token, PERSONNE, edited + "}", ui)
    assert refused.status_code == 422 and "Rien n&#39;a été enregistré" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(DefinitionDraft)) is None
    saved = _save(client, token, PERSONNE, edited, ui)
    assert saved.status_code == 303
    with app.app_context():
        draft = db.session.scalar(select(DefinitionDraft).where(DefinitionDraft.process_key == "accueil"))
        assert draft.problems == [] and draft.xml == current_version("accueil").bpmn_xml
        assert draft.forms[PERSONNE]["schema"]["properties"]["prenom"]["title"] == "Prénom d'usage"
    page = _publish(client)
    assert "publiée" in page
    after_task = _first_task(app)
    old_page, new_page = (html.unescape(adviser.get(f"/taches/{t}").get_data(as_text=True))
                          for t in (before_task, after_task))
    assert "Prénom d'usage" in new_page and "Prénom d'usage" not in old_page and "Prénom" in old_page
    with app.app_context():
        old, new = (db.session.get(Journey, db.session.get(HumanTask, t).journey_id).definition
                    for t in (before_task, after_task))
        assert old.forms[PERSONNE]["schema"]["properties"]["prenom"]["title"] == "Prénom"
        assert new.version == old.version + 1 and new.is_current

    # A later change of the diagram alone keeps the edited form (the forms folder does not revert it)
    token = csrf_from(client.get("/pilotage/parcours/accueil").get_data(as_text=True))
    answer = client.post("/pilotage/parcours/accueil/brouillon.json", json={"xml": edited_accueil()},
                         headers={"X-CSRFToken": token})
    assert answer.get_json()["saved"] is True and answer.get_json()["problems"] == []
    assert "publiée" in _publish(client, "Vérification du dossier")
    with app.app_context():
        assert current_version("accueil").forms[PERSONNE]["schema"]["properties"]["prenom"]["title"] == \
            "Prénom d'usage"


def test_a_form_created_in_the_studio_can_be_used_by_a_task(app, restore_versions):
    client, token = _pilote(app)
    name = "accueil_verification.schema.json"
    task_end = ('        </spiffworkflow:properties>\n      </bpmn:extensionElements>\n'
                '      <bpmn:incoming>flux_accueillir_analyser')
    xml = edited_accueil().replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="accueil_analyse.schema.json" />\n' + task_end,
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{name}" />\n' + task_end)
    assert name in xml
    answer = client.post("/pilotage/parcours/accueil/brouillon.json", json={"xml": xml}, headers={"X-CSRFToken": token})
    problems = answer.get_json()["problems"]
    assert answer.get_json()["saved"] and [p["message"] for p in problems] == [f"Formulaire introuvable : {name}."]
    schema = {"type": "object", "title": "Vérifier le dossier", "properties": {
        "pieces": {"type": "boolean", "title": "Pièces vérifiées"},
        "remarque": {"type": "string", "title": "Remarque", "maxLength": 500}}, "required": ["pieces"],
        "additionalProperties": False}
    page = _text(client.get(f"/pilotage/parcours/accueil/formulaires/{name}"))
    assert "nouveau formulaire" in page and "« Vérifier le dossier »" in page  # the step that waits for it
    assert _save(client, token, name, json.dumps(schema), "").status_code == 303
    with app.app_context():
        draft = db.session.scalar(select(DefinitionDraft).where(DefinitionDraft.process_key == "accueil"))
        assert draft.problems == [] and name in draft.forms
    assert "publiée" in _publish(client, "Vérification du dossier avec son formulaire")
    with app.app_context():
        version = current_version("accueil")
        assert version.forms[name]["schema"]["properties"]["pieces"]["title"] == "Pièces vérifiées"
        assert db.session.scalar(select(DefinitionVersion).where(DefinitionVersion.id == version.id)).spec_json


@pytest.fixture(scope="module")
def signed_in_pilote(app):
    """One signed-in client for every generated example (signing in costs more than a preview)."""
    return _pilote(app)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10 ** 6) | st.sampled_from(
        ["string", "integer", "boolean", "array", "object", "date", "radio", "x", "{0}", "$ref", "partenaires"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["type", "properties", "title", "enum", "items", "required", "allOf", "if", "then", "const", "format",
         "x-source", "x-vocabulary", "x-not-before", "ui:order", "ui:widget", "nom", "a"]), inner, max_size=5),
    max_leaves=25)


@settings(max_examples=80, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(schema=st.one_of(st.text(max_size=200), JSON_VALUES.map(json.dumps),
                        JSON_VALUES.map(lambda v: json.dumps({"type": "object", "properties": {"nom": v}}))),
       ui=st.one_of(st.none(), st.integers(), st.text(max_size=50), JSON_VALUES.map(json.dumps)))
def test_the_preview_answers_any_body_without_a_server_error(app, signed_in_pilote, schema, ui):
    client, token = signed_in_pilote
    response = client.post(PREVIEW, json={"schema": schema, "ui": ui}, headers={"X-CSRFToken": token})
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "Aperçu impossible" in html.unescape(response.get_data(as_text=True))


def test_a_form_edited_in_a_called_journey_reaches_the_journeys_that_call_it(app, restore_versions):
    """The referral's steps run inside the reception's journey, which stores their forms: publishing
    the referral with an edited form gives the reception a version of its own with that form."""
    client, token = _pilote(app)
    name = "orientation_choix.schema.json"
    schema, ui = _texts(name)
    edited = schema.replace('"title": "Motif de l\'orientation"',
                            '"title": "Motif de l\'orientation (pour le partenaire)"')
    assert edited != schema
    with app.app_context():
        reception_before = current_version("accueil").version
    assert _save(client, token, name, edited, ui, key="orientation").status_code == 303
    assert "publiée" in _publish(client, "Motif plus explicite", key="orientation")
    with app.app_context():
        for key in ("orientation", "accueil", "prise_en_charge"):
            title = current_version(key).forms[name]["schema"]["properties"]["motif"]["title"]
            assert title == "Motif de l'orientation (pour le partenaire)", key
        assert current_version("accueil").version == reception_before + 1
        assert current_version("accueil").forms[PERSONNE]["schema"] == json.loads(_texts(PERSONNE)[0])


def test_a_schema_nested_without_end_is_refused_in_french_not_a_server_error(app):
    client, token = _pilote(app)
    deep = '{"type": "object", "properties": {"a": {"type": "string", "const": ' + "[" * 400 + "]" * 400 + "}}}"
    for schema, ui in ((deep, ""), ('{"type": "object"}', '{"a": ' + "[" * 400 + "]" * 400 + "}")):
        for answer in (_preview(client, token, schema, ui), _save(client, token, PERSONNE, schema, ui)):
            assert answer.status_code == 422
            assert "trop imbriqué" in _text(answer)


def test_a_form_named_by_a_path_is_refused_and_nothing_outside_the_forms_is_read(app, tmp_path, restore_versions):
    """A diagram cannot make the studio read a file outside the forms: the name is refused when saved."""
    secret = tmp_path / "secret.json"
    secret.write_text('{"title": "VALEUR-SECRETE"}')
    client, token = _pilote(app)
    for name in (str(secret), "../../" + secret.name, "Accueil Analyse.schema.json"):
        xml = ACCUEIL.replace('value="accueil_analyse.schema.json"', f'value="{name}"', 1)
        answer = client.post("/pilotage/parcours/accueil/brouillon.json", json={"xml": xml},
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 422 and not answer.get_json()["saved"]
        assert "Nom de formulaire refusé" in answer.get_json()["problems"][0]["message"]
    listing = _text(client.get("/pilotage/parcours/accueil/formulaires"))
    assert "VALEUR-SECRETE" not in listing
