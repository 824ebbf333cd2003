"""Journeys bounded (issue 7, point 2): what could run without end is refused at validation, naming
the element, and what data can still make big is stopped while the journey runs, within budget."""
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import get_user
from sqlalchemy import delete, select

from webapp import clock
from webapp.config import Config
from webapp.errors import InvalidData
from webapp.extensions import db
from webapp.models import AuditEvent, DefinitionVersion, HumanTask, Journey
from webapp.operations import journeys
from webapp.operations.definitions import publish
from webapp.operations.journeys import complete_task, start_journey
from webapp.operations.timers import fire_due_timers
from webapp.workflow import EngineError, Instance, compile_files
from webapp.workflow.bounds import JourneyBoundExceeded, called_elements, structural_problems
from webapp.workflow.xml import parse_xml

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = Path(__file__).resolve().parent / "fixtures" / "hostile" / "journeys"
FORMS = str(ROOT / "forms")
SECONDS = 5  # any bounded refusal here takes milliseconds: this only catches a hang turned slow

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'id="definitions_test" targetNamespace="http://bpmn.io/schema/bpmn">')
FORM = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
        'name="formJsonSchemaFilename" value="pec_seance.schema.json" /></spiffworkflow:properties>'
        '</bpmn:extensionElements>')
SEANCE = {"date_seance": "2026-03-09", "notes": "Séance.", "autre_seance": False}


def chain(key: str, *nodes: str) -> bytes:
    """A process: start, then each node (id, XML with {i}/{o} for its flows) in a row, then end."""
    ids = [n.split('id="', 1)[1].split('"', 1)[0] for n in nodes]
    body = '<bpmn:startEvent id="debut"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
    for n, node in enumerate(nodes):
        body += node.replace("{i}", f"<bpmn:incoming>f{n}</bpmn:incoming>").replace(
            "{o}", f"<bpmn:outgoing>f{n + 1}</bpmn:outgoing>")
    body += f'<bpmn:endEvent id="fin"><bpmn:incoming>f{len(nodes)}</bpmn:incoming></bpmn:endEvent>'
    for n, (source, target) in enumerate(zip(["debut", *ids], [*ids, "fin"])):
        body += f'<bpmn:sequenceFlow id="f{n}" sourceRef="{source}" targetRef="{target}" />'
    return (f'{HEAD}<bpmn:process id="{key}" name="{key}" isExecutable="true">{body}'
            '</bpmn:process></bpmn:definitions>').encode("utf-8")


def user_task(task_id="saisir", name="Saisir", inner=""):
    return f'<bpmn:userTask id="{task_id}" name="{name}">{FORM}{{i}}{{o}}{inner}</bpmn:userTask>'


