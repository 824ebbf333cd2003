"""The engine facade (webapp.workflow): long loops, safe expressions, refused data, stalls."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import get_user
from sqlalchemy import select

from webapp.errors import InvalidData
from webapp.extensions import db
from webapp.models import HumanTask
from webapp.operations import journeys
from webapp.operations.definitions import publish
from webapp.operations.journeys import complete_task, start_journey
from webapp.workflow import DefinitionError, EngineError, Instance, TaskNotReady, compile_files
from webapp.workflow import definitions as workflow_definitions
from webapp.workflow.expressions import SafeEnvironment, check_expression

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
KNOWN_FORMS = {p.name for p in (ROOT / "forms").glob("*.schema.json")}

BPMN_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="definitions_test" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def user_task(task_id: str, name: str, incoming: str, outgoing: str | None = None) -> str:
    out = f"<bpmn:outgoing>{outgoing}</bpmn:outgoing>" if outgoing else ""
    return (
        f'<bpmn:userTask id="{task_id}" name="{name}"><bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
        'value="pec_seance.schema.json" /></spiffworkflow:properties></bpmn:extensionElements>'
        f"<bpmn:incoming>{incoming}</bpmn:incoming>{out}</bpmn:userTask>"
    )


def process(key: str, body: str) -> bytes:
    return (BPMN_HEAD + f'<bpmn:process id="{key}" name="{key}" isExecutable="true">'
            + body + "</bpmn:process></bpmn:definitions>").encode("utf-8")


# start -> saisir -> gateway whose only flow requires x == 1 (no default) -> end
DEAD_END_GATEWAY = process("impasse", (
    '<bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    + user_task("saisir", "Saisir", "f1", "f2")
    + '<bpmn:exclusiveGateway id="passerelle"><bpmn:incoming>f2</bpmn:incoming>'
      '<bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>'
      '<bpmn:endEvent id="fin"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
      '<bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisir" />'
      '<bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="passerelle" />'
      '<bpmn:sequenceFlow id="f3" sourceRef="passerelle" targetRef="fin">'
      '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">x == 1</bpmn:conditionExpression>'
      '</bpmn:sequenceFlow>'))

# start -> saisir, and nothing after: the process can finish without any end event
NO_END_EVENT = process("sans_fin", (
    '<bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    + user_task("saisir", "Saisir", "f1")
    + '<bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisir" />'))

# start -> saisir -> end: the smallest journey
ONE_TASK = process("une_tache", (
    '<bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    + user_task("saisir", "Saisir", "f1", "f2")
    + '<bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
      '<bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisir" />'
      '<bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="fin" />'))


def compile_one(key: str, content: bytes, file_name: str | None = None) -> str:
    compiled = compile_files({file_name or f"{key}.bpmn": content}, known_forms=KNOWN_FORMS)
    return compiled[key].spec_json


def only_ready(instance: Instance):
    ready = instance.ready_user_tasks()
    assert len(ready) == 1, ready
    return ready[0]


# -- a loop task of 500 passes ------------------------------------------------------------------

def test_a_loop_task_of_500_passes_reaches_its_end_event_across_restores():
    """Does a standard loop task run all 500 passes, then reach its end event, with a
    dump/restore every 100 passes (rule 3: no silent stall at the library's depth limit), its
    stored state at the 500th pass the size of the first's but for the digits of its pass counters?"""
    spec = compile_one("loop_task_500", (HOSTILE / "loop_task_500.bpmn").read_bytes(),
                       "loop_task_500.bpmn")
    instance = Instance.start(spec)
    passes, sizes = 0, {}
    while instance.ready_user_tasks():
        task = only_ready(instance)
        assert task.bpmn_id == "passe"
        assert task.iteration == passes
        instance.complete(task.uuid, {"passage": passes + 1})
        passes += 1
        if passes in (1, 499):
            sizes[passes] = len(instance.dump())
        assert passes <= 500, "the loop ran past its loopMaximum"
        if passes % 100 == 0:
            before = instance.ready_user_tasks()
            instance = Instance.restore(spec, instance.dump())
            assert instance.ready_user_tasks() == before
    assert passes == 500
    assert instance.completed
    assert instance.end_event() == "fin"
    assert not instance.stalled()
    assert instance.data["passage"] == 500
    assert sizes[499] - sizes[1] <= 12, f"the state grows with the passes: {sizes}"


def test_a_gateway_loop_that_slips_past_the_validator_is_reported_as_stalled(monkeypatch):
    """If a sequence-flow loop ever got past the validator, would the facade report the
    silent stall at the library's depth limit (~500 passes here) instead of waiting forever?"""
    content = (HOSTILE / "loop_500.bpmn").read_bytes().replace(b"passes &lt; 500", b"passes &lt; 2000")
    with pytest.raises(DefinitionError):
        compile_one("loop_500", content)
    monkeypatch.setattr(workflow_definitions, "_find_cycle", lambda container: None)
    spec = compile_one("loop_500", content)
    instance = Instance.start(spec)
    passes = 0
    while instance.ready_user_tasks() and passes < 2000:
        instance.complete(only_ready(instance).uuid, {"passes": passes + 1})
        passes += 1
    assert passes < 2000, "the library ran the whole loop: the depth limit is gone, revisit rule 3"
    assert instance.end_event() is None
    assert instance.stalled(), f"stalled after {passes} passes without ready task nor end event"


# -- safe expressions ---------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "__import__('os').system('true')",
    "__builtins__",
    "x.__class__",
    "x.__class__.__mro__[1].__subclasses__()",
    "().__class__.__bases__[0]",
    "(lambda: 1)()",
    "[y for y in t]",
    "{y: 1 for y in t}",
    "any(y for y in t)",
    "open('/etc/passwd')",
    "getattr(x, 'real')",
    "x if True else (y := 2)",
])
def test_the_safe_evaluator_refuses_code(expression):
    """Are imports, dunder attributes, lambdas, comprehensions and unlisted calls refused,
    both by the definition check and at run time?"""
    assert check_expression(expression) is not None
    with pytest.raises(EngineError):
        SafeEnvironment().evaluate(expression, {"x": 1, "t": [1, 2]})


