"""Diagram expressions are bounded in cost: every kind is checked at validation, naming its element,
and what validation accepts runs within its budget on the largest data the forms allow."""
import gc
import importlib.util
import time
import tracemalloc
from pathlib import Path

import pytest

from test_validation import HOSTILE, bpmn, validate
from webapp.workflow import EngineError, Instance, compile_files, decide
from webapp.workflow import expression_budget
from webapp.workflow.expressions import check_expression, evaluate_bounded

ROOT = Path(__file__).resolve().parent.parent
DMN = (ROOT / "processes" / "orientation_partenaire.dmn").read_text()


def _bench():
    spec = importlib.util.spec_from_file_location("bench_expressions", ROOT / "bench" / "expressions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- every kind of expression is checked at validation, naming its element ------------------------

@pytest.mark.parametrize("fixture, element_id, words", [
    ("expr_gateway.bpmn", "flux_hostile", "Multiplication refusée"),
    ("expr_timer.bpmn", "minuteur", "Format trop large"),
    ("expr_timer_cycle.bpmn", "cycle", "Multiplication refusée"),
    ("expr_loop_condition.bpmn", "saisir", "Multiplication refusée"),
    ("expr_loop_cardinality.bpmn", "saisir", "trop imbriquée"),
    ("expr_completion_condition.bpmn", "saisir", "trop longue"),
    ("expr_collection.bpmn", "saisir", "doit être un nom de donnée"),
    ("expr_conditional_event.bpmn", "attente", "Appel de fonction interdit"),
    ("expr_service_parameter.bpmn", "envoyer", "Multiplication refusée"),
    ("expr_structure_from_data.bpmn", "saisir", "Nombre trop grand"),
    ("expr_title_from_data.bpmn", "saisir", "Format trop large"),
    ("expr_due_days.bpmn", "saisir", "Délai refusé"),
    ("dmn_input_expression.dmn", "expression_public", "Multiplication refusée"),
    ("dmn_input_entry.dmn", "regle_1_public", "Multiplication refusée"),
    ("dmn_output_entry.dmn", "regle_1_reseau", "Format trop large"),
])
def test_each_hostile_expression_is_refused_naming_its_element(fixture, element_id, words):
    """`spro process validate` refuses the file in one French line: file, element, what is wrong."""
    code, errors, out = validate(HOSTILE / fixture)
    assert code == 1 and out == ""
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{fixture}: [{element_id}] "), errors
    assert words in errors[0]
    assert "Traceback" not in errors[0] and "Error" not in errors[0]


def test_the_same_checks_refuse_the_upload_of_a_process(tmp_path):
    """Publishing compiles through the same path: a hostile timer publishes nothing."""
    from webapp.workflow import DefinitionError
    with pytest.raises(DefinitionError) as refused:
        compile_files({"t.bpmn": (HOSTILE / "expr_timer.bpmn").read_bytes()},
                      known_forms={"pec_seance.schema.json"}, known_services={"orientation.envoyer"})
    assert [p.element_id for p in refused.value.problems] == ["minuteur"]


@pytest.mark.parametrize("expression, words", [
    ("[[[0] * 100000] * 100000] * 100000 == 0", "par 100 au plus"),
    ('"%0999999999d" % 0', "au plus 100"),
    ('"%.200f" % montant', "au plus 100"),
    ('"%*d" % (9, 1)', "écrites en chiffres"),
    ("2 ** 100000", "puissance"),
    ("montant * taux", "nombre écrit en clair"),
    ("(liste * 2) * 3", "une multiplication ne peut pas en répéter une autre"),
    ("x" * 2_001, "trop longue"),
    ("not " * 10_000 + "x", "trop longue"),
    ("not " * 40 + "x", "trop imbriquée"),
    (" + ".join(["a"] * 200), "trop complexe"),
    ("[" + ", ".join(["1"] * 51) + "]", "Liste trop longue"),
    ('"' + "y" * 1_001 + '"', "Texte trop long"),
    ("1234567890123456", "Nombre trop grand"),
    ("x[1:100000]", "découpage"),
])
def test_costly_constructions_are_refused_with_a_french_reason(expression, words):
    reason = check_expression(expression)
    assert reason is not None and words in reason, reason
    assert len(reason) < 400  # the expression is shortened in the message


@pytest.mark.parametrize("expression", [
    'issue_tentative in ["refusee", "redirigee", "expiree", "indisponible"]',
    'decision_plan != "arret" and bilan_plan["issue"] == "a_reviser"',
    'partenaire_redirection_id if issue_tentative == "redirigee" else partenaire_id',
    '"-" * 20', "montant * 2", "montant * -1.5", '"%05.2f" % montant', "len(demandes) == 0",
])
def test_ordinary_expressions_stay_accepted(expression):
    assert check_expression(expression) is None


def test_the_shipped_processes_and_table_still_validate():
    code, errors, out = validate(*sorted((ROOT / "processes").glob("*.bpmn")), ROOT / "processes" / "orientation_partenaire.dmn")
    assert (code, errors) == (0, [])
    assert "Valide : orientation_partenaire" in out


# -- what validation accepts runs within its budget -------------------------------------------------

def test_the_worst_accepted_expressions_run_within_budget():
    """The benchmark's costliest accepted expressions, on 5 000-character texts and lists of 50:
    each ends (a value or an EngineError) within a generous 0.5 s of processor time and 2 MB."""
    bench = _bench()
    names = bench.data()
    for label, expression in bench.worst_expressions().items():
        assert check_expression(expression) is None, label
        tracemalloc.start()
        start = time.thread_time()
        try:
            evaluate_bounded(expression, names)
        except EngineError as exc:
            assert str(exc).startswith("Expression trop coûteuse"), exc
        elapsed = time.thread_time() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < 0.5, (label, elapsed)
        assert peak < 2_000_000, (label, peak)


@pytest.mark.parametrize("expression, names, words", [
    ("texte * 100", {"texte": "x" * 5_000}, "100000 caractères"),
    ("len(liste * 100)", {"liste": list(range(101))}, "10000 éléments"),
    ("commentaire % 1", {"commentaire": "%0999999999d"}, "format"),
    ("str(liste * 100)", {"liste": ["x" * 5_000] * 50}, "texte produit"),
    ("max(liste * 100) + max(liste * 100)", {"liste": ["€" * 5_000] * 50}, "parcourt trop de données"),
    ("[texte * 20, texte * 20, texte * 20, texte * 20, texte * 20, texte * 20]", {"texte": "x" * 5_000},
     "construit trop de données"),
    ("(nombre + 1) * 100", {"nombre": 10 ** 250}, "trop grand"),
])
def test_data_that_makes_an_accepted_expression_costly_stops_it(expression, names, words):
    """The budget, not the validation, stops these: the data (a form's text, a list) makes them big."""
    assert check_expression(expression) is None
    start = time.thread_time()
    with pytest.raises(EngineError) as stopped:
        evaluate_bounded(expression, names)
    assert words in str(stopped.value) and time.thread_time() - start < 0.5


def test_an_evaluation_past_its_time_budget_is_stopped(monkeypatch):
    monkeypatch.setattr(expression_budget, "EVALUATION_BUDGET_SECONDS", -1)
    with pytest.raises(EngineError, match="dépassé le temps permis"):
        evaluate_bounded("1 + 1", {})


def test_a_runaway_loop_condition_stops_the_step_with_a_french_message():
    """At run time the engine's step is refused with the budget's French message (the callers turn
    it into a refused step or an incident), instead of hanging the thread."""
    content = bpmn().replace(
        "<bpmn:outgoing>f2</bpmn:outgoing>",
        '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:standardLoopCharacteristics testBefore="false" loopMaximum="5">'
        '<bpmn:loopCondition xsi:type="bpmn:tFormalExpression">len(texte * 100) &gt; 0</bpmn:loopCondition>'
        "</bpmn:standardLoopCharacteristics>", 1)
    spec = compile_files({"e.bpmn": content}, known_forms={"pec_seance.schema.json"})["essai"].spec_json
    instance = Instance.start(spec, {"texte": "x" * 5_000})
    task = instance.ready_user_tasks()[0]
    with pytest.raises(EngineError, match="^Expression trop coûteuse : le résultat dépasserait"):
        instance.complete(task.uuid, {"texte": "x" * 5_000})


def test_a_decision_table_over_budget_raises_engine_error():
    """Partner suggestions catch EngineError: a table whose rule is costly on the data never hangs."""
    costly = DMN.replace('<text>"choisir-un-metier" in ?</text>', "<text>len(? * 100) &gt; 0</text>", 1)
    with pytest.raises(EngineError, match="Expression trop coûteuse"):
        decide(costly, {"public": "scolaire", "categories": ["x"] * 150})
    assert decide(DMN, {"public": "scolaire", "categories": ["choisir-un-metier"]})[0]["reseau"] == "cio"


def test_each_evaluation_starts_with_a_fresh_budget_and_keeps_no_task_data():
    """The thread's evaluator is reused: an evaluation stopped by its budget leaves nothing charged
    to the next one, and the task data it read is not kept once it ended."""
    costly = "max(liste * 100) + max(liste * 100)"
    with pytest.raises(EngineError, match="parcourt trop de données"):
        evaluate_bounded(costly, {"liste": ["€" * 5_000] * 50})
    assert evaluate_bounded("max(liste * 100)", {"liste": ["€" * 150] * 50}) == "€" * 150  # just under it
    evaluator = expression_budget._thread.evaluator
    assert evaluator.names == {} and not evaluator.running


def test_a_garbage_collection_during_an_evaluation_is_not_charged_to_it(monkeypatch):
    """A full collection of a big heap, triggered while a condition is read, takes longer than the
    budget: the condition is still evaluated (the collection is the process's cost, not its own)."""
    heap = [[i] for i in range(1_000_000)]  # a long-running process's objects
    took = []

    class CollectingData(dict):
        def __getitem__(self, key):
            start = time.thread_time()
            gc.collect()
            took.append(time.thread_time() - start)
            return super().__getitem__(key)

    budget = 0.01
    monkeypatch.setattr(expression_budget, "EVALUATION_BUDGET_SECONDS", budget)
    # nine nodes or more, so that the clock is read after the collections (every 8th node)
    assert evaluate_bounded("decision == 'orientation' and public != 'adulte' and public != 'retraite'",
                            CollectingData(decision="orientation", public="scolaire")) is True
    assert sum(took) > budget, took  # the collections alone would have exceeded the budget
    assert len(heap) == 1_000_000
