"""The validator never crashes: deep or long expressions, thousands of tasks, broken or odd DMN files
get one French line per problem and exit 1 from `spro process validate`, and no 500 on upload."""
import html
import io

import pytest

from conftest import csrf_from, login
from test_validation import HOSTILE, bpmn, validate

FIXTURES = HOSTILE.parent
DECISION_URL = "/pilotage/decisions/orientation_partenaire"


def _flow_condition(expression: str) -> str:
    """The small test process with `expression` as the condition of its flow f2."""
    escaped = expression.replace("&", "&amp;").replace("<", "&lt;")
    return bpmn().replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="fin" />',
        '<bpmn:sequenceFlow id="f2" sourceRef="saisir" targetRef="fin"><bpmn:conditionExpression '
        f'xsi:type="bpmn:tFormalExpression">{escaped}</bpmn:conditionExpression></bpmn:sequenceFlow>')


@pytest.mark.parametrize("expression, words", [
    ("(" * 900 + "x" + ")" * 900, "Expression invalide"),
    ("not " * 10_000 + "x", "Expression trop longue"),
    ("not " * 100 + "x", "Expression trop imbriquée"),
    ("-" * 1_500 + "1", "Expression trop complexe"),
    ("x + " * 25_000 + "x", "Expression trop longue"),  # 100 KB
    ("[" * 150 + "]" * 150, "Expression trop complexe"),
])
def test_deep_or_long_expressions_get_one_french_line(tmp_path, expression, words):
    path = tmp_path / "profonde.bpmn"
    path.write_text(_flow_condition(expression), encoding="utf-8")
    code, errors, out = validate(path)
    assert (code, out) == (1, "")
    assert len(errors) == 1 and errors[0].startswith("profonde.bpmn: [f2] " + words), errors


def test_two_hundred_nested_parentheses_are_just_a_value(tmp_path):
    """Python reads (((…x…))) as x: accepted, and evaluating it costs nothing."""
    path = tmp_path / "parentheses.bpmn"
    path.write_text(_flow_condition("(" * 200 + "x" + ")" * 200), encoding="utf-8")
    assert validate(path)[:2] == (0, [])


def _chain(count: int, close_cycle: bool = False) -> str:
    """A process start -> t0 -> ... -> t{count-1} -> end (or back to t0)."""
    tasks = "".join(f'<bpmn:manualTask id="t{i}"><bpmn:incoming>f{i}</bpmn:incoming>'
                    f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:manualTask>' for i in range(count))
    flows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{"debut" if i == 0 else f"t{i - 1}"}" '
                    f'targetRef="t{i}" />' for i in range(count))
    last = "t0" if close_cycle else "fin"
    flows += f'<bpmn:sequenceFlow id="f{count}" sourceRef="t{count - 1}" targetRef="{last}" />'
    return ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
            '<bpmn:process id="chaine" isExecutable="true"><bpmn:startEvent id="debut">'
            f'<bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>{tasks}<bpmn:endEvent id="fin">'
            f'<bpmn:incoming>f{count}</bpmn:incoming></bpmn:endEvent>{flows}</bpmn:process></bpmn:definitions>')


