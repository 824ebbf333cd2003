"""Diagrams made elsewhere: files saved by Camunda Modeler (Camunda 7 and Camunda 8 / Zeebe), Activiti or
Flowable are read, every setting of the other engine is named with what to do instead, nothing hostile
is accepted, and once the owner has made those changes the file compiles and runs here."""
import html
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from conftest import csrf_from, get_user, login
from webapp.extensions import db
from webapp.models import DefinitionDraft, DefinitionVersion
from webapp.operations.services import SERVICES
from webapp.operations.studio import save_draft
from webapp.queries.studio import draft_of
from webapp.workflow import DefinitionError, Instance, compile_files
from webapp.workflow.foreign import adopt_process, adopt_process_id, rewrite_expression
from webapp.workflow.xml import parse_xml

ROOT = Path(__file__).resolve().parent.parent
CAMUNDA = Path(__file__).resolve().parent / "fixtures" / "camunda"
CAMUNDA7 = (CAMUNDA / "aide_mobilite_camunda7.bpmn").read_text(encoding="utf-8")
ZEEBE = (CAMUNDA / "orientation_zeebe.bpmn").read_text(encoding="utf-8")
KNOWN_FORMS = {p.name for p in (ROOT / "forms").glob("*.schema.json")}
OPERATIONS = set(SERVICES)
SPIFF_NS = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '


def problems_of(files: dict, context=None) -> dict[str, list]:
    """{element id: [Problem]} of files that must be refused."""
    with pytest.raises(DefinitionError) as refused:
        compile_files(files, known_forms=KNOWN_FORMS, known_services=OPERATIONS, context=context)
    found = {}
    for problem in refused.value.problems:
        found.setdefault(problem.element_id, []).append(problem)
    return found


def one(found, element_id, *words, unfinished=True):
    """The single problem of an element, checked to hold every word and to be (or not) unfinished work."""
    [problem] = found[element_id]
    for word in words:
        assert word in problem.message, problem.message
    assert problem.unfinished is unfinished, problem
    return problem


# -- Camunda 7 --------------------------------------------------------------------------------------

def test_a_camunda_7_file_is_read_and_every_setting_gets_its_guidance():
    """Does the Camunda Modeler 7 file give, per element, what to change, with only the script refused?"""
    found = problems_of({"aide.bpmn": CAMUNDA7})
    one(found, "Activity_1b4r3m3", "Tâche de script refusée", unfinished=False)
    refused = [p for problems in found.values() for p in problems if not p.unfinished]
    assert [p.element_id for p in refused] == ["Activity_1b4r3m3"]  # the rest a draft may keep

    study = found["Activity_0x1y2z3"]
    assert len(study) == 4
    messages = " | ".join(p.message for p in study)
    assert 'Tâche « Étudier la demande » : `camunda:formKey="embedded:app:forms/etude-demande.html"` n\'est pas ' \
           "lu ici. Choisissez son formulaire dans le panneau « Formulaire » (propriété formJsonSchemaFilename)." \
           in messages
    assert '`camunda:candidateGroups="conseillers"` n\'est pas lu ici' in messages
    assert "couloir nommé d'après un rôle (conseiller, conseiller_cep, coordinateur, pilote, admin)" in messages
    assert "`camunda:inputOutput` n'est pas appliqué ici" in messages
    assert '`camunda:executionListener="fr.region.mobilite.JournalListener"` n\'est pas exécuté ici' in messages

    validate = " | ".join(p.message for p in found["Activity_0v4l1d4"])
    assert "camunda:formKey" in validate and '`camunda:assignee="${coordinateur}"`' in validate
    for task_id, setting in (("Activity_1s3rv1c", 'camunda:class="fr.region.mobilite.NotifierFinanceurDelegate"'),
                             ("Activity_0r3l4nc", 'camunda:type="external"'),
                             ("Activity_0p4y3r0", 'camunda:expression="${paiement.verser(execution)}"'),
                             ("Activity_0m41l3r", 'camunda:delegateExpression="${courrielDelegate}"')):
        problem = one(found, task_id, setting, "n'est pas exécuté ici", "panneau « Opération »")
        assert all(name in problem.message for name in ("orientation.envoyer", "cep.bilan"))
    one(found, "Flow_0acc0rd", "Flux « favorable »", "Camunda 7 (JUEL)",
        'écrivez-la ici ainsi : avis == "favorable"')
    one(found, "Flow_1r3fu50", 'ainsi : avis != "favorable" and not urgent')
    one(found, "Event_0t1m3r0", "Minuteur « 10 jours sans réponse »", 'entre guillemets : "P10D"',
        "10 jours calendaires", "jours ouvrés", "timeDate")
    one(found, "Lane_0c0nse1", "Couloir « Conseillers »", "Renommez-le « conseiller »")
    one(found, "Lane_1c00rd0", "Couloir « Coordination »", "Renommez-le « coordinateur »")
    # the pool, the process's history setting and Camunda Modeler's platform attributes say nothing
    assert not {"Participant_1xyz789", "Process_1m0b1l3", "Definitions_1k2j3h4", None} & set(found)


