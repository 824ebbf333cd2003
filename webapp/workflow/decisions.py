"""DMN decision tables, evaluated with the same safe expression engine as the journeys."""
from functools import lru_cache
from types import SimpleNamespace

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .engine import _ENGINE
from .errors import DefinitionError, EngineError, Problem
from .expressions import check_expression
from .xml import parse_xml

DMN_NS = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/")


def _expressions(root):
    for el in root.iter():
        tag = el.tag.split("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag == "text" and (el.text or "").strip() and el.text.strip() != "-":
            parent = el.getparent()
            owner = next((a.get("id") for a in [parent, *parent.iterancestors()] if a.get("id")), None)
            yield owner, el.text.strip().replace("?", "dmninputexpr")


@lru_cache(maxsize=16)
def _engine(xml: str):
    root = parse_xml(xml, "decision.dmn")
    problems = [Problem(reason, owner) for owner, text in _expressions(root)
                if (reason := check_expression(text))]
    if problems:
        raise DefinitionError(problems)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_dmn_xml(root, "decision.dmn")
        decision_id = next(iter(parser.dmn_parsers))
        return parser.get_engine(decision_id, None), decision_id
    except (ValidationException, SpiffWorkflowException, StopIteration) as exc:
        raise DefinitionError([Problem(f"Table de décision invalide : {exc}")]) from exc


def decision_key(xml: str) -> str:
    """Validate a DMN file and return its decision id."""
    return _engine(xml)[1]


def decide(xml: str, inputs: dict) -> list[dict]:
    """Evaluate the table over `inputs`; one dict of outputs per matching rule, in rule order."""
    engine, _key = _engine(xml)
    task = SimpleNamespace(data=dict(inputs), workflow=SimpleNamespace(script_engine=_ENGINE))
    try:
        rules = engine.decide(task)
        return [rule.output_as_dict(task) for rule in rules]
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"La table de décision n'a pas pu être évaluée : {exc}") from exc
