"""Safe evaluation of diagram expressions over JSON task data, bounded in cost.

Validation (`check_expression`) refuses what cannot be bounded: long or deep expressions, big
literals, repetition of anything but a small literal count, wide formats, powers. Evaluation
(`SafeEnvironment.evaluate`) then runs within the budget of `expression_budget.py`: what data
can still make big or slow is stopped with an EngineError.
"""
import ast
import json
from functools import lru_cache

from simpleeval import InvalidExpression
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import EngineError
from .expression_budget import BudgetedEvaluator, format_problem, run_budgeted

SAFE_FUNCTIONS = {"len": len, "str": str, "int": int, "min": min, "max": max}  # str is bounded when run

# Static limits, checked at validation (and again before every evaluation).
MAX_EXPRESSION_CHARS = 2_000   # text of one expression
MAX_NODES = 300                # syntax tree nodes of one expression
MAX_DEPTH = 30                 # nesting of the syntax tree
MAX_TEXT_LITERAL = 1_000       # characters of one quoted text
MAX_NUMBER_DIGITS = 15         # digits of one number written in the expression
MAX_COLLECTION_ITEMS = 50      # elements of one list, tuple, set or dict written in the expression
MAX_REPEAT = 100               # largest count repeating a text or a list (« "-" * 20 »)

_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.FloorDiv,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Set,
    ast.Dict, ast.Subscript, ast.IfExp, ast.Call,
)
_COLLECTIONS = (ast.List, ast.Tuple, ast.Set, ast.Dict)

# What a refused construction is, in the words of a process owner.
_REFUSED_KINDS = {
    "Attribute": "l'accès à un attribut (« objet.nom »)", "Lambda": "une fonction anonyme (lambda)",
    "ListComp": "une liste en compréhension", "SetComp": "un ensemble en compréhension",
    "DictComp": "un dictionnaire en compréhension", "GeneratorExp": "un générateur",
    "NamedExpr": "une affectation (« := »)", "Await": "une attente (await)", "Yield": "un yield",
    "Starred": "une décompression (« * »)", "JoinedStr": "une chaîne formatée (f-string)",
    "Pow": "une puissance (« ** »)", "Slice": "un découpage (« [a:b] »)",
    "LShift": "un décalage de bits", "RShift": "un décalage de bits",
}


def _short(expression: str) -> str:
    text = " ".join(expression.split())
    return text if len(text) <= 80 else text[:77] + "…"


def _depth(tree) -> int:
    """Nesting depth of a syntax tree, without recursion (a tree may be thousands deep)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _number(node):
    """The number a node writes in clear (« 3 », « -2.5 »), or None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _literal_problem(node):
    if isinstance(node, ast.Constant):
        value = node.value
        if type(value) is str and len(value) > MAX_TEXT_LITERAL:
            return "Texte trop long", f"{len(value)} caractères, au plus {MAX_TEXT_LITERAL}"
        if type(value) is int and len(str(abs(value))) > MAX_NUMBER_DIGITS:
            return "Nombre trop grand", f"au plus {MAX_NUMBER_DIGITS} chiffres"
        if value is not None and type(value) not in (str, int, float, bool):
            return "Valeur refusée", "seuls les textes, les nombres, True, False et None sont permis"
    if isinstance(node, _COLLECTIONS):
        count = len(node.keys) if isinstance(node, ast.Dict) else len(node.elts)
        if count > MAX_COLLECTION_ITEMS:
            return "Liste trop longue", f"{count} éléments, au plus {MAX_COLLECTION_ITEMS}"
    return None


def _operation_problem(node):
    """Repetition (« * ») and formatting (« % ») bounded by what is written; None when acceptable."""
    if isinstance(node.op, ast.Mult):
        left, right = _number(node.left), _number(node.right)
        if left is None and right is None:
            return ("Multiplication refusée", "l'un des deux termes doit être un nombre écrit en clair "
                    "(« montant * 2 »)")
        if left is not None and right is not None:
            return None
        count, repeated = (left, node.right) if left is not None else (right, node.left)
        if type(count) is int and abs(count) > MAX_REPEAT:
            return ("Multiplication refusée", f"par {MAX_REPEAT} au plus, car l'autre terme peut être "
                    "un texte ou une liste qui serait répété")
        if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) for n in ast.walk(repeated)):
            return "Multiplication refusée", "une multiplication ne peut pas en répéter une autre"
    if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and type(node.left.value) is str:
        reason = format_problem(node.left.value)
        return ("Format trop large", reason) if reason else None
    return None