def owner_fixes_camunda7(xml: str = CAMUNDA7) -> str:
    """What the process owner changes, in the editor and in Camunda Modeler, for the file to run here."""
    xml = xml.replace("<bpmn:definitions ", "<bpmn:definitions " + SPIFF_NS, 1)
    xml = xml.replace('name="Conseillers"', 'name="conseiller"').replace('name="Coordination"', 'name="coordinateur"')
    form = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
            'name="formJsonSchemaFilename" value="pec_seance.schema.json" /></spiffworkflow:properties>'
            '</bpmn:extensionElements>')
    xml = re.sub(r"<bpmn:extensionElements>\s*<camunda:inputOutput>.*?</bpmn:extensionElements>", form, xml,
                 flags=re.DOTALL)  # listener and mappings removed, the form chosen
    incoming = "<bpmn:incoming>Flow_0n0t1f0</bpmn:incoming>"
    xml = xml.replace(incoming, form + incoming)
    for task_id, operation in (("Activity_1s3rv1c", "orientation.ouvrir"), ("Activity_0r3l4nc", "orientation.relancer"),
                               ("Activity_0p4y3r0", "cep.bilan"), ("Activity_0m41l3r", "orientation.aboutir")):
        xml = re.sub(rf'(<bpmn:serviceTask id="{task_id}"[^>]*>)',
                     rf'\1<bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="{operation}">'
                     r"<spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>", xml)
    xml = re.sub(r'<bpmn:scriptTask id="Activity_1b4r3m3" name="Calculer le barème" scriptFormat="groovy">(.*?)'
                 r"<bpmn:script>.*?</bpmn:script>\s*</bpmn:scriptTask>",
                 r'<bpmn:serviceTask id="Activity_1b4r3m3" name="Calculer le barème"><bpmn:extensionElements>'
                 r'<spiffworkflow:serviceTaskOperator id="cep.enregistrer_plan"><spiffworkflow:parameters />'
                 r"</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>\1"
                 r"</bpmn:serviceTask>", xml, flags=re.DOTALL)
    xml = xml.replace('${avis == "favorable"}', 'avis == "favorable"')
    xml = xml.replace('${avis != "favorable" &amp;&amp; !urgent}', 'avis != "favorable" and not urgent')
    xml = xml.replace(">P10D<", '>"P10D"<')
    assert "scriptTask" not in xml and "${avis" not in xml and "camunda:executionListener" not in xml
    return xml


@pytest.fixture
def engine_clock(monkeypatch):
    """The time the engine's timers see, Monday 2 March 2026 09:00 UTC, moved by the test."""
    moment = [datetime(2026, 3, 2, 9, 0)]
    monkeypatch.setattr("webapp.workflow.clock._provider", lambda: moment[0])
    return moment


def recorder(calls: list):
    def services(name, params, data):
        calls.append(name)
        return {"ok": True}
    return services


def only_ready(instance):
    [task] = instance.ready_user_tasks()
    return task


def test_the_camunda_7_file_runs_here_once_fixed(engine_clock):
    """After the owner's changes (roles as lanes, forms, operations, conditions, quoted duration), does the
    file compile with Camunda's superseded attributes left in it, and run to its end?"""
    compiled = compile_files({"aide.bpmn": owner_fixes_camunda7()}, known_forms=KNOWN_FORMS,
                             known_services=OPERATIONS)
    spec = compiled["Process_1m0b1l3"].spec_json
    assert compiled["Process_1m0b1l3"].name == "Aide à la mobilité"
    calls = []
    instance = Instance.start(spec, services=recorder(calls))
    study = only_ready(instance)
    assert (study.bpmn_id, study.role) == ("Activity_0x1y2z3", "conseiller")
    instance.complete(study.uuid, {"avis": "favorable", "urgent": False})
    assert calls == ["orientation.ouvrir"]
    validate = only_ready(instance)
    assert (validate.bpmn_id, validate.role) == ("Activity_0v4l1d4", "coordinateur")
    assert instance.next_timer_at() == datetime(2026, 3, 12, 9, 0)  # "P10D": ten calendar days
    instance.complete(validate.uuid, {})
    assert calls == ["orientation.ouvrir", "cep.enregistrer_plan", "cep.bilan", "orientation.aboutir"]
    assert instance.completed and instance.end_event() == "Event_1acc0rd"


