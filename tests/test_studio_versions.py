"""The process owners' studio: drafts imported and checked, published as numbered versions with a
note, rolled back, compared and exported; hostile files refused with nothing stored."""
import html
import io
from pathlib import Path

from sqlalchemy import func, select

from conftest import csrf_from, get_user, login
from webapp.extensions import db
from webapp.models import AuditEvent, DefinitionDraft, DefinitionVersion, Journey
from webapp.operations.journeys import start_journey
from webapp.queries.definitions import current_version

ROOT = Path(__file__).resolve().parent.parent
ACCUEIL = (ROOT / "processes" / "accueil.bpmn").read_text()
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
PAGE = "/pilotage/parcours/accueil"
PILOTE, ADVISER = "julien.mercier", "claire.martin"


def edited_accueil() -> str:
    """accueil.bpmn with a due date on « Analyser la demande » and a task « Vérifier le dossier » added before it."""
    xml = ACCUEIL.replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="accueil_analyse.schema.json" />',
        '<spiffworkflow:property name="formJsonSchemaFilename" value="accueil_analyse.schema.json" />\n'
        '          <spiffworkflow:property name="dueInWorkingDays" value="3" />')
    xml = xml.replace('<bpmn:incoming>flux_accueillir_analyser</bpmn:incoming>\n      <bpmn:outgoing>flux_analyser',
                      '<bpmn:incoming>flux_verifier_analyser</bpmn:incoming>\n      <bpmn:outgoing>flux_analyser')
    xml = xml.replace('sourceRef="accueillir" targetRef="analyser_demande" />',
                      'sourceRef="accueillir" targetRef="verifier" />\n'
                      '    <bpmn:sequenceFlow id="flux_verifier_analyser" sourceRef="verifier" targetRef="analyser_demande" />')
    xml = xml.replace('<bpmn:exclusiveGateway id="passerelle_reponse"', """<bpmn:userTask id="verifier" name="Vérifier le dossier">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="accueil_analyse.schema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flux_accueillir_analyser</bpmn:incoming>
      <bpmn:outgoing>flux_verifier_analyser</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="passerelle_reponse\"""", 1)
    xml = xml.replace("<bpmn:flowNodeRef>accueillir</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>accueillir</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>verifier</bpmn:flowNodeRef>")
    assert xml.count("verifier") >= 6 and 'value="3"' in xml
    return xml