def _node_problem(node):
    """(headline, detail) of what is refused in one node, or None."""
    if not isinstance(node, _ALLOWED_NODES):
        kind = _REFUSED_KINDS.get(type(node).__name__, "une construction non autorisée")
        return ("Construction interdite", f"{kind}. N'utilisez que des comparaisons, des valeurs, "
                "des listes et les données du formulaire")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        return f"Nom interdit « {node.id} »", None
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in SAFE_FUNCTIONS:
            return "Appel de fonction interdit", f"seules {', '.join(SAFE_FUNCTIONS)} sont permises"
        if node.keywords:
            return "Appel de fonction interdit", "pas de paramètre nommé"
    if isinstance(node, ast.BinOp):
        return _operation_problem(node)
    return _literal_problem(node)


@lru_cache(maxsize=2048)
def check_expression(expression: str) -> str | None:
    """Return a French reason why an expression is refused, or None when it is acceptable."""
    text = expression.strip()
    if len(text) > MAX_EXPRESSION_CHARS:
        return (f"Expression trop longue ({len(text)} caractères, au plus {MAX_EXPRESSION_CHARS}) : "
                f"« {_short(text)} ».")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return f"Expression invalide : « {_short(text)} »."
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        return (f"Expression trop complexe ({len(nodes)} éléments, au plus {MAX_NODES}) : "
                f"« {_short(text)} ». Découpez-la en plusieurs étapes.")
    if _depth(tree) > MAX_DEPTH:
        return f"Expression trop imbriquée (au plus {MAX_DEPTH} niveaux) : « {_short(text)} »."
    for node in nodes:
        problem = _node_problem(node)
        if problem:
            headline, detail = problem
            return f"{headline} dans « {_short(text)} »" + (f" : {detail}." if detail else ".")
    return None


@lru_cache(maxsize=2048)
def _parsed(text: str):
    """An accepted expression's syntax tree, parsed once (the evaluator only reads it)."""
    return BudgetedEvaluator.parse(text)


def evaluate_bounded(expression: str, names: dict):
    """Check then evaluate an expression within its budget; EngineError when refused or too costly."""
    reason = check_expression(expression)
    if reason:
        raise EngineError(reason)
    try:
        text = expression.strip()
        return run_budgeted(_parsed(text), text, names)
    except (RecursionError, MemoryError, OverflowError) as exc:
        raise EngineError("Expression trop coûteuse : son évaluation a été arrêtée.") from exc
    except InvalidExpression as exc:
        if type(exc).__name__ in ("IterableTooLong", "NumberTooHigh"):
            raise EngineError("Expression trop coûteuse : son résultat est trop grand.") from exc
        raise


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions with simpleeval within a budget; refuses every script."""

    def evaluate(self, expression, context, external_context=None):
        names = dict(external_context or {})
        names.update(context)
        return evaluate_bounded(expression, names)

    def execute(self, script, context, external_context=None):
        raise EngineError("Les scripts ne sont pas exécutés par cette application.")

    def call_service(self, context, **kwargs):
        raise EngineError("Aucune opération de service n'est autorisée.")


class SafeScriptEngine(PythonScriptEngine):
    """The script engine handed to every workflow: expressions only, evaluated safely."""

    def __init__(self):
        super().__init__(environment=SafeEnvironment())

    def evaluate(self, task, expression, external_context=None):
        """As the library's, but a refusal or an exceeded budget keeps its French message (EngineError)."""
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as exc:
            if isinstance(exc.__context__, EngineError):
                raise exc.__context__ from None
            raise

    def validate(self, expression):
        if len(expression.strip()) <= MAX_EXPRESSION_CHARS:
            ast.parse(expression.strip(), mode="eval")  # a SyntaxError tells DMN to prefix the input
        reason = check_expression(expression)
        if reason:
            raise EngineError(reason)

    def call_service(self, task, operation_name=None, operation_params=None, **_kwargs):
        """Run a whitelisted application operation named by a service task."""
        services = getattr(task.workflow.top_workflow, "spro_services", None)
        if services is None:
            raise EngineError(f"Opération de service non disponible : {operation_name}.")
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        return json.dumps(services(operation_name, params, dict(task.data)))