def test_the_ten_day_timer_of_the_camunda_file_fires_on_the_tenth_day(engine_clock):
    """Is the boundary timer due ten calendar days after the task opened, and does it interrupt it then?"""
    spec = compile_files({"aide.bpmn": owner_fixes_camunda7()}, known_forms=KNOWN_FORMS,
                         known_services=OPERATIONS)["Process_1m0b1l3"].spec_json
    calls = []
    instance = Instance.start(spec, services=recorder(calls))
    instance.complete(only_ready(instance).uuid, {"avis": "favorable", "urgent": False})
    engine_clock[0] += timedelta(days=9, hours=23)
    instance.fire_timers()
    assert only_ready(instance).bpmn_id == "Activity_0v4l1d4"
    engine_clock[0] += timedelta(hours=2)
    instance.fire_timers()
    assert instance.ready_user_tasks() == []
    assert calls[-1] == "orientation.relancer" and instance.end_event() == "Event_1r3l4nc"


def test_a_script_in_a_camunda_listener_is_refused():
    """Is inline Groovy in an execution listener refused (code), not merely « not read »?"""
    xml = owner_fixes_camunda7().replace(
        "<bpmn:extensionElements><spiffworkflow:properties>", "<bpmn:extensionElements><camunda:executionListener "
        'event="start"><camunda:script scriptFormat="groovy">"rm -rf /".execute()</camunda:script>'
        "</camunda:executionListener><spiffworkflow:properties>", 1)
    found = problems_of({"aide.bpmn": xml})
    assert list(found) == ["Activity_0x1y2z3"]
    [refusal] = [p for p in found["Activity_0x1y2z3"] if not p.unfinished]
    assert refusal.message == "Script refusé : les scripts ne sont pas exécutés."


@pytest.mark.parametrize("condition, words", [
    ('${execution.getVariable("avis") == "favorable"}', "Appel de fonction interdit"),
    ('${Runtime.getRuntime().exec("id")}', "Appel de fonction interdit"),
    ("${personne.adresse}", "attribut"),
    ("#{__import__('os').system('id')}", "Appel de fonction interdit"),
])
def test_another_engine_s_expression_that_runs_code_is_refused(condition, words):
    """Is a JUEL condition calling methods refused (not unfinished), saying why, its code never shown whole?"""
    xml = owner_fixes_camunda7().replace('avis == "favorable"', html.escape(condition, quote=False), 1)
    problem = one(problems_of({"aide.bpmn": xml}), "Flow_0acc0rd", "refusée", "appelle du code", words,
                  unfinished=False)
    assert "Camunda 7 (JUEL)" in problem.message


@pytest.mark.parametrize("foreign, ours", [
    ('${avis == "favorable"}', 'avis == "favorable"'),
    ("${montant gt 400 and not urgent}", "montant > 400 and not urgent"),
    ("${!valide || empty motif}", "not valide or not motif"),
    ('#{statut ne "clos"}', 'statut != "clos"'),
    ("${accord eq true}", "accord == True"),
    ('${note == "a && b"}', 'note == "a && b"'),
    ('${note == "deux  espaces"}', 'note == "deux  espaces"'),
    ("${ok&&!refus}", "ok and not refus"),
    ("${montant>=400}", "montant>=400"),
    ('=reponse = "acceptee"', 'reponse == "acceptee"'),
    ("=montant >= 400 and urgent = false", "montant >= 400 and urgent == False"),
    ("avis == 1", None),
])
def test_conditions_of_other_engines_are_rewritten_in_ours(foreign, ours):
    assert rewrite_expression(foreign) == ours


# -- Camunda 8 (Zeebe) ----------------------------------------------------------------------------

