"""The studio's BPMN editor, server side: the page, the diagram it opens (draft, else the current
version) and the properties panel's catalogue; process owners only."""
import html
from datetime import datetime

from sqlalchemy import select


from conftest import get_user, login
from webapp.extensions import db
from webapp.models import DefinitionDraft, DefinitionVersion
from webapp.operations.services import SERVICES
from webapp.queries.definitions import current_version
from webapp.queries.studio import draft_of
from webapp.queries.studio_catalogue import SERVICE_LABELS
from webapp.views.security import CSP

PILOTE, ADVISER = "julien.mercier", "claire.martin"
EDITOR = "/pilotage/parcours/orientation/editeur"
CATALOGUE = "/pilotage/editeur/catalogue.json"


def _csrf(client) -> str:
    page = client.get(EDITOR).get_data(as_text=True)
    return html.unescape(page.split('data-csrf="', 1)[1].split('"', 1)[0])


def test_only_process_owners_use_the_editor(app, client):
    for url in (EDITOR, f"{EDITOR}/diagramme.json", CATALOGUE):
        assert client.get(url).status_code == 302, url  # to the sign-in page
    login(client, ADVISER)
    for url in (EDITOR, f"{EDITOR}/diagramme.json", CATALOGUE):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "réservé aux pilotes de processus" in html.unescape(response.get_data(as_text=True))


def test_the_editor_page_loads_the_modeler_under_the_strict_policy(client):
    login(client, PILOTE)
    response = client.get(EDITOR)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Modifier « Orientation vers un partenaire »" in page
    assert "/vendor/bpmn-js/dist/bpmn-modeler.production.min.js" in page and "/static/studio/editor.js" in page
    assert 'data-diagram-url="/pilotage/parcours/orientation/editeur/diagramme.json"' in page
    assert 'data-save-url="/pilotage/parcours/orientation/brouillon.json"' in page
    assert "Enregistrer le brouillon" in page and "Retour au parcours" in page
    assert response.headers["Content-Security-Policy"] == CSP  # bpmn-js needs no inline style or script
    assert client.get("/pilotage/parcours/inconnu/editeur").status_code == 404
    assert client.get("/pilotage/parcours/inconnu/editeur/diagramme.json").status_code == 404


def test_the_diagram_opened_is_the_draft_when_there_is_one_else_the_current_version(app, client, restore_versions):
    login(client, PILOTE)
    with app.app_context():
        current = current_version("orientation")
        number, shipped = current.version, current.bpmn_xml
    opened = client.get(f"{EDITOR}/diagramme.json").get_json()
    assert opened == {"xml": shipped, "source": f"version {number}", "stale": False, "problems": []}

    no_form = shipped.replace('<spiffworkflow:property name="formJsonSchemaFilename" '
                              'value="orientation_information.schema.json" />', "")
    assert no_form != shipped
    saved = client.post("/pilotage/parcours/orientation/brouillon.json", json={"xml": no_form},
                        headers={"X-CSRFToken": _csrf(client)}).get_json()
    assert saved["saved"] is True
    opened = client.get(f"{EDITOR}/diagramme.json").get_json()
    assert opened["source"] == "brouillon" and opened["xml"] == no_form and opened["stale"] is False
    assert opened["problems"] == [{
        "element": "informer_personne", "where": "« Informer la personne et choisir les données partagées »",
        "message": "Tâche utilisateur sans formulaire (propriété formJsonSchemaFilename)."}]

    with app.app_context():  # a version published since the draft was started
        draft = draft_of("orientation", "bpmn")
        draft.based_on_id = db.session.scalar(select(DefinitionVersion.id).where(
            DefinitionVersion.process_key == "accueil", DefinitionVersion.is_current.is_(True)))
        db.session.commit()
    assert client.get(f"{EDITOR}/diagramme.json").get_json()["stale"] is True


def test_the_catalogue_lists_roles_forms_operations_and_journeys(app, client, restore_versions):
    login(client, PILOTE)
    catalogue = client.get(CATALOGUE).get_json()
    assert catalogue["roles"] == [
        {"id": "conseiller", "label": "Conseiller"}, {"id": "conseiller_cep", "label": "Conseiller CEP"},
        {"id": "coordinateur", "label": "Coordinateur"}, {"id": "pilote", "label": "Pilote"},
        {"id": "admin", "label": "Administrateur"}]
    assert "orientation_choix.schema.json" in catalogue["forms"] and "cep_niveau1.schema.json" in catalogue["forms"]
    assert not any(f.endswith(".ui.json") for f in catalogue["forms"])
    services = {s["id"]: s for s in catalogue["services"]}
    assert set(services) == set(SERVICES)
    assert services["orientation.envoyer"] == {
        "id": "orientation.envoyer", "label": "Envoyer l'orientation au partenaire",
        "delays": {"jours_relance": app.config["REFERRAL_REMINDER_DAYS"],
                   "jours_escalade": app.config["REFERRAL_ESCALATION_DAYS"],
                   "jours_expiration": app.config["REFERRAL_EXPIRY_DAYS"]}}
    assert services["orientation.refuser"]["delays"] == {}
    journeys = {j["key"]: j["name"] for j in catalogue["journeys"]}
    assert journeys["orientation"] == "Orientation vers un partenaire" and "accueil" in journeys and "cep" in journeys
    assert "orientation_partenaire" not in journeys  # a decision table is not a journey

    # the forms edited in the studio for this journey's draft are offered on this journey only
    with app.app_context():
        db.session.add(DefinitionDraft(process_key="orientation", kind="bpmn", file_name="orientation.bpmn",
                                       xml=current_version("orientation").bpmn_xml, problems=[],
                                       forms={"orientation_verification.schema.json": {"schema": {}, "ui": {}}},
                                       updated_at=datetime(2026, 1, 5), updated_by_id=get_user(PILOTE).id))
        db.session.commit()
    assert "orientation_verification.schema.json" in client.get(f"{CATALOGUE}?parcours=orientation").get_json()["forms"]
    assert "orientation_verification.schema.json" not in client.get(f"{CATALOGUE}?parcours=accueil").get_json()["forms"]


def test_every_whitelisted_operation_has_a_french_label():
    assert set(SERVICE_LABELS) == set(SERVICES)