def test_a_refused_expression_has_no_side_effect(tmp_path):
    """Does evaluating `__import__('os').system('touch …')` leave the file system untouched?"""
    target = tmp_path / "pwned"
    with pytest.raises(EngineError):
        SafeEnvironment().evaluate(f"__import__('os').system('touch {target}')", {})
    assert not target.exists()


@pytest.mark.parametrize("expression, data, expected", [
    ('reponse == "documentation"', {"reponse": "documentation"}, True),
    ('reponse == "documentation"', {"reponse": "cep"}, False),
    ("autre_seance == True", {"autre_seance": True}, True),
    ("passes < 500", {"passes": 499}, True),
    ("passes < 500", {"passes": 500}, False),
    ('len(thematiques) >= 2 and urgence in ["prioritaire"]',
     {"thematiques": ["a", "b"], "urgence": "prioritaire"}, True),
    ("not releve_du_champ or max(n, 3) == 3", {"releve_du_champ": True, "n": 2}, True),
    ('issue != "orientation"', {"issue": "emploi"}, True),
])
def test_the_safe_evaluator_evaluates_normal_conditions(expression, data, expected):
    """Do ordinary gateway and loop conditions give the expected answer over task data?"""
    assert check_expression(expression) is None
    assert SafeEnvironment().evaluate(expression, data) is expected


def test_the_safe_evaluator_refuses_scripts():
    """Is every script refused, whatever it contains?"""
    with pytest.raises(EngineError):
        SafeEnvironment().execute("x = 1", {})


def test_huge_values_are_refused_at_run_time():
    """Does a condition that would build a huge string fail instead of eating the memory?"""
    spec = compile_one("impasse", DEAD_END_GATEWAY.replace(b"x == 1", b"len(x * 100) == 1"))
    instance = Instance.start(spec)
    with pytest.raises(EngineError, match="trop coûteuse"):
        instance.complete(only_ready(instance).uuid, {"x": "a" * 5000})


# -- refused data, task already done ------------------------------------------------------------

@pytest.mark.parametrize("data", [{"_secret": 1}, {"__class__": "x"}, {"ok": 1, "_x": 2}])
def test_data_keys_starting_with_an_underscore_are_refused(data):
    """Are data names starting with `_` refused, leaving the task waiting?"""
    spec = compile_one("une_tache", ONE_TASK)
    instance = Instance.start(spec)
    task = only_ready(instance)
    with pytest.raises(EngineError):
        instance.complete(task.uuid, data)
    assert instance.ready_user_tasks() == [task]
    assert not any(k.startswith("_") for k in instance.task_data(task.uuid))
    with pytest.raises(EngineError):
        Instance.start(spec, data)


def test_completing_a_task_twice_raises_task_not_ready():
    """Is a second completion of the same task refused with TaskNotReady (also after restore)?"""
    spec = compile_one("une_tache", ONE_TASK)
    instance = Instance.start(spec)
    task = only_ready(instance)
    instance.complete(task.uuid, {"notes": "première"})
    with pytest.raises(TaskNotReady):
        instance.complete(task.uuid, {"notes": "seconde"})
    restored = Instance.restore(spec, instance.dump())
    with pytest.raises(TaskNotReady):
        restored.complete(task.uuid, {"notes": "seconde"})
    assert restored.data["notes"] == "première"
    assert restored.end_event() == "fin"


def test_an_unknown_task_uuid_raises_task_not_ready():
    """Is a made-up or malformed task id refused with TaskNotReady?"""
    instance = Instance.start(compile_one("une_tache", ONE_TASK))
    for bad in ("00000000-0000-0000-0000-000000000000", "pas-un-uuid"):
        with pytest.raises(TaskNotReady):
            instance.complete(bad, {})


# -- stalls -------------------------------------------------------------------------------------