def timer(kind: str, expression: str):
    return ('<bpmn:intermediateCatchEvent id="attente" name="Attendre">{i}{o}<bpmn:timerEventDefinition '
            f'id="attente_def"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{kind}>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


ENGINE_LOOP = ('<bpmn:subProcess id="tourner" name="Tourner sans personne">{i}{o}'
               '<bpmn:standardLoopCharacteristics testBefore="false" loopMaximum="500" />'
               '<bpmn:startEvent id="t_debut"><bpmn:outgoing>t1</bpmn:outgoing></bpmn:startEvent>'
               '<bpmn:endEvent id="t_fin"><bpmn:incoming>t1</bpmn:incoming></bpmn:endEvent>'
               '<bpmn:sequenceFlow id="t1" sourceRef="t_debut" targetRef="t_fin" /></bpmn:subProcess>')


def problems_of(content: bytes, file_name="test.bpmn", known=None):
    return structural_problems(parse_xml(content, file_name), file_name, known)


def fixture_problems(*names: str) -> dict:
    """The problems of fixture files checked together, the call graph gathered over all of them."""
    roots = {name: parse_xml((JOURNEYS / name).read_bytes(), name) for name in names}
    known = {}
    for root in roots.values():
        known.update(called_elements(root))
    return {name: structural_problems(root, name, known) for name, root in roots.items()}


# -- validation: each hostile journey kind refused, naming its element -------------------------

@pytest.mark.parametrize("file_name, element_id, label, reason", [
    ("loop_without_maximum.bpmn", "seance", "« Séance sans fin »", "fixez son nombre maximal de passages"),
    ("loop_maximum_above_ceiling.bpmn", "seance", "« Séance répétée un million de fois »",
     "entre 1 et 500, pas 1000000"),
    ("multi_instance_huge.bpmn", "saisie", "« Saisie multipliée »", "au plus 100 instances"),
    ("calls_itself.bpmn", "rappel", "« Se rappeler »", "s'appelle lui-même"),
    ("timer_cycle_zero_period.bpmn", "attente", "« Attente répétée »", "au moins 1 heure"),
    ("timer_cycle_unbounded.bpmn", "attente", "« Attente répétée »", "se répète sans fin"),
])
def test_each_hostile_journey_kind_is_refused_naming_its_element(file_name, element_id, label, reason):
    """Would a process owner uploading this diagram get one French line pointing at the element?"""
    started = time.perf_counter()
    [problem] = fixture_problems(file_name)[file_name]
    assert time.perf_counter() - started < SECONDS
    assert (problem.file_name, problem.element_id) == (file_name, element_id)
    assert label in problem.message and reason in problem.message, problem.message


def test_two_processes_calling_each_other_across_files_are_both_refused():
    """ping calls pong (another file) and pong calls ping: is each call activity refused, with the
    chain of calls, once the call graph of both files is known?"""
    found = fixture_problems("ping.bpmn", "pong.bpmn")
    [ping], [pong] = found["ping.bpmn"], found["pong.bpmn"]
    assert ping.element_id == "appel_pong" and "« ping » → « pong » → « ping »" in ping.message
    assert pong.element_id == "appel_ping" and "« pong » → « ping » → « pong »" in pong.message
    alone = parse_xml((JOURNEYS / "ping.bpmn").read_bytes())
    assert structural_problems(alone, "ping.bpmn") == []  # the caller must hand the other files' calls


def test_the_shipped_processes_are_within_bounds():
    """Do the shipped journeys (loops of 20, 50, 60 and 200 passes, a multi-instance over the funding
    requests, timers computed by services, calls to orientation) pass every bound?"""
    roots = {p.name: parse_xml(p.read_bytes(), p.name) for p in (ROOT / "processes").glob("*.bpmn")}
    known = {}
    for root in roots.values():
        known.update(called_elements(root))
    assert known["accueil"] == ["prise_en_charge", "orientation", "orientation"]
    assert [str(p) for name, root in roots.items() for p in structural_problems(root, name, known)] == []


def test_the_loop_ceiling_is_a_setting(monkeypatch):
    """Lowered below the CEP's 60 plan revisions, does the ceiling refuse that loop, and only it?"""
    monkeypatch.setattr(Config, "LOOP_CEILING", 55)
    problems = problems_of((ROOT / "processes" / "cep.bpmn").read_bytes(), "cep.bpmn")
    assert [p.element_id for p in problems] == ["financement"]
    assert "« Financer la formation »" in problems[0].message and "pas 60" in problems[0].message


@pytest.mark.parametrize("kind, expression, refused", [
    ("timeCycle", '"R3/PT24H"', None),
    ("timeCycle", '"R100/2026-05-04T09:00:00/P1W"', None),
    ("timeCycle", '"R101/PT24H"', "au plus 100 répétitions"),
    ("timeCycle", '"R2/PT59M"', "au moins 1 heure"),
    ("timeCycle", '"R2/P0D"', "au moins 1 heure"),
    ("timeCycle", "cycle_choisi", "doit être écrit dans le diagramme"),
    ("timeCycle", '"R2"', "n'est pas lisible"),
    ("timeDuration", '"P5D"', None),
    ("timeDuration", '"PT0S"', None),
    ("timeDuration", '"P-1D"', "n'est pas une durée ISO 8601 lisible"),
    ("timeDuration", '"P99999999M"', "dépasse 10 ans"),
    ("timeDuration", 'delai["duree"]', "doit être écrite dans le diagramme"),
    ("timeDate", '"2026-06-12T09:00:00"', None),
    ("timeDate", 'envoi["expiration"]', None),
    ("timeDate", '"demain matin"', "n'est pas une date ISO 8601 lisible"),
])
def test_timers_need_a_count_a_period_and_readable_literals(kind, expression, refused):
    """Is each timer literal read as the engine would, and refused when it repeats without end, too
    often, or cannot be read; is a date computed from the data left to run time?"""
    problems = problems_of(chain("minuteur", timer(kind, expression)))
    if refused is None:
        assert problems == []
    else:
        [problem] = problems
        assert problem.element_id == "attente" and "Minuteur « Attendre »" in problem.message
        assert refused in problem.message, problem.message


@pytest.mark.parametrize("characteristics, refused", [
    ("<bpmn:loopCardinality>100</bpmn:loopCardinality>", None),
    ("<bpmn:loopCardinality>101</bpmn:loopCardinality>", "au plus 100 instances"),
    ("<bpmn:loopCardinality>nombre * 1000</bpmn:loopCardinality>", "nombre entier écrit dans le diagramme"),
    ("<bpmn:loopDataInputRef>demandes</bpmn:loopDataInputRef>"
     '<bpmn:inputDataItem id="demande" name="demande" />', None),
])
def test_multi_instance_counts_are_literal_and_bounded_or_a_collection(characteristics, refused):
    content = chain("multi", user_task(inner="<bpmn:multiInstanceLoopCharacteristics>"
                                             f"{characteristics}</bpmn:multiInstanceLoopCharacteristics>"))
    problems = problems_of(content)
    if refused is None:
        assert problems == []
    else:
        [problem] = problems
        assert problem.element_id == "saisir" and "multi-instance « Saisir »" in problem.message
        assert refused in problem.message


# -- run time: data-driven instances and the engine step budget --------------------------------

def compiled(content: bytes, key: str) -> str:
    return compile_files({f"{key}.bpmn": content})[key].spec_json


def test_a_multi_instance_over_too_long_a_collection_is_stopped_before_creating_anything():
    """A collection of 100,000 items from the data: is the start refused at once (no instance
    created, no memory blown), while 3 items give 3 tasks?"""
    spec = compiled((JOURNEYS / "multi_instance_collection.bpmn").read_bytes(), "multi_instance_collection")
    assert len(Instance.start(spec, {"elements": ["a", "b", "c"]}).ready_user_tasks()) == 3
    started = time.perf_counter()
    with pytest.raises(JourneyBoundExceeded) as exc:
        Instance.start(spec, {"elements": list(range(100_000))})
    assert time.perf_counter() - started < SECONDS
    assert "« Saisie par élément » demanderait 100000 instances, au plus 100" in str(exc.value)


def test_the_step_budget_stops_a_runaway_advance(monkeypatch):
    """500 passes of engine-only steps in one advance: is it stopped at the budget, quickly, with a
    French EngineError the callers already turn into an incident or a refused step?"""
    spec = compiled((JOURNEYS / "engine_only_loop.bpmn").read_bytes(), "tourner_sans_personne")
    monkeypatch.setattr(Config, "ENGINE_STEP_BUDGET", 100)
    started = time.perf_counter()
    with pytest.raises(EngineError) as exc:
        Instance.start(spec)
    assert time.perf_counter() - started < SECONDS
    assert isinstance(exc.value, JourneyBoundExceeded)
    assert "dépassé 100 étapes automatiques" in str(exc.value)


def test_the_step_budget_counts_each_advance_afresh(monkeypatch):
    """A budget is per advance: a journey of many short advances (a loop of user tasks) is never
    stopped by the sum of its steps."""
    monkeypatch.setattr(Config, "ENGINE_STEP_BUDGET", 12)
    spec = compiled(chain("seances", user_task(inner='<bpmn:standardLoopCharacteristics testBefore="false" '
                                                     'loopMaximum="30" />')), "seances")
    instance = Instance.start(spec)
    for _ in range(30):
        [task] = instance.ready_user_tasks()
        instance.complete(task.uuid, {"notes": "Séance."})
    assert instance.completed and instance.end_event() == "fin"


@pytest.fixture
def budget_process(ctx, monkeypatch):
    """Publish a process whose second advance runs away, with a small step budget; its rows (the
    timer worker commits) are removed afterwards."""
    published = []

    def _publish(key: str, content: bytes):
        [version] = publish({f"{key}.bpmn": content}, FORMS)
        published.append(version.id)
        monkeypatch.setattr(journeys, "PROCESS_STARTABLE", journeys.PROCESS_STARTABLE | {key})
        return version
    monkeypatch.setattr(Config, "ENGINE_STEP_BUDGET", 100)
    yield _publish
    db.session.rollback()
    mine = select(Journey.id).where(Journey.definition_version_id.in_(published))
    for model in (HumanTask, AuditEvent):
        db.session.execute(delete(model).where(model.journey_id.in_(mine)))
    db.session.execute(delete(Journey).where(Journey.id.in_(mine)))
    db.session.execute(delete(DefinitionVersion).where(DefinitionVersion.id.in_(published)))
    db.session.commit()


def test_a_runaway_step_is_refused_and_nothing_is_kept(budget_process):
    """Completing the task would run past the budget: is the step refused with a French message,
    nothing of it kept (state unchanged, task still open), and the journey marked as an incident?"""
    budget_process("budget_etape", chain("budget_etape", user_task(), ENGINE_LOOP))
    claire = get_user("claire.martin")
    journey = start_journey(claire, "budget_etape")
    db.session.commit()
    [task] = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id)).all()
    state = journey.state
    with pytest.raises(InvalidData) as exc:
        complete_task(claire, task.id, SEANCE)
    assert "dépassé 100 étapes automatiques" in exc.value.message
    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert (journey.status, journey.state) == ("incident", state)
    assert "dépassé 100 étapes automatiques" in journey.incident
    assert db.session.get(HumanTask, task.id).status == "ouverte"


def test_a_runaway_timer_advance_makes_the_journey_an_incident(budget_process, monkeypatch):
    """A timer whose next steps run past the budget: does the worker turn the journey into an
    incident carrying the French reason, keeping nothing of the advance?"""
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now)
    budget_process("budget_minuteur", chain("budget_minuteur", user_task(), timer("timeDuration", '"P1D"'),
                                            ENGINE_LOOP))
    claire = get_user("claire.martin")
    journey = start_journey(claire, "budget_minuteur")
    [task] = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id)).all()
    complete_task(claire, task.id, SEANCE)
    db.session.commit()
    state = journey.state
    assert journey.next_timer_at is not None
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=2))
    started = time.perf_counter()
    assert fire_due_timers() == 1
    assert time.perf_counter() - started < SECONDS
    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert journey.status == "incident" and "dépassé 100 étapes automatiques" in journey.incident
    assert journey.state == state and journey.next_timer_at is None