def test_a_chain_of_5000_tasks_gets_a_french_line(tmp_path):
    """The engine's parser recurses along the flows: a chain too long for it is refused in French."""
    path = tmp_path / "chaine.bpmn"
    path.write_text(_chain(5_000), encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1 and len(errors) == 1, errors
    assert errors[0].startswith("chaine.bpmn: [") and "Enchaînement trop long" in errors[0]


def test_a_cycle_through_5000_tasks_is_found_without_recursion(tmp_path):
    path = tmp_path / "cycle.bpmn"
    path.write_text(_chain(5_000, close_cycle=True), encoding="utf-8")
    code, errors, _ = validate(path)
    assert code == 1 and len(errors) == 1, errors
    assert errors[0].startswith("cycle.bpmn: [f5000] Boucle de flux refusée"), errors


# -- DMN files ------------------------------------------------------------------------------------

def test_the_table_in_the_dmn_1_2_namespace_validates():
    code, errors, out = validate(FIXTURES / "dmn_1_2" / "orientation_partenaire.dmn")
    assert (code, errors, out.strip()) == (0, [], "Valide : orientation_partenaire")


@pytest.mark.parametrize("fixture, words", [
    ("dmn_no_decision.dmn", "dmn_no_decision.dmn: Le fichier doit contenir exactement une décision"),
    ("dmn_no_table.dmn", "dmn_no_table.dmn: [orientation_partenaire] La décision doit contenir exactement une table"),
    ("dmn_prefixed_namespace.dmn", "dmn_prefixed_namespace.dmn: Écrivez l'espace de noms DMN comme espace par défaut"),
])
def test_broken_dmn_files_get_one_french_line(fixture, words):
    code, errors, out = validate(HOSTILE / fixture)
    assert (code, out) == (1, "")
    assert len(errors) == 1 and errors[0].startswith(words), errors


_DMN = (FIXTURES.parent.parent / "processes" / "orientation_partenaire.dmn").read_text()


@pytest.mark.parametrize("content, words", [
    (_DMN.replace("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd"),
     "n'est pas une table de décision DMN 1.2 ou 1.3"),
    ((FIXTURES.parent.parent / "processes" / "accueil.bpmn").read_text(), "n'est pas une table de décision"),
    (_DMN.replace('<outputEntry id="regle_1_raison">', '<inputEntry id="en_trop"><text>1</text></inputEntry>'
                  '<outputEntry id="regle_1_raison">', 1), "[regle_1] La règle a 3 condition(s)"),
    (_DMN.replace("</rule>", "</regle>", 1), "XML mal formé"),
    (b"\xff\xfe not text", "pas un texte UTF-8"),
    (_DMN.replace('hitPolicy="COLLECT"', 'hitPolicy="PLUSIEURS"'), "n'est pas lisible par le moteur"),
    (_DMN.replace('decision id="orientation_partenaire"', 'decision id="autre"'), "Décision inconnue"),
    ("", "XML mal formé"),
])
def test_odd_dmn_files_are_refused_in_french(tmp_path, content, words):
    path = tmp_path / "table.dmn"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, errors, out = validate(path)
    assert (code, out) == (1, "")
    assert errors and all(e.startswith("table.dmn: ") for e in errors), errors
    assert words in errors[0]
    assert not any(english in " ".join(errors) for english in ("Traceback", "Error", "Exception", "decision.dmn"))


def test_a_mixed_batch_reports_every_file(tmp_path):
    """BPMN and DMN files validated together: each file's problems, exit 1."""
    code, errors, _ = validate(HOSTILE / "expr_gateway.bpmn", HOSTILE / "dmn_no_table.dmn",
                               FIXTURES / "dmn_1_2" / "orientation_partenaire.dmn")
    assert code == 1
    assert {e.split(":", 1)[0] for e in errors} == {"expr_gateway.bpmn", "dmn_no_table.dmn"}


# -- the upload answers in French, never a 500 ----------------------------------------------------

@pytest.mark.parametrize("fixture, words", [
    ("dmn_no_table.dmn", "La décision doit contenir exactement une table"),
    ("dmn_no_decision.dmn", "exactement une décision"),
    ("dmn_prefixed_namespace.dmn", "espace de noms DMN"),
    ("dmn_output_entry.dmn", "Format trop large"),
])
def test_uploading_a_broken_table_publishes_nothing_and_says_why(client, fixture, words):
    login(client, "julien.mercier")
    page = client.get(DECISION_URL).get_data(as_text=True)
    response = client.post(DECISION_URL, data={
        "csrf_token": csrf_from(page), "fichier": (io.BytesIO((HOSTILE / fixture).read_bytes()), fixture)},
        content_type="multipart/form-data", follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Rien n'a été publié" in text and words in text