def test_a_camunda_8_file_is_read_and_every_setting_gets_its_guidance():
    found = problems_of({"orientation_zeebe.bpmn": ZEEBE})
    assert all(p.unfinished for problems in found.values() for p in problems)
    choose = " | ".join(p.message for p in found["Activity_1ch01x0"])
    assert '`zeebe:formDefinition="camunda-forms:bpmn:UserTaskForm_3k2j1h0"` n\'est pas lu ici' in choose
    assert '`zeebe:candidateGroups="conseillers"`' in choose and "couloir" in choose
    send = " | ".join(p.message for p in found["Activity_0env010"])
    assert '`zeebe:taskDefinition="envoyer-orientation"` n\'est pas exécuté ici' in send
    assert "`zeebe:ioMapping` n'est pas appliqué ici" in send
    one(found, "Activity_0ca11ed", '`zeebe:calledElement="suivi_accompagnement"`', "« Parcours appelé »",
        "calledElement")
    one(found, "Flow_0acc3p0", "Camunda 8 (FEEL)", 'ainsi : reponse == "acceptee"')
    one(found, "Flow_1r3fus0", 'ainsi : reponse != "acceptee"')


FOLLOW_UP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_suivi"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="suivi_accompagnement" name="Suivi" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>a</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def owner_fixes_zeebe() -> str:
    xml = ZEEBE.replace("<bpmn:definitions ", "<bpmn:definitions " + SPIFF_NS, 1)
    xml = xml.replace('<zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_3k2j1h0" />',
                      '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
                      'value="orientation_choix.schema.json" /></spiffworkflow:properties>')
    xml = xml.replace('<zeebe:assignmentDefinition candidateGroups="conseillers" />', "")
    xml = re.sub(r"<zeebe:taskDefinition.*?</zeebe:ioMapping>",
                 '<spiffworkflow:serviceTaskOperator id="orientation.envoyer"><spiffworkflow:parameters />'
                 "</spiffworkflow:serviceTaskOperator>", xml, flags=re.DOTALL)
    xml = xml.replace('name="Suivre l\'accompagnement">', 'name="Suivre l\'accompagnement" '
                      'calledElement="suivi_accompagnement">')
    return xml.replace('=reponse = "acceptee"', 'reponse == "acceptee"').replace(
        '=reponse != "acceptee"', 'reponse != "acceptee"')


def test_a_camunda_8_file_calling_a_missing_process_names_it_then_runs_with_it():
    """Once fixed, is the call to a process that does not exist here named; with it, does the file run?"""
    assert "orientation_choix.schema.json" in KNOWN_FORMS
    found = problems_of({"orientation_zeebe.bpmn": owner_fixes_zeebe()})
    assert list(found) == ["Activity_0ca11ed"]
    problem = one(found, "Activity_0ca11ed", "Appel de processus « Suivre l'accompagnement »",
                  "le processus « suivi_accompagnement » n'existe pas ici")
    compiled = compile_files({"orientation_zeebe.bpmn": owner_fixes_zeebe(), "suivi.bpmn": FOLLOW_UP},
                             known_forms=KNOWN_FORMS, known_services=OPERATIONS)
    calls = []
    instance = Instance.start(compiled["Process_1z33b3e"].spec_json, services=recorder(calls))
    task = only_ready(instance)
    assert (task.bpmn_id, task.role) == ("Activity_1ch01x0", "conseiller")  # no lanes: the default queue
    instance.complete(task.uuid, {"reponse": "acceptee"})
    assert calls == ["orientation.envoyer"] and instance.end_event() == "Event_0f1n000"
    assert problem.file_name == "orientation_zeebe.bpmn"


# -- other modelers, harmless extensions -----------------------------------------------------------

SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespaces}
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="petit" isExecutable="true">
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="saisir" name="Saisir" {task_attributes}>
      <bpmn:extensionElements>{task_elements}<spiffworkflow:properties>{form}</spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisir" />
    <bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="fin" />
  </bpmn:process>
