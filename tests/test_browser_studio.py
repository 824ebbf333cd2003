"""The process owner's story of issue 9, played in headless Chromium: Julien opens the referral
journey in the editor, raises the escalation delay from 10 to 8 working days in the properties
panel, adds a step, saves: the step without a form is marked on the diagram with a French message;
he gives it its form, saves, publishes with a note, and the next referral runs on the new version
with its escalation 8 working days after sending. Also: a diagram opened and saved unchanged keeps
its meaning and its SpiffWorkflow extensions."""
from pathlib import Path

import pytest
from lxml import etree
from test_browser import SHOTS, _login, browser  # noqa: F401  (fixture)
from test_orientation import SENDER, do, open_tasks, send, start_referral

from conftest import get_user
from webapp.extensions import db
from webapp.models import DefinitionVersion
from webapp.operations import studio as studio_ops
from webapp.operations.definitions import available_forms
from webapp.operations.services import SERVICES
from webapp.queries.definitions import current_version
from webapp.queries.studio import draft_of
from webapp.workdays import add_working_days
from webapp.workflow import compile_files

pytest.importorskip("playwright.sync_api")

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
NEW_FORM = "orientation_information.schema.json"


def _open_editor(page, server, key):
    errors = []
    page.on("console", lambda m: m.type == "error" and "favicon" not in m.text and "404" not in m.text
            and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/pilotage/parcours/{key}/editeur")
    page.wait_for_selector("#editeur[data-ready]")
    return errors


def _save(page, expected: str):
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_function("(text) => document.getElementById('editeur-etat').textContent.includes(text)",
                           arg=expected)


def _extensions(xml: str) -> set:
    """What our engine reads in a file's SpiffWorkflow extensions, element by element."""
    root = etree.fromstring(xml.encode())
    found = set()
    for el in root.iter(f"{SPIFF}property", f"{SPIFF}serviceTaskOperator", f"{SPIFF}parameter"):
        owner = next(a.get("id") for a in el.iterancestors() if a.get("id") and not a.tag.startswith(SPIFF))
        found.add((owner, el.tag, tuple(sorted(el.attrib.items()))))
    return found


def _spec(app, key: str, xml: str) -> str:
    with app.app_context():
        forms = available_forms(app.config["FORMS_DIR"])
        others = {f"{k}.bpmn": (PROCESSES / f"{k}.bpmn").read_text()
                  for k in ("accueil", "orientation", "cep", "prise_en_charge") if k != key}
        return compile_files({**others, f"{key}.bpmn": xml}, known_forms=forms,
                             known_services=set(SERVICES))[key].spec_json


@pytest.mark.parametrize("key", ["orientation", "cep"])
def test_a_diagram_saved_unchanged_keeps_its_meaning_and_extensions(app, server, browser,  # noqa: F811
                                                                   restore_versions, key):
    page = _login(browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}), server,
                  "julien.mercier")
    errors = _open_editor(page, server, key)
    _save(page, "aucun problème")
    assert page.locator("#editeur-problemes-resume").inner_text().startswith("Aucun problème")
    assert errors == []  # among them, any refusal by the page's content security policy
    shipped = (PROCESSES / f"{key}.bpmn").read_text()
    with app.app_context():
        draft = draft_of(key, "bpmn")
        assert draft.problems == []
        saved = draft.xml
    assert saved != shipped  # written by bpmn-js, not the file sent back as it came
    assert _extensions(saved) == _extensions(shipped)
    assert _spec(app, key, saved) == _spec(app, key, shipped)


