"""Validating definitions: `spro process validate` and publishing refuse hostile or broken BPMN."""
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from webapp.cli import main
from webapp.extensions import db
from webapp.models import DefinitionVersion
from webapp.operations.definitions import publish
from webapp.workflow import DefinitionError, Instance, compile_files

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"


def validate(*paths) -> tuple[int, list[str], str]:
    """Run `spro process validate PATHS`; return (exit code, stderr lines, stdout)."""
    result = CliRunner().invoke(main, ["process", "validate", *map(str, paths)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, [line for line in result.stderr.splitlines() if line.strip()], result.stdout


def bpmn(*, lane: str = "conseiller", form: str | None = "pec_seance.schema.json",
         task_extra: str = "", key: str = "essai") -> str:
    """A small valid process (start -> task -> end), with knobs to break it."""
    prop = (f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />' if form else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="Essai" isExecutable="true">
    <bpmn:laneSet id="laneset_{key}">
      <bpmn:lane id="lane_{key}" name="{lane}">
        <bpmn:flowNodeRef>debut</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>saisir</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fin</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="saisir" name="Saisir">
      <bpmn:extensionElements><spiffworkflow:properties>{prop}</spiffworkflow:properties>
      {task_extra}</bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisir" />
    <bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="fin" />
  </bpmn:process>
</bpmn:definitions>
"""


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(DefinitionVersion))


# -- the shipped processes ----------------------------------------------------------------------

def test_the_shipped_processes_are_valid():
    """Does `spro process validate` accept the shipped processes (exit 0, one line each)?"""
    paths = sorted(PROCESSES.glob("*.bpmn"))
    assert {p.stem for p in paths} >= {"accueil", "prise_en_charge"}
    code, errors, out = validate(*paths)
    assert code == 0, errors
    assert errors == []
    assert set(out.splitlines()) >= {f"Valide : {p.stem}" for p in paths}


def test_the_small_test_process_is_valid(tmp_path):
    """Is the process the other cases break valid to begin with (so each refusal has one cause)?"""
    path = tmp_path / "essai.bpmn"
    path.write_text(bpmn(), encoding="utf-8")
    code, errors, out = validate(path)
    assert (code, errors, out.strip()) == (0, [], "Valide : essai")


# -- hostile fixtures ---------------------------------------------------------------------------

@pytest.fixture
def gateway_fixture(tmp_path):
    """A copy of the os.system fixture aiming at a unique file, to check it is never created."""
    target = tmp_path / f"pwned-{uuid.uuid4().hex}"
    content = (HOSTILE / "gateway_os_system.bpmn").read_text(encoding="utf-8")
    assert "/tmp/pwned" in content
    path = tmp_path / "gateway_os_system.bpmn"
    path.write_text(content.replace("/tmp/pwned", str(target)), encoding="utf-8")
    return path, target


def test_a_gateway_calling_os_system_is_refused_without_running(gateway_fixture):
    """Is `__import__('os').system(...)` in a gateway refused in one French line naming the
    flow, without the command ever running?"""
    path, target = gateway_fixture
    code, errors, _ = validate(path)
    assert code == 1
    assert len(errors) == 1, errors
    assert errors[0].startswith("gateway_os_system.bpmn: [flux_hostile] ")
    assert "interdit" in errors[0]
    assert not target.exists()


@pytest.mark.parametrize("fixture, element_id, french", [
    ("script_subprocess.bpmn", "script_hostile", "Tâche de script refusée"),
    ("loop_500.bpmn", "flux_retour", "Boucle de flux refusée"),
])
def test_hostile_elements_are_refused_in_one_line_naming_them(fixture, element_id, french):
    """Are the subprocess script task and the gateway loop refused with exit 1 and one
    French line naming the element?"""
    code, errors, out = validate(HOSTILE / fixture)
    assert code == 1
    assert errors == [errors[0]] and errors[0].startswith(f"{fixture}: [{element_id}] "), errors
    assert french in errors[0]
    assert "Valide" not in out


@pytest.mark.parametrize("fixture", ["xxe_entity.bpmn", "billion_laughs.bpmn"])
def test_dtd_and_entities_are_refused_before_parsing(fixture):
    """Are the external entity and the billion-laughs DTD refused in one French line
    (a DOCTYPE has no element id: the line names the file)?"""
    code, errors, _ = validate(HOSTILE / fixture)
    assert code == 1
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{fixture}: ")
    assert "DOCTYPE" in errors[0] and "refusée" in errors[0]
    assert "root:" not in errors[0]  # nothing of /etc/passwd leaked into the message


@pytest.mark.parametrize("fixture", [
    "gateway_os_system.bpmn", "script_subprocess.bpmn", "xxe_entity.bpmn",
    "billion_laughs.bpmn", "loop_500.bpmn",
])
def test_publishing_a_hostile_file_stores_nothing(ctx, fixture):
    """Does publishing a hostile file raise DefinitionError and create no definition version?"""
    before = version_count()
    with pytest.raises(DefinitionError) as exc:
        publish({fixture: (HOSTILE / fixture).read_bytes()}, str(FORMS))
    assert exc.value.problems
    db.session.flush()
    assert version_count() == before


def test_publishing_is_all_or_nothing(ctx):
    """Does one hostile file in a batch stop a valid, changed process from being published?"""
    changed = (PROCESSES / "prise_en_charge.bpmn").read_text(encoding="utf-8").replace(
        'name="Prise en charge personnalisée" isExecutable', 'name="Prise en charge (v. test)" isExecutable')
    assert "v. test" in changed
    before = version_count()
    with pytest.raises(DefinitionError):
        publish({"prise_en_charge.bpmn": changed.encode("utf-8"),
                 "gateway_os_system.bpmn": (HOSTILE / "gateway_os_system.bpmn").read_bytes()},
                str(FORMS))
    db.session.flush()
    assert version_count() == before


def test_publishing_the_unchanged_shipped_processes_creates_no_version(ctx):
    """Is publishing the same content again a no-op (versions are only created on change)?"""
    before = version_count()
    files = {p.name: p.read_bytes() for p in PROCESSES.glob("*.bpmn")}
    assert publish(files, str(FORMS)) == []
    assert version_count() == before


# -- broken definitions -------------------------------------------------------------------------

def test_malformed_xml_is_refused(tmp_path):
    """Is a truncated file refused with a French line giving the line number?"""
    path = tmp_path / "casse.bpmn"
    path.write_text(bpmn()[:-40], encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1
    assert len(errors) == 1 and errors[0].startswith("casse.bpmn: XML mal formé"), errors
    assert "ligne" in errors[0]


def test_an_oversized_file_is_refused(tmp_path):
    """Is a file over 1 MB refused (size checked before parsing)?"""
    padding = "<!-- " + "x" * 1_100_000 + " -->\n"
    content = bpmn().replace("<bpmn:process ", padding + "<bpmn:process ", 1)
    path = tmp_path / "enorme.bpmn"
    path.write_text(content, encoding="utf-8")
    assert path.stat().st_size > 1_000_000
    code, errors, _ = validate(path)
    assert code == 1
    assert len(errors) == 1 and errors[0].startswith("enorme.bpmn: Fichier trop volumineux"), errors


def test_a_lane_not_named_after_a_role_is_refused(tmp_path):
    """Is a lane named « accueil » (not a role) refused, naming the lane?"""
    path = tmp_path / "couloir.bpmn"
    path.write_text(bpmn(lane="accueil"), encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1
    assert len(errors) == 1 and errors[0].startswith("couloir.bpmn: [lane_essai] Couloir « accueil »")


def test_a_user_task_without_form_is_refused(tmp_path):
    """Is a user task without formJsonSchemaFilename refused, naming the task?"""
    path = tmp_path / "sans_formulaire.bpmn"
    path.write_text(bpmn(form=None), encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1
    assert errors == ["sans_formulaire.bpmn: [saisir] Tâche utilisateur sans formulaire "
                      "(propriété formJsonSchemaFilename)."]


def test_a_user_task_with_an_unknown_form_is_refused(tmp_path):
    """Is a form file that does not exist in forms/ refused, naming the task?"""
    path = tmp_path / "formulaire_inconnu.bpmn"
    path.write_text(bpmn(form="inconnu.schema.json"), encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1
    assert errors == ["formulaire_inconnu.bpmn: [saisir] Formulaire introuvable : inconnu.schema.json."]


def test_a_pre_script_on_a_user_task_is_refused_naming_the_task(tmp_path):
    """Is a spiffworkflow:preScript refused, and does the line name the task that carries it?"""
    path = tmp_path / "pre_script.bpmn"
    path.write_text(bpmn(task_extra="<spiffworkflow:preScript>import os</spiffworkflow:preScript>"),
                    encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1
    assert errors == ["pre_script.bpmn: [saisir] Script refusé : les scripts ne sont pas exécutés."]


def test_a_hostile_loop_condition_is_refused_naming_the_task(tmp_path):
    """Is a loop condition calling a function refused, naming the loop task?"""
    content = bpmn().replace(
        "<bpmn:outgoing>f2</bpmn:outgoing>",
        "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:standardLoopCharacteristics>"
        "<bpmn:loopCondition xsi:type=\"bpmn:tFormalExpression\">open('/etc/passwd')"
        "</bpmn:loopCondition></bpmn:standardLoopCharacteristics>", 1)
    path = tmp_path / "boucle.bpmn"
    path.write_text(content, encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1
    assert len(errors) == 1 and errors[0].startswith("boucle.bpmn: [saisir] Appel de fonction interdit"), errors


def test_every_problem_of_a_batch_is_listed(tmp_path):
    """Are the problems of several files all reported (one line each), not just the first?"""
    lane = tmp_path / "couloir.bpmn"
    lane.write_text(bpmn(lane="accueil", key="a"), encoding="utf-8")
    no_form = tmp_path / "sans_formulaire.bpmn"
    no_form.write_text(bpmn(form=None, key="b"), encoding="utf-8")
    code, errors, _ = validate(lane, no_form, HOSTILE / "script_subprocess.bpmn")
    assert code == 1
    assert len(errors) == 3, errors
    assert {e.split(":", 1)[0] for e in errors} == {"couloir.bpmn", "sans_formulaire.bpmn",
                                                    "script_subprocess.bpmn"}


def test_validate_resolves_call_activities_against_the_shipped_processes(tmp_path):
    """A process owner validates one edited file: its call to prise_en_charge must resolve."""
    edited = tmp_path / "accueil_modifie.bpmn"
    edited.write_bytes((PROCESSES / "accueil.bpmn").read_bytes())
    code, errors, out = validate(edited)
    assert code == 0, errors
    assert "Valide : accueil" in out


def test_refused_expressions_are_explained_without_python_names():
    from webapp.workflow.expressions import check_expression
    for expression, words in (("envoi.destinataire", "attribut"), ("[x for x in liste]", "compréhension"),
                              ("lambda: 1", "lambda")):
        message = check_expression(expression)
        assert words in message and "Construction interdite" in message
        assert not any(name in message for name in ("Attribute", "ListComp", "Lambda", "ast."))


# -- every rule, through compile_files (`spro process validate`, the studio's import and the editor's save) --

FORM_FILES = {p.name for p in FORMS.glob("*.schema.json")}
SHIPPED = {p.name: p.read_bytes() for p in PROCESSES.glob("*.bpmn")}


def after_saisir(node: str, node_id: str, in_lane: bool = True, **knobs) -> str:
    """The small process with one more element between « Saisir » and the end (flows f2 in, f3 out)."""
    xml = bpmn(**knobs).replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="fin" />',
        f'<bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="{node_id}" />'
        f'<bpmn:sequenceFlow id="f3" sourceRef="{node_id}" targetRef="fin" />{node}')
    xml = xml.replace("<bpmn:endEvent id=\"fin\"><bpmn:incoming>f2</bpmn:incoming>",
                      "<bpmn:endEvent id=\"fin\"><bpmn:incoming>f3</bpmn:incoming>")
    if in_lane:
        xml = xml.replace("<bpmn:flowNodeRef>fin</bpmn:flowNodeRef>",
                          f"<bpmn:flowNodeRef>{node_id}</bpmn:flowNodeRef><bpmn:flowNodeRef>fin</bpmn:flowNodeRef>")
    return xml


def service(extension: str = "") -> str:
    return (f'<bpmn:serviceTask id="service" name="Envoyer"><bpmn:extensionElements>{extension}'
            '</bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>'
            "</bpmn:serviceTask>")


def operator(name: str, parameters: str = "<spiffworkflow:parameters />") -> str:
    return f'<spiffworkflow:serviceTaskOperator id="{name}">{parameters}</spiffworkflow:serviceTaskOperator>'


def call(attributes: str) -> str:
    return (f'<bpmn:callActivity id="appel" name="Orienter" {attributes}><bpmn:incoming>f2</bpmn:incoming>'
            "<bpmn:outgoing>f3</bpmn:outgoing></bpmn:callActivity>")


def timer(definition: str) -> str:
    return ('<bpmn:intermediateCatchEvent id="attente" name="Attendre"><bpmn:incoming>f2</bpmn:incoming>'
            f'<bpmn:outgoing>f3</bpmn:outgoing><bpmn:timerEventDefinition id="attente_def">{definition}'
            "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")


def other_task(tag: str, inner: str = "") -> str:
    return (f'<bpmn:{tag} id="autre" name="Autre">{inner}<bpmn:incoming>f2</bpmn:incoming>'
            f"<bpmn:outgoing>f3</bpmn:outgoing></bpmn:{tag}>")


ORIENTATION_FORM = '<spiffworkflow:property name="formJsonSchemaFilename" value="pec_seance.schema.json" />'
RULES = {
    # rule: (XML, element named, words of the French message, whether a draft may keep it)
    "parse: invalid XML": (bpmn()[:-40], None, "XML mal formé", False),
    "parse: a flow to nothing": (bpmn().replace('targetRef="fin" />', 'targetRef="nulle_part" />'), "f2",
                                 "Flux « f2 » : il mène à « nulle_part », qui n'est pas une étape", True),
    "parse: an element the standard does not allow there": (
        bpmn().replace("<bpmn:incoming>f1</bpmn:incoming>", "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:incoming>f1"
                       "</bpmn:incoming>", 1), "saisir", "ne respecte pas la norme BPMN 2.0", True),
    "lane: not a role": (bpmn(lane="Conseillers"), "lane_essai",
                         "Couloir « Conseillers » : le nom d'un couloir doit être un rôle", True),
    "lane: a user task outside every lane": (
        after_saisir(other_task("userTask", "<bpmn:extensionElements><spiffworkflow:properties>"
                                + ORIENTATION_FORM + "</spiffworkflow:properties></bpmn:extensionElements>"),
                     "autre", in_lane=False), "autre", "Tâche « Autre » hors de tout couloir", True),
    "form: none": (bpmn(form=None), "saisir", "Tâche utilisateur sans formulaire", True),
    "form: unknown": (bpmn(form="inconnu.schema.json"), "saisir", "Formulaire introuvable : inconnu.schema.json",
                      True),
    "script: script task": (after_saisir(other_task("scriptTask", "<bpmn:script>x = 1</bpmn:script>"), "autre"),
                            "autre", "Tâche de script refusée", False),
    "script: pre-script": (bpmn(task_extra="<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>"), "saisir",
                           "Script refusé", False),
    "script: send task": (after_saisir(other_task("sendTask"), "autre"), "autre", "Tâche d'envoi refusée", False),
    "expression: code in a condition": (
        bpmn().replace('targetRef="fin" />', 'targetRef="fin"><bpmn:conditionExpression>'
                       "__import__('os').system('id')</bpmn:conditionExpression></bpmn:sequenceFlow>"),
        "f2", "Appel de fonction interdit", False),
    "expression: an attribute in a title": (
        bpmn(task_extra="").replace(ORIENTATION_FORM, ORIENTATION_FORM
                                    + '<spiffworkflow:property name="titleFromData" value="personne.nom" />'),
        "saisir", "Construction interdite", False),
    "service: no operation chosen": (after_saisir(service(), "service"), "service",
                                     "Tâche de service « Envoyer » : choisissez son opération", True),
    "service: unknown operation": (after_saisir(service(operator("os.system")), "service"), "service",
                                   "opération « os.system » inconnue", False),
    "service: operation without its parameter list": (after_saisir(service(operator("orientation.ouvrir", "")),
                                                                   "service"), "service",
                                                      "doit avoir sa liste de paramètres", True),
    "loop: a cycle of flows": (bpmn().replace('targetRef="fin" />', 'targetRef="fin" /><bpmn:sequenceFlow '
                                              'id="retour" sourceRef="saisir" targetRef="saisir" />'),
                               "retour", "Boucle de flux refusée", False),
    "loop: a loop task without maximum": (
        bpmn().replace("<bpmn:outgoing>f2</bpmn:outgoing>", "<bpmn:outgoing>f2</bpmn:outgoing>"
                       "<bpmn:standardLoopCharacteristics><bpmn:loopCondition>encore</bpmn:loopCondition>"
                       "</bpmn:standardLoopCharacteristics>", 1), "saisir", "fixez son nombre maximal", False),
    "call: a process that does not exist": (after_saisir(call('calledElement="inexistant"'), "appel"), "appel",
                                            "le processus « inexistant » n'existe pas ici", True),
    "call: no process named": (after_saisir(call(""), "appel"), "appel",
                               "Appel de processus « Orienter » : choisissez le parcours appelé", True),
    "call: itself": (after_saisir(call('calledElement="essai"'), "appel"), "appel", "s'appelle lui-même", False),
    "timer: unreadable duration": (after_saisir(timer('<bpmn:timeDuration>"P1W2D"</bpmn:timeDuration>'), "attente"),
                                   "attente", "la durée « P1W2D » n'est pas une durée ISO 8601 lisible", False),
    "timer: literal without quotes": (after_saisir(timer("<bpmn:timeDuration>P10D</bpmn:timeDuration>"), "attente"),
                                      "attente", 'écrivez la durée entre guillemets : "P10D"', True),
    "timer: no value": (after_saisir(timer("<bpmn:timeDate />"), "attente"), "attente",
                        "la date est vide", True),
    "timer: no kind": (after_saisir(timer(""), "attente"), "attente", "indiquez quand il se déclenche", True),
}


@pytest.mark.parametrize("rule", RULES)
def test_each_validation_rule_names_the_element_in_french(rule):
    """One refusal per rule: the element it names, its French message, and whether a draft may keep it
    (unfinished work) or the file is refused whole."""
    xml, element_id, words, unfinished = RULES[rule]
    with pytest.raises(DefinitionError) as refused:
        compile_files({"regle.bpmn": xml}, known_forms=FORM_FILES, known_services={"orientation.ouvrir"},
                      context=SHIPPED)
    [problem] = refused.value.problems
    assert (problem.element_id, problem.file_name) == (element_id, "regle.bpmn"), problem
    assert words in problem.message, problem.message
    assert problem.unfinished is unfinished
    assert not any(word in problem.message for word in ("Traceback", "Error", "None"))


@pytest.mark.parametrize("node, node_id", [
    (service(operator("orientation.ouvrir")), "service"),
    (call('calledElement="orientation"'), "appel"),
    (timer('<bpmn:timeDuration>"P10D"</bpmn:timeDuration>'), "attente"),
    (timer('<bpmn:timeDate>envoi["relance"]</bpmn:timeDate>'), "attente"),
])
def test_what_the_rules_accept(node, node_id):
    """The same elements done right pass (so each refusal above has one cause)."""
    compiled = compile_files({"regle.bpmn": after_saisir(node, node_id)}, known_forms=FORM_FILES,
                             known_services={"orientation.ouvrir"}, context=SHIPPED)
    assert set(compiled) == {"essai"}


# -- timers: validation reads them as the engine does --------------------------------------------

@pytest.fixture
def engine_clock(monkeypatch):
    """The time the engine's timers see: Monday 2 March 2026, 09:00 UTC."""
    monkeypatch.setattr("webapp.workflow.clock._provider", lambda: datetime(2026, 3, 2, 9, 0))


def timer_spec(definition: str) -> str:
    xml = after_saisir(timer(definition), "attente")
    return compile_files({"minuteur.bpmn": xml}, known_forms=FORM_FILES)["essai"].spec_json


@pytest.mark.parametrize("definition, data, due", [
    ('<bpmn:timeDuration>"P10D"</bpmn:timeDuration>', {}, datetime(2026, 3, 12, 9, 0)),
    ('<bpmn:timeDuration>"P2W"</bpmn:timeDuration>', {}, datetime(2026, 3, 16, 9, 0)),
    ('<bpmn:timeDuration>"P1M"</bpmn:timeDuration>', {}, datetime(2026, 4, 2, 9, 0)),
    ('<bpmn:timeDuration>"PT1.5H"</bpmn:timeDuration>', {}, datetime(2026, 3, 2, 10, 30)),
    ('<bpmn:timeDuration>"P1DT2H"</bpmn:timeDuration>', {}, datetime(2026, 3, 3, 11, 0)),
    ('<bpmn:timeDate>"2026-03-16T09:00:00Z"</bpmn:timeDate>', {}, datetime(2026, 3, 16, 9, 0)),
    ('<bpmn:timeDate>"2026-03-16T10:00:00+01:00"</bpmn:timeDate>', {}, datetime(2026, 3, 16, 9, 0)),
    ('<bpmn:timeDate>"2026-W12-1T09:00:00Z"</bpmn:timeDate>', {}, datetime(2026, 3, 16, 9, 0)),
    ('<bpmn:timeDate>"2026-03-" + "20T09:00:00Z"</bpmn:timeDate>', {}, datetime(2026, 3, 20, 9, 0)),
    ('<bpmn:timeDate>envoi["relance"]</bpmn:timeDate>', {"envoi": {"relance": "2026-03-09T08:00:00Z"}},
     datetime(2026, 3, 9, 8, 0)),
])
def test_each_timer_validation_accepts_is_scheduled_by_the_engine(engine_clock, definition, data, due):
    """A timer that validation accepts: does the engine, once the task before it is done, wait until the
    date validation read in it?"""
    instance = Instance.start(timer_spec(definition))
    [task] = instance.ready_user_tasks()
    instance.complete(task.uuid, data)
    assert not instance.stalled()
    assert instance.next_timer_at() == due


@pytest.mark.parametrize("definition, words, unfinished", [
    # the engine refuses these when the timer starts: validation refuses them first
    ('<bpmn:timeDuration>"P1W2D"</bpmn:timeDuration>', "n'est pas une durée ISO 8601 lisible", False),
    ('<bpmn:timeDate>"2026-W12"</bpmn:timeDate>', "n'est pas une date ISO 8601 lisible", False),
    ('<bpmn:timeDate>"P3D"</bpmn:timeDate>', "n'est pas une date ISO 8601 lisible", False),
    ('<bpmn:timeDate>"2026-02-30"</bpmn:timeDate>', "n'est pas une date ISO 8601 lisible", False),
    ("<bpmn:timeDate>5</bpmn:timeDate>", "ne donne pas un texte", False),
    ('<bpmn:timeDuration>"P" + "1X"</bpmn:timeDuration>', "la durée « P1X » n'est pas une durée", False),
    ("<bpmn:timeDuration />", "la durée est vide", True),
    # the engine would silently drop the day and a half: refused rather than misread
    ('<bpmn:timeDuration>"P1.5DT2H"</bpmn:timeDuration>', "n'est pas une durée ISO 8601 lisible", False),
    # the engine reads an unquoted text as an expression (a data name, or invalid): quote it
    ("<bpmn:timeDuration>P10D</bpmn:timeDuration>", 'écrivez la durée entre guillemets : "P10D"', True),
    ("<bpmn:timeDate>2026-03-16T09:00:00Z</bpmn:timeDate>", 'écrivez la date entre guillemets', True),
    ("<bpmn:timeCycle>R3/PT24H</bpmn:timeCycle>", 'écrivez le cycle entre guillemets : "R3/PT24H"', True),
    # code, and values that could not be bounded
    ("<bpmn:timeDate>open('/etc/passwd').read()</bpmn:timeDate>", "Appel de fonction interdit", False),
    ('<bpmn:timeDate>envoi.relance</bpmn:timeDate>', "Construction interdite", False),
    ("<bpmn:timeDuration>delai</bpmn:timeDuration>", "doit être écrite dans le diagramme", False),
])
def test_timers_the_engine_could_not_read_are_refused_at_validation(definition, words, unfinished):
    with pytest.raises(DefinitionError) as refused:
        timer_spec(definition)
    [problem] = refused.value.problems
    assert problem.element_id == "attente" and problem.message.startswith("Minuteur « Attendre » : ")
    assert words in problem.message, problem.message
    assert problem.unfinished is unfinished


def test_the_durations_refused_are_those_the_engine_misreads_or_refuses():
    """The reason for the two refusals above, from the engine's own duration parser."""
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
    assert TimerEventDefinition.parse_iso_duration("P1.5DT2H") == {"hours": 2}  # the day and a half is lost
    with pytest.raises(Exception, match="Invalid duration"):
        TimerEventDefinition.parse_iso_duration("P1W2D")