</bpmn:definitions>"""
FORM = '<spiffworkflow:property name="formJsonSchemaFilename" value="pec_seance.schema.json" />'


@pytest.mark.parametrize("prefix, uri", [("activiti", "http://activiti.org/bpmn"),
                                         ("flowable", "http://flowable.org/bpmn")])
def test_activiti_and_flowable_settings_get_the_same_guidance(prefix, uri):
    xml = SMALL.format(namespaces=f'xmlns:{prefix}="{uri}"', form="",
                       task_attributes=f'{prefix}:formKey="saisie.form" {prefix}:candidateGroups="accueil"',
                       task_elements=f'<{prefix}:taskListener event="create" class="a.B" />')
    messages = [p.message for p in problems_of({"petit.bpmn": xml})["saisir"]]
    assert len(messages) == 3 and all(f"`{prefix}:" in m for m in messages), messages
    assert any("panneau « Formulaire »" in m for m in messages)
    assert any("couloir nommé d'après un rôle" in m for m in messages)
    assert any(f"`{prefix}:taskListener" in m and "n'est pas exécuté ici" in m for m in messages)


def test_drawing_extensions_are_kept_silently():
    """Do bpmn.io colours, Signavio metadata and Camunda Modeler's platform attributes pass unremarked?"""
    xml = SMALL.format(
        namespaces='xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0" '
                   'xmlns:color="http://www.omg.org/spec/BPMN/non-normative/color/1.0" '
                   'xmlns:signavio="http://www.signavio.com" xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
                   'modeler:executionPlatform="Camunda Platform"',
        form=FORM, task_attributes='bioc:stroke="#1e88e5" color:background-color="#bbdefb"',
        task_elements='<signavio:signavioMetaData metaKey="bgcolor" metaValue="#ffffff" />')
    assert set(compile_files({"petit.bpmn": xml}, known_forms=KNOWN_FORMS)) == {"petit"}


def test_a_setting_of_an_unknown_engine_is_named_with_its_prefix():
    xml = SMALL.format(namespaces='xmlns:bizagi="http://www.bizagi.com/bpmn20"', form=FORM,
                       task_attributes='bizagi:performer="Accueil"', task_elements="")
    problem = one(problems_of({"petit.bpmn": xml}), "saisir", '`bizagi:performer="Accueil"`', "n'est pas lu ici")
    assert "http://" not in problem.message.split("(")[0]


def test_camunda_settings_superseded_by_ours_say_nothing():
    """A form chosen and a role lane: are the leftover formKey and candidateGroups no longer reported?"""
    xml = SMALL.format(namespaces='xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', form=FORM,
                       task_attributes='camunda:formKey="x.form" camunda:candidateGroups="c"', task_elements="")
    xml = xml.replace('<bpmn:startEvent id="debut">', '<bpmn:laneSet id="ls"><bpmn:lane id="l" name="conseiller">'
                      "<bpmn:flowNodeRef>debut</bpmn:flowNodeRef><bpmn:flowNodeRef>saisir</bpmn:flowNodeRef>"
                      "<bpmn:flowNodeRef>fin</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
                      '<bpmn:startEvent id="debut">')
    assert set(compile_files({"petit.bpmn": xml}, known_forms=KNOWN_FORMS)) == {"petit"}


# -- adopting the file as one of our journeys, and the studio's import --------------------------------

def test_the_only_process_of_a_foreign_file_can_take_the_journey_key():
    root = parse_xml(CAMUNDA7)
    assert adopt_process_id(root, "accueil") == "Process_1m0b1l3"
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    assert [p.get("id") for p in root.iterfind("bpmn:process", ns)] == ["accueil"]
    assert root.find(".//bpmn:participant", ns).get("processRef") == "accueil"
    assert adopt_process_id(root, "accueil") is None  # already adopted
    two = parse_xml(CAMUNDA7.replace("</bpmn:definitions>", '<bpmn:process id="autre" /></bpmn:definitions>'))
    assert adopt_process_id(two, "accueil") is None
    text, former = adopt_process(CAMUNDA7.encode(), "accueil")
    assert former == "Process_1m0b1l3" and 'processRef="accueil"' in text and "Process_1m0b1l3" not in text
    assert adopt_process(text, "accueil") == (text, None)


PAGE = "/pilotage/parcours/accueil"


def _import(client, content: str, name: str) -> str:
    token = csrf_from(client.get(PAGE).get_data(as_text=True))
    return html.unescape(client.post(f"{PAGE}/import", data={"csrf_token": token, "fichier": (
        io.BytesIO(content.encode("utf-8")), name)}, content_type="multipart/form-data",
        follow_redirects=True).get_data(as_text=True))


def _stored(app) -> tuple[int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (DefinitionDraft, DefinitionVersion))