def _import(client, content: str | bytes, name="accueil.bpmn", page=PAGE):
    token = csrf_from(client.get(page).get_data(as_text=True))
    data = content.encode() if isinstance(content, str) else content
    return client.post(f"{page}/import", data={"csrf_token": token, "fichier": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def _publish(client, note: str, page=PAGE) -> str:
    token = csrf_from(client.get(page).get_data(as_text=True))
    return html.unescape(client.post(f"{page}/publier", data={"csrf_token": token, "note": note},
                                     follow_redirects=True).get_data(as_text=True))


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (DefinitionDraft, DefinitionVersion, AuditEvent))


def _current(app, key="accueil") -> tuple[int, str, str | None]:
    with app.app_context():
        version = current_version(key)
        return version.version, version.bpmn_xml, version.change_note


def _start(app) -> int:
    with app.app_context():
        journey = start_journey(get_user(ADVISER), "accueil")
        db.session.commit()
        return db.session.get(DefinitionVersion, journey.definition_version_id).version


def test_only_process_owners_open_the_studio(app, client):
    login(client, ADVISER)
    for url in ("/pilotage/", PAGE, f"{PAGE}/brouillon.json", f"{PAGE}/version/1.bpmn", f"{PAGE}/comparer"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "réservé aux pilotes de processus" in html.unescape(response.get_data(as_text=True))
    client = app.test_client()
    login(client, PILOTE)
    page = html.unescape(client.get("/pilotage/").get_data(as_text=True))
    assert "Studio des parcours" in page and "Accueil" in page and "orientation_partenaire" in page


def test_an_imported_version_is_published_with_its_note_and_only_new_journeys_follow_it(app, client,
                                                                                          restore_versions):
    number, shipped_xml, _ = _current(app)
    before_journey = _start(app)
    login(client, PILOTE)
    page = html.unescape(_import(client, edited_accueil()))
    assert "Brouillon enregistré : aucun problème" in page and "Publier le brouillon" in page

    page = _publish(client, "   ")
    assert "Rien n'a été publié : Indiquez la note de version" in page
    assert _current(app)[0] == number

    page = _publish(client, "Vérification du dossier avant l'analyse ; analyse sous 3 jours ouvrés.")
    assert f"Version {number + 1} publiée" in page
    assert _current(app) == (number + 1, edited_accueil(), "Vérification du dossier avant l'analyse ; "
                                                            "analyse sous 3 jours ouvrés.")
    with app.app_context():
        published = current_version("accueil")
        assert published.published_by_id == get_user(PILOTE).id and "accueil_analyse.schema.json" in published.forms
        assert db.session.scalar(select(func.count()).select_from(DefinitionDraft)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "definition.published")) == 1  # one entry, not two
    assert before_journey == number and _start(app) == number + 1
    with app.app_context():
        versions = sorted(db.session.get(DefinitionVersion, j.definition_version_id).version
                          for j in db.session.scalars(select(Journey).where(Journey.process_key == "accueil")))
    assert versions == [number, number + 1]  # the first journey kept its version

    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert "Vérification du dossier avant l'analyse" in page and "Julien Mercier" in page


def test_a_draft_with_problems_is_kept_but_cannot_be_published(app, client, restore_versions):
    login(client, PILOTE)
    no_form = edited_accueil().replace(
        '<bpmn:userTask id="verifier" name="Vérifier le dossier">\n      <bpmn:extensionElements>\n'
        '        <spiffworkflow:properties>\n          <spiffworkflow:property name="formJsonSchemaFilename" '
        'value="accueil_analyse.schema.json" />\n        </spiffworkflow:properties>\n      </bpmn:extensionElements>',
        '<bpmn:userTask id="verifier" name="Vérifier le dossier">')
    assert no_form != edited_accueil()
    page = html.unescape(_import(client, no_form))
    assert "Brouillon enregistré avec 1 problème(s)" in page
    assert "« Vérifier le dossier »" in page and "Tâche utilisateur sans formulaire" in page
    token = csrf_from(client.get(PAGE).get_data(as_text=True))
    answer = client.get(f"{PAGE}/brouillon.json").get_json()
    assert answer["xml"] == no_form and [p["element"] for p in answer["problems"]] == ["verifier"]

    number = _current(app)[0]
    page = _publish(client, "Essai")
    assert "Rien n'a été publié : Le brouillon a encore 1 problème(s)" in page and _current(app)[0] == number

    saved = client.post(f"{PAGE}/brouillon.json", json={"xml": edited_accueil()}, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.get_json() == {"saved": True, "problems": []}
    assert "Version" in _publish(client, "Formulaire ajouté") and _current(app)[0] == number + 1


# Kept as a journey's draft, taking the journey's key like any file made elsewhere: three are valid and
# bounded when they run (tests/test_journey_bounds.py, test_workflow_engine.py); ping and pong, alone, call a journey that does not
# exist here, which is work left to finish (together they are refused: tests/test_journey_bounds.py).
KEPT_AS_DRAFTS = {"engine_only_loop.bpmn", "multi_instance_collection.bpmn", "loop_task_500.bpmn", "ping.bpmn",
                  "pong.bpmn"}


def _hostile_files():
    return sorted(p for p in HOSTILE.rglob("*") if p.suffix in (".bpmn", ".dmn") and p.name not in KEPT_AS_DRAFTS)


def test_hostile_or_broken_files_are_refused_and_nothing_is_stored(app, client, restore_versions):
    login(client, PILOTE)
    assert len(_hostile_files()) > 20
    before = _counts(app)
    for path in _hostile_files():
        page = PAGE if path.suffix == ".bpmn" else "/pilotage/tables/orientation_partenaire"
        answer = html.unescape(_import(client, path.read_bytes(), path.name, page))
        assert "Fichier refusé, rien n'a été enregistré" in answer, path.name
        assert _counts(app) == before, path.name
    broken = {"trop_gros.bpmn": ACCUEIL.replace("</bpmn:definitions>", "<!--" + "x" * 1_100_000 + "--></bpmn:definitions>"),
              "coupe.bpmn": ACCUEIL[:5000], "script.bpmn": ACCUEIL.replace(
                  '<bpmn:userTask id="accueillir"', '<bpmn:scriptTask id="pirate"><bpmn:script>import os</bpmn:script>'
                  '</bpmn:scriptTask><bpmn:userTask id="accueillir"'),
              "code.bpmn": ACCUEIL.replace('reponse == "documentation"', "__import__('os').system('id')")}
    messages = {"trop_gros.bpmn": "Fichier trop volumineux", "coupe.bpmn": "XML mal formé",
                "script.bpmn": "Tâche de script refusée", "code.bpmn": "interdit"}
    for name, content in broken.items():
        answer = html.unescape(_import(client, content, name))
        assert "Fichier refusé, rien n'a été enregistré" in answer and messages[name] in answer, name
        assert _counts(app) == before, name
    token = csrf_from(client.get(PAGE).get_data(as_text=True))
    refused = client.post(f"{PAGE}/brouillon.json", json={"xml": (HOSTILE / "xxe_entity.bpmn").read_text()},
                          headers={"X-CSRFToken": token})
    assert refused.status_code == 422 and "DOCTYPE" in refused.get_json()["problems"][0]["message"]
    assert _counts(app) == before


def test_rollback_publishes_the_old_content_under_a_new_number(app, client, restore_versions):
    number, shipped_xml, _ = _current(app)
    login(client, PILOTE)
    _import(client, edited_accueil())
    _publish(client, "Vérification ajoutée")
    token = csrf_from(client.get(PAGE).get_data(as_text=True))
    page = html.unescape(client.post(f"{PAGE}/version/{number}/republier", data={"csrf_token": token},
                                     follow_redirects=True).get_data(as_text=True))
    assert f"Version {number} republiée comme version {number + 2}" in page
    assert _current(app) == (number + 2, shipped_xml, f"Retour à la version {number}")
    with app.app_context():
        old, again = (db.session.scalar(select(DefinitionVersion).where(
            DefinitionVersion.process_key == "accueil", DefinitionVersion.version == n)) for n in (number, number + 2))
        assert again.checksum == old.checksum and again.forms == old.forms
    assert _start(app) == number + 2


def test_compare_lists_the_added_task_and_the_changed_due_date(app, client, restore_versions):
    number = _current(app)[0]
    login(client, PILOTE)
    _import(client, edited_accueil())
    _publish(client, "Vérification ajoutée")
    page = html.unescape(client.get(f"{PAGE}/comparer?de={number}&a={number + 1}").get_data(as_text=True))
    rows = {element: row.split("</tr>", 1)[0] for element, row in
            (part.split('"', 1) for part in page.split('data-element="')[1:])}
    assert set(rows) == {"verifier", "flux_verifier_analyser", "analyser_demande",
                         "flux_accueillir_analyser"}  # unchanged elements are not listed
    assert "Ajouté" in rows["verifier"] and "Vérifier le dossier" in rows["verifier"]
    assert "de « Vérifier le dossier » vers « Analyser la demande »" in rows["flux_verifier_analyser"]
    assert "Modifié" in rows["analyser_demande"] and "Échéance (jours ouvrés) : « vide » → « 3 »" in rows["analyser_demande"]
    assert "Vers : « Analyser la demande » → « Vérifier le dossier »" in rows["flux_accueillir_analyser"]


def test_a_version_exports_as_its_exact_file(app, client):
    number, shipped_xml, _ = _current(app)
    login(client, PILOTE)
    response = client.get(f"{PAGE}/version/{number}.bpmn")
    assert response.get_data(as_text=True) == shipped_xml
    assert response.headers["Content-Disposition"] == f"attachment; filename=accueil-v{number}.bpmn"
    table = client.get("/pilotage/tables/orientation_partenaire/version/1.dmn")
    assert table.status_code == 200 and "orientation_partenaire" in table.get_data(as_text=True)
    assert client.get(f"{PAGE}/version/{number}.dmn").status_code == 404


def test_a_decision_table_goes_through_a_draft_and_is_published_with_its_note(app, client, restore_versions):
    table = "/pilotage/tables/orientation_partenaire"
    dmn = (ROOT / "processes" / "orientation_partenaire.dmn").read_text()
    with app.app_context():
        number = current_version("orientation_partenaire", "dmn").version
    login(client, PILOTE)
    assert "aucun problème" in html.unescape(_import(client, dmn.replace("<text>60</text>", "<text>70</text>", 1),
                                                      "table.dmn", table))
    assert f"Version {number + 1} publiée" in _publish(client, "Poids relevé à 70.", table)
    with app.app_context():
        published = current_version("orientation_partenaire", "dmn")
        assert (published.version, published.change_note) == (number + 1, "Poids relevé à 70.")
        assert "<text>70</text>" in published.bpmn_xml
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "decision.published")) == 1