def test_a_gateway_with_no_true_condition_raises_and_is_stalled():
    """When no outgoing flow's condition holds and there is no default flow, does the engine
    raise EngineError (nothing saved) and does the instance say it is stalled, never ended?"""
    spec = compile_one("impasse", DEAD_END_GATEWAY)
    instance = Instance.start(spec)
    with pytest.raises(EngineError):
        instance.complete(only_ready(instance).uuid, {"x": 2})
    assert instance.ready_user_tasks() == []
    assert not instance.completed
    assert instance.end_event() is None
    assert instance.stalled()


def test_the_same_gateway_moves_on_when_its_condition_holds():
    """Is the dead-end gateway fine (not stalled, end reached) when its condition is true?"""
    instance = Instance.start(compile_one("impasse", DEAD_END_GATEWAY))
    assert not instance.stalled()
    instance.complete(only_ready(instance).uuid, {"x": 1})
    assert instance.completed and instance.end_event() == "fin"
    assert not instance.stalled()


def test_a_process_without_end_event_is_stalled_once_its_last_task_is_done():
    """Does a process that runs out of work without an end event count as stalled?"""
    spec = compile_one("sans_fin", NO_END_EVENT)
    instance = Instance.start(spec)
    assert not instance.stalled()
    instance.complete(only_ready(instance).uuid, {"notes": "x"})
    assert instance.ready_user_tasks() == []
    assert instance.end_event() is None
    assert instance.stalled()
    assert Instance.restore(spec, instance.dump()).stalled()


# -- what the journey shows when the engine is stuck --------------------------------------------

SEANCE_DATA = {"date_seance": "2026-03-09", "notes": "Séance.", "autre_seance": False}


@pytest.fixture
def publish_test_process(ctx, monkeypatch):
    """Publish a test process (never committed: the ctx fixture rolls it back) and allow
    journeys to start on it."""
    def _publish(key: str, content: bytes):
        [version] = publish({f"{key}.bpmn": content}, str(ROOT / "forms"))
        monkeypatch.setattr(journeys, "PROCESS_STARTABLE", journeys.PROCESS_STARTABLE | {key})
        return version
    return _publish


def _open_tasks(journey):
    return db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                      HumanTask.status == "ouverte")).all()


def test_a_journey_that_runs_out_of_work_without_end_event_is_an_incident(publish_test_process):
    """Does a journey that stops without reaching an end event show `incident`, not `terminee`?"""
    publish_test_process("sans_fin", NO_END_EVENT)
    claire = get_user("claire.martin")
    journey = start_journey(claire, "sans_fin")
    [task] = _open_tasks(journey)
    complete_task(claire, task.id, SEANCE_DATA)
    assert journey.status == "incident"
    assert journey.end_event is None and journey.ended_at is None
    assert journey.incident
    assert _open_tasks(journey) == []


def test_a_dead_end_gateway_refuses_the_step_and_keeps_the_journey_open(publish_test_process):
    """When no flow of a gateway can be taken, is the step refused (InvalidData, nothing kept)
    so that the journey stays open with its task, never shown as ended?"""
    publish_test_process("impasse", DEAD_END_GATEWAY.replace(b"x == 1", b"autre_seance == True"))
    claire = get_user("claire.martin")
    journey = start_journey(claire, "impasse")
    [task] = _open_tasks(journey)
    state, row_version = journey.state, journey.row_version
    savepoint = db.session.begin_nested()
    with pytest.raises(InvalidData) as exc:
        complete_task(claire, task.id, SEANCE_DATA)
    savepoint.rollback()
    assert "n'a pas pu avancer" in exc.value.message
    db.session.refresh(journey)
    assert (journey.status, journey.end_event) == ("en_cours", None)
    assert (journey.state, journey.row_version) == (state, row_version)
    assert [t.id for t in _open_tasks(journey)] == [task.id]
    complete_task(claire, task.id, {**SEANCE_DATA, "autre_seance": True})
    assert (journey.status, journey.end_event) == ("terminee", "fin")


# start -> saisir (a non-interrupting cycle timer every hour, twice, on it) -> end
CYCLE_ON_TASK = process("cycle", (
    '<bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    + user_task("saisir", "Saisir", "f1", "f2")
    + '<bpmn:boundaryEvent id="rappel" attachedToRef="saisir" cancelActivity="false">'
      '<bpmn:outgoing>f3</bpmn:outgoing><bpmn:timerEventDefinition id="rappel_def">'
      '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R2/PT1H"</bpmn:timeCycle>'
      '</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
      '<bpmn:endEvent id="fin_rappel"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
      '<bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
      '<bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisir" />'
      '<bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="fin" />'
      '<bpmn:sequenceFlow id="f3" sourceRef="rappel" targetRef="fin_rappel" />'))


def test_a_cycle_timer_tells_the_worker_when_it_is_next_due():
    """The worker wakes a journey at `next_timer_at`: a cycle timer must give its next occurrence,
    or it would never fire."""
    spec = compile_one("cycle", CYCLE_ON_TASK)
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    instance = Instance.start(spec)
    due = Instance.restore(spec, instance.dump()).next_timer_at()
    assert due is not None and timedelta(minutes=59) < due - before < timedelta(minutes=61)
