"""DMN decision tables, evaluated with the same safe, bounded expression engine as the journeys."""
from functools import lru_cache
from types import SimpleNamespace

from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .engine import _ENGINE
from .errors import DefinitionError, EngineError, Problem
from .expression_sites import dmn_sites, expression_problems
from .xml import parse_xml

DMN_NS = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/")
HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
# The view shows its own advice for a message starting with these words.
ENGINE_REFUSAL = "Table de décision invalide"
_UNREADABLE = (f"{ENGINE_REFUSAL} : la table n'est pas lisible par le moteur de décision : vérifiez dans un "
               "éditeur DMN que le fichier contient une décision avec sa table (entrées, sorties et règles).")


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _table_problems(root) -> list[Problem]:
    """What the engine needs before it reads the file: one decision, one table, rules that fit it."""
    namespace = etree.QName(root).namespace
    if _local(root.tag) != "definitions" or namespace not in DMN_NS:
        return [Problem("Ce fichier n'est pas une table de décision DMN 1.2 ou 1.3 : l'élément racine doit "
                        f"être « definitions » dans l'espace de noms {' ou '.join(DMN_NS)}.")]
    if root.nsmap.get(None) != namespace:
        return [Problem(f"Écrivez l'espace de noms DMN comme espace par défaut (xmlns=\"{namespace}\"), "
                        "comme l'enregistrent les éditeurs DMN, sans préfixe.")]
    q = f"{{{namespace}}}"
    decisions = root.findall(f"{q}decision")
    if len(decisions) != 1:
        return [Problem("Le fichier doit contenir exactement une décision (élément « decision ») ; "
                        f"il en contient {len(decisions)}.")]
    decision = decisions[0]
    tables = decision.findall(f"{q}decisionTable")
    if len(tables) != 1:
        return [Problem("La décision doit contenir exactement une table (élément « decisionTable ») ; "
                        f"elle en contient {len(tables)}.", decision.get("id"))]
    table = tables[0]
    if namespace != DMN_NS[0] and table.get("hitPolicy", "UNIQUE") not in HIT_POLICIES:  # no schema for 1.2
        return [Problem(f"Règle de combinaison « {table.get('hitPolicy')} » inconnue : choisissez parmi "
                        f"{', '.join(HIT_POLICIES)}.", table.get("id"))]
    inputs, outputs = len(table.findall(f"{q}input")), len(table.findall(f"{q}output"))
    problems = [] if outputs else [Problem("La table n'a aucune sortie (élément « output »).", table.get("id"))]
    for rule in table.findall(f"{q}rule"):
        entries, results = len(rule.findall(f"{q}inputEntry")), len(rule.findall(f"{q}outputEntry"))
        if (entries, results) != (inputs, outputs):
            problems.append(Problem(f"La règle a {entries} condition(s) et {results} résultat(s) ; la table a "
                                    f"{inputs} entrée(s) et {outputs} sortie(s).", rule.get("id")))
    return problems


def decision_problems(root) -> list[Problem]:
    """Every problem of a parsed DMN tree found without running the engine's parser."""
    return _table_problems(root) or expression_problems(dmn_sites(root))


@lru_cache(maxsize=16)
def _engine(xml: str):
    root = parse_xml(xml, "decision.dmn")
    problems = decision_problems(root)
    if problems:
        raise DefinitionError(problems)
    # The library's DMN 1.2 schema does not load (it refers to a DMNDI schema it lacks): a 1.2 file
    # is read without it, after the checks above, which cover what the engine relies on.
    schema_loads = etree.QName(root).namespace == DMN_NS[0]
    parser = SpiffBpmnParser(validator=VALIDATOR if schema_loads else None)
    try:
        parser.add_dmn_xml(root, "decision.dmn")
        decision_id = next(iter(parser.dmn_parsers))
        return parser.get_engine(decision_id, None), decision_id
    except Exception as exc:  # noqa: BLE001  (never a traceback for a bad file)
        raise DefinitionError([Problem(_UNREADABLE)]) from exc


def decision_key(xml: str) -> str:
    """Validate a DMN file and return its decision id."""
    return _engine(xml)[1]


def decide(xml: str, inputs: dict) -> list[dict]:
    """Evaluate the table over `inputs`; one dict of outputs per matching rule, in rule order.

    Every expression runs within the engine's budget; a table that exceeds it, or that the
    current checks refuse, raises EngineError."""
    try:
        engine, _key = _engine(xml)
    except DefinitionError as exc:
        raise EngineError(f"La table de décision n'est pas acceptée : {exc}") from exc
    task = SimpleNamespace(data=dict(inputs), workflow=SimpleNamespace(script_engine=_ENGINE))
    try:
        rules = engine.decide(task)
        return [rule.output_as_dict(task) for rule in rules]
    except EngineError:
        raise
    except Exception as exc:
        cause = _engine_error_in(exc)
        if cause is not None:
            raise cause from exc
        raise EngineError(f"La table de décision n'a pas pu être évaluée : {exc}") from exc


def _engine_error_in(exc) -> EngineError | None:
    """The EngineError (e.g. a budget exceeded) the DMN library wrapped in its own exception, if any."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, EngineError):
            return exc
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
        seen += 1
    return None