def test_republishing_the_current_content_publishes_nothing(app, client, restore_versions):
    number = _current(app)[0]
    login(client, PILOTE)
    _import(client, ACCUEIL)
    assert "Rien n'a été publié : Identique à la version en cours" in _publish(client, "Aucun changement")
    assert _current(app)[0] == number


def test_others_cannot_post_to_the_studio(app, client):
    login(client, ADVISER)
    token = csrf_from(client.get("/").get_data(as_text=True))
    for url in (f"{PAGE}/publier", f"{PAGE}/version/1/republier", f"{PAGE}/brouillon/supprimer"):
        assert client.post(url, data={"csrf_token": token, "note": "x"}).status_code == 403, url
    answer = client.post(f"{PAGE}/brouillon.json", json={"xml": ACCUEIL}, headers={"X-CSRFToken": token})
    assert answer.status_code == 403
    assert _counts(app)[0] == 0


def test_restarting_the_app_keeps_what_the_studio_published(app, client, restore_versions):
    """The shipped folder is published again at every `spro db upgrade`: a journey version published
    in the studio since must stay current, and a rollback to the shipped content stays possible."""
    from webapp.operations.definitions import sync_from_folder
    number = _current(app)[0]
    login(client, PILOTE)
    _import(client, edited_accueil())
    assert f"Version {number + 1} publiée" in _publish(client, "Vérification du dossier.")
    with app.app_context():
        created = sync_from_folder(app.config["PROCESSES_DIR"], app.config["FORMS_DIR"])
        db.session.commit()
        assert created == []
    assert _current(app)[:2] == (number + 1, edited_accueil())