def test_the_process_owner_changes_a_delay_adds_a_step_and_publishes(app, server, browser,  # noqa: F811
                                                                    restore_versions):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        before = {key: current_version(key).version for key in ("orientation", "accueil")}
    page = _login(browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}), server,
                  "julien.mercier")
    errors = _open_editor(page, server, "orientation")
    assert page.locator("#editeur-source").inner_text() == \
        f"Ouvert depuis la version {before['orientation']} (aucun brouillon)."

    # The escalation timer: its delay is the parameter of the step that sends the referral
    page.locator('.djs-shape[data-element-id="escalade"]').click()
    delay = page.get_by_label("Délai (jours ouvrés)")
    assert delay.input_value() == "10"
    panel = page.locator("#editeur-panneau")
    assert "Fixé par l'étape « Envoyer l'orientation » (paramètre jours_escalade)" in panel.inner_text()
    page.locator("summary", has_text="Avancé").click()
    assert page.locator("#prop-minuteur-expression").input_value() == 'envoi["escalade"]'
    delay.fill("8")
    delay.press("Tab")
    assert page.locator("#editeur-etat").inner_text() == "Modifications non enregistrées."

    # A new step dropped on the first flow of the journey, made a user task, named, without a form
    page.evaluate("() => { const c = window.sproEditor.get('canvas'); c.zoom(1);"
                  " c.scrollToElement(window.sproEditor.get('elementRegistry').get('f_debut')); }")  # the view only
    box = page.locator('.djs-connection[data-element-id="f_debut"]').bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.locator('.djs-palette [data-action="create.task"]').click()
    page.mouse.move(x - 5, y + 30)
    page.mouse.move(x, y, steps=5)
    page.mouse.click(x, y)
    page.get_by_label("Type d'étape").select_option("bpmn:UserTask")
    new_id = page.locator(".panneau-type code").inner_text()
    page.get_by_label("Nom", exact=True).fill("Vérifier la demande d'orientation")
    page.get_by_label("Nom", exact=True).press("Tab")
    _save(page, "avec 1 problème(s) à corriger")
    problems = page.locator("#editeur-problemes-liste li")
    assert problems.count() == 1
    assert problems.first.inner_text() == ("« Vérifier la demande d'orientation » : Tâche utilisateur sans formulaire "
                                           "(propriété formJsonSchemaFilename).")
    assert page.locator(f'.djs-element.spro-probleme[data-element-id="{new_id}"]').count() == 1
    assert page.locator(".spro-badge").all_inner_texts() == ["1"]
    page.screenshot(path=str(SHOTS / "studio-editeur-probleme-1366.png"))

    # The problem leads to its element; he gives it its form
    page.evaluate("() => window.sproEditor.get('selection').select("
                  "window.sproEditor.get('elementRegistry').get('informer_personne'))")  # another step
    assert page.locator(".panneau-type code").inner_text() == "informer_personne"
    problems.first.get_by_role("button").click()
    assert page.locator(".panneau-type code").inner_text() == new_id
    page.get_by_label("Formulaire").select_option(NEW_FORM)
    assert page.get_by_role("link", name=f"Ouvrir le formulaire « {NEW_FORM} » dans l'éditeur de formulaires") \
        .get_attribute("href") == f"/pilotage/parcours/orientation/formulaires/{NEW_FORM}"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.get_by_role("link", name="Retour au parcours").click()  # unsaved: the browser asks first
    assert dialogs == ["beforeunload"] and page.url.endswith("/editeur")
    _save(page, "aucun problème")
    assert page.locator(".spro-probleme").count() == 0 and page.locator(".spro-badge").count() == 0

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "studio-editeur-390.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    canvas, panel = page.locator("#editeur-canvas").bounding_box(), page.locator("#editeur-proprietes").bounding_box()
    assert panel["y"] >= canvas["y"] + canvas["height"]  # the panel goes under the diagram
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SHOTS / "studio-editeur-1366.png"))
    assert errors == []

    # Publishing is the journey's page, with a change note
    page.get_by_role("link", name="Retour au parcours").click()
    assert dialogs == ["beforeunload"]  # saved: no question this time
    page.fill("#note", "Escalade à 8 jours ouvrés ; vérification de la demande avant l'orientation.")
    page.get_by_role("button", name="Publier le brouillon").click()
    assert f"Version {before['orientation'] + 1} publiée" in page.locator(".flash.success").inner_text()

    with app.app_context():
        published = current_version("orientation")
        assert published.version == before["orientation"] + 1
        task = etree.fromstring(published.bpmn_xml.encode()).find(f".//{BPMN}userTask[@id='{new_id}']")
        assert task.get("name") == "Vérifier la demande d'orientation"
        accueil = current_version("accueil")
        assert accueil.version == before["accueil"] + 1  # the journey calling it follows
        journey = start_referral()
        assert db.session.get(DefinitionVersion, journey.definition_version_id).id == accueil.id
        [step] = open_tasks(journey)
        assert (step.bpmn_id, step.title) == (new_id, "Vérifier la demande d'orientation")
        do(SENDER, step, {"donnees_partagees": ["situation"], "personne_informee": True,
                          "mode_information": "entretien"})
        referral = send(journey)
        assert referral.escalate_at == add_working_days(referral.sent_at, 8)
        assert referral.remind_at == add_working_days(referral.sent_at, app.config["REFERRAL_REMINDER_DAYS"])