def _without_script(xml: str) -> str:
    """The file after its owner replaced the Groovy script task by a plain task in Camunda Modeler."""
    return re.sub(r'<bpmn:scriptTask id="Activity_1b4r3m3" name="Calculer le barème" scriptFormat="groovy">(.*?)'
                  r"<bpmn:script>.*?</bpmn:script>\s*</bpmn:scriptTask>",
                  r'<bpmn:task id="Activity_1b4r3m3" name="Calculer le barème">\1</bpmn:task>', xml, flags=re.DOTALL)


@pytest.fixture
def no_drafts(app):
    yield
    with app.app_context():
        db.session.execute(DefinitionDraft.__table__.delete())
        db.session.commit()


def test_the_studio_refuses_the_camunda_file_with_its_groovy_script_and_stores_nothing(app, client, no_drafts):
    login(client, "julien.mercier")
    before = _stored(app)
    page = _import(client, CAMUNDA7, "aide.bpmn")
    assert "Tâche de script refusée" in page
    assert _stored(app) == before


def test_the_studio_import_of_the_camunda_file_without_its_script(app, client, no_drafts):
    """Without its script, the file is no longer hostile: its only process takes the journey's key and it is
    kept as a draft with every Camunda setting listed."""
    login(client, "julien.mercier")
    before = _stored(app)
    page = _import(client, _without_script(CAMUNDA7), "aide.bpmn")
    assert "Le processus « Process_1m0b1l3 » du fichier a pris l'identifiant du parcours « accueil »" in page
    assert _stored(app) == (before[0] + 1, before[1])
    for words in ('camunda:formKey="embedded:app:forms/etude-demande.html"', "Couloir « Conseillers »",
                  'camunda:class="fr.region.mobilite.NotifierFinanceurDelegate"', 'ainsi : avis == "favorable"',
                  'entre guillemets : "P10D"'):
        assert words in page, words
    with app.app_context():
        draft = db.session.scalar(select(DefinitionDraft).where(DefinitionDraft.process_key == "accueil"))
        elements = {p["element"] for p in draft.problems}
    assert {"Activity_0x1y2z3", "Activity_1s3rv1c", "Flow_0acc0rd", "Event_0t1m3r0", "Lane_0c0nse1"} <= elements


# -- the Camunda file in the studio's editor (headless Chromium) ------------------------------------

def test_the_camunda_file_renders_in_the_editor_with_its_guidance_marked(app, server, no_drafts):
    """Kept as a draft (its process renamed to the journey's key), does the Camunda file open in the editor,
    every element drawn, the other engine's settings marked on their elements, and survive a save?"""
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_browser import ARGS, CHROMIUM, _login  # skips when Chromium is missing
    root = parse_xml(_without_script(CAMUNDA7))
    adopt_process_id(root, "accueil")
    with app.app_context():
        draft = save_draft(get_user("julien.mercier"), "accueil", "bpmn", "aide.bpmn",
                           etree.tostring(root, encoding="unicode"))
        db.session.commit()
        before = sorted((p["element"], p["message"]) for p in draft.problems)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _login(browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}), server,
                      "julien.mercier")
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/pilotage/parcours/accueil/editeur")
        page.wait_for_selector("#editeur[data-ready]")
        for element_id in ("Participant_1xyz789", "Lane_0c0nse1", "Activity_0x1y2z3", "Gateway_1d3c1s1",
                           "Event_0t1m3r0", "Activity_1b4r3m3", "Flow_0acc0rd"):
            assert page.locator(f'.djs-element[data-element-id="{element_id}"]').count() == 1, element_id
        for element_id in ("Activity_0x1y2z3", "Activity_1s3rv1c", "Flow_0acc0rd", "Event_0t1m3r0", "Lane_0c0nse1"):
            assert page.locator(f'.djs-element.spro-probleme[data-element-id="{element_id}"]').count() == 1, element_id
        listed = page.locator("#editeur-problemes-liste").inner_text()
        assert 'camunda:formKey="embedded:app:forms/etude-demande.html"' in listed
        assert 'ainsi : avis == "favorable"' in listed
        page.get_by_role("button", name="Enregistrer le brouillon").click()
        page.wait_for_function("() => document.getElementById('editeur-etat').textContent.includes('problème')")
        browser.close()
    assert errors == []
    with app.app_context():
        saved = draft_of("accueil", "bpmn")
        assert 'camunda:formKey="embedded:app:forms/etude-demande.html"' in saved.xml  # kept by bpmn-js
        assert sorted((p["element"], p["message"]) for p in saved.problems) == before