def test_a_called_journey_points_to_the_journeys_whose_people_follow_it(client):
    """Referrals run inside the reception and the personalised handling that call them: the referral
    journey's page says so and links to them, where their waiting journeys are migrated."""
    login(client, PILOTE)
    page = html.unescape(client.get("/pilotage/parcours/orientation").get_data(as_text=True))
    assert "Ce parcours est appelé par" in page
    assert 'href="/pilotage/parcours/accueil">« Accueil »' in page
    assert 'href="/pilotage/parcours/prise_en_charge"' in page
    assert "Ce parcours est appelé par" not in html.unescape(client.get(PAGE).get_data(as_text=True))


def test_a_default_left_unwritten_by_the_editor_is_no_difference():
    """bpmn-js leaves out cancelActivity="true" (BPMN's default) when it saves: comparing the shipped
    file with the editor's must not show a change; turning a boundary event non-interrupting does."""
    from types import SimpleNamespace

    from webapp.queries.studio import compare_versions
    shipped = (ROOT / "processes" / "orientation.bpmn").read_text()
    assert 'id="expiration" name="Expiration" attachedToRef="traiter_orientation" cancelActivity="true"' in shipped
    saved = shipped.replace(' cancelActivity="true"', "")
    assert compare_versions(SimpleNamespace(bpmn_xml=shipped), SimpleNamespace(bpmn_xml=saved)) == []
    relaxed = shipped.replace('attachedToRef="traiter_orientation" cancelActivity="true"',
                              'attachedToRef="traiter_orientation" cancelActivity="false"', 1)
    [row] = compare_versions(SimpleNamespace(bpmn_xml=shipped), SimpleNamespace(bpmn_xml=relaxed))
    assert row["id"] == "expiration" and row["details"] == [("Interrompt la tâche", "oui", "non")]