def _select(page, element_id: str):
    """Select a diagram element (through the modeler: what is under test here is the panel)."""
    page.evaluate("(id) => { const m = window.sproEditor;"
                  " m.get('selection').select(m.get('elementRegistry').get(id)); }", element_id)
    assert page.locator(".panneau-type code").inner_text() == element_id


def _change(page, label: str, value: str, exact=False):
    field = page.get_by_label(label, exact=exact)
    field.fill(value)
    field.press("Tab")


def test_the_panel_edits_what_the_engine_reads_and_a_refused_file_stores_nothing(app, server, browser,  # noqa: F811
                                                                                   restore_versions):
    page = _login(browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}), server,
                  "julien.mercier")
    errors = _open_editor(page, server, "accueil")

    _select(page, "lane_conseiller")
    assert page.get_by_label("Rôle").input_value() == "conseiller"
    page.get_by_label("Rôle").select_option("conseiller_cep")

    _select(page, "analyser_demande")
    _change(page, "Échéance (jours ouvrés)", "deux")
    assert page.locator("#prop-echeance-erreur").inner_text() == \
        "Indiquez un nombre entier de jours ouvrés (0 ou plus), ou laissez vide."
    assert page.locator("#prop-echeance").get_attribute("aria-invalid") == "true"
    _change(page, "Échéance (jours ouvrés)", "3")
    _change(page, "Structure qui reçoit la tâche", "structure_choisie")

    _select(page, "appel_prise_en_charge")
    assert page.get_by_label("Parcours appelé").input_value() == "prise_en_charge"
    page.get_by_label("Parcours appelé").select_option("orientation")

    _select(page, "flux_reponse_cep")
    assert "Flux par défaut de la passerelle" in page.locator("#editeur-panneau").inner_text()
    _select(page, "flux_reponse_documentation")
    _change(page, "Condition", 'reponse == "documentation" and urgence != "prioritaire"')

    _select(page, "operateur_cep")
    operation = page.get_by_label("Opération")
    assert operation.locator("option:checked").inner_text() == \
        "Savoir si la structure est opératrice CEP (cep.operateur)"
    page.get_by_label("Nouveau paramètre").fill("essai")
    page.get_by_role("button", name="Ajouter le paramètre").click()
    _change(page, "essai", '"valeur"', exact=True)
    _select(page, "analyser_demande")
    _select(page, "operateur_cep")
    assert page.get_by_label("essai", exact=True).input_value() == '"valeur"'
    _save(page, "aucun problème")

    with app.app_context():
        root = etree.fromstring(draft_of("accueil", "bpmn").xml.encode())
    assert root.find(f".//{BPMN}lane[@id='lane_conseiller']").get("name") == "conseiller_cep"
    props = {p.get("name"): p.get("value")
             for p in root.iterfind(f".//{BPMN}userTask[@id='analyser_demande']//{SPIFF}property")}
    assert props == {"formJsonSchemaFilename": "accueil_analyse.schema.json", "dueInWorkingDays": "3",
                     "structureFromData": "structure_choisie"}
    assert root.find(f".//{BPMN}callActivity[@id='appel_prise_en_charge']").get("calledElement") == "orientation"
    assert root.findtext(f".//{BPMN}sequenceFlow[@id='flux_reponse_documentation']/{BPMN}conditionExpression") == \
        'reponse == "documentation" and urgence != "prioritaire"'
    operator = root.find(f".//{BPMN}serviceTask[@id='operateur_cep']//{SPIFF}serviceTaskOperator")
    assert [(p.get("id"), p.get("value")) for p in operator.iter(f"{SPIFF}parameter")] == [("essai", '"valeur"')]
    saved = etree.tostring(root)
    assert errors == []

    # Code in an expression: the file is refused whole, the draft stays as it was
    _select(page, "flux_reponse_documentation")
    _change(page, "Condition", '__import__("os").system("ls")')
    _save(page, "Fichier refusé")
    assert page.locator("#editeur-problemes-resume").inner_text() == \
        "Fichier refusé : rien n'a été enregistré. Corrigez ce qui suit puis enregistrez de nouveau."
    assert page.locator("#editeur-problemes-liste li").count() >= 1
    assert page.locator('.djs-connection.spro-probleme[data-element-id="flux_reponse_documentation"]').count() == 1
    with app.app_context():
        assert etree.tostring(etree.fromstring(draft_of("accueil", "bpmn").xml.encode())) == saved


def test_a_cep_reminder_shows_the_delay_of_the_step_that_dates_it(server, browser):  # noqa: F811
    page = _login(browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}), server,
                  "julien.mercier")
    _open_editor(page, server, "cep")
    _select(page, "relance_financeur")
    assert page.get_by_label("Délai (jours ouvrés)").input_value() == "15"
    panel = page.locator("#editeur-panneau")
    assert "Fixé par l'étape « Enregistrer le dépôt » (paramètre jours_relance)" in panel.inner_text()
    _select(page, "relance_depot")  # sollicitation["relance"]: an item of a multi-instance, no step sets it by name
    assert page.get_by_label("Délai (jours ouvrés)").count() == 0
    assert page.get_by_label("Expression").input_value() == 'sollicitation["relance"]'


def test_extensions_the_editor_cannot_keep_are_announced_before_saving(app, server, browser,  # noqa: F811
                                                                      restore_versions):
    extra = ("<spiffworkflow:instructionsForEndUser>Lire la fiche d'accueil</spiffworkflow:instructionsForEndUser>"
             '<spiffworkflow:inconnu niveau="1" />')
    shipped = (PROCESSES / "accueil.bpmn").read_text()
    with app.app_context():
        studio_ops.save_draft(get_user("julien.mercier"), "accueil", "bpmn", "accueil.bpmn",
                              shipped.replace("<spiffworkflow:properties>", extra + "<spiffworkflow:properties>", 1))
        db.session.commit()
    page = _login(browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}), server,
                  "julien.mercier")
    _open_editor(page, server, "accueil")
    warning = page.locator("#editeur-perdus")
    assert warning.is_visible()
    assert "l'éditeur ne sait pas garder cet élément du fichier, il serait perdu à l'enregistrement : " \
           "<spiffworkflow:inconnu> (ligne" in warning.inner_text()
    _save(page, "aucun problème")
    with app.app_context():
        saved = draft_of("accueil", "bpmn").xml
    assert "<spiffworkflow:instructionsForEndUser>Lire la fiche d'accueil" \
           "</spiffworkflow:instructionsForEndUser>" in saved
    assert "inconnu" not in saved
