"""Safe evaluation of diagram expressions (gateway and loop conditions) over JSON task data."""
import ast
import json

from simpleeval import EvalWithCompoundTypes
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import EngineError

SAFE_FUNCTIONS = {"len": len, "str": str, "int": int, "min": min, "max": max}

_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.FloorDiv,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Set,
    ast.Dict, ast.Subscript, ast.IfExp, ast.Call,
)


# What a refused construction is, in the words of a process owner.
_REFUSED_KINDS = {
    "Attribute": "l'accès à un attribut (« objet.nom »)", "Lambda": "une fonction anonyme (lambda)",
    "ListComp": "une liste en compréhension", "SetComp": "un ensemble en compréhension",
    "DictComp": "un dictionnaire en compréhension", "GeneratorExp": "un générateur",
    "NamedExpr": "une affectation (« := »)", "Await": "une attente (await)", "Yield": "un yield",
    "Starred": "une décompression (« * »)", "JoinedStr": "une chaîne formatée (f-string)",
}


def check_expression(expression: str) -> str | None:
    """Return a French reason why an expression is refused, or None when it is acceptable."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return f"Expression invalide : « {expression} »."
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            kind = _REFUSED_KINDS.get(type(node).__name__, "une construction non autorisée")
            return (f"Construction interdite dans « {expression} » : {kind}. N'utilisez que des "
                    "comparaisons, des valeurs, des listes et les données du formulaire.")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return f"Nom interdit « {node.id} » dans « {expression} »."
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in SAFE_FUNCTIONS:
                return f"Appel de fonction interdit dans « {expression} »."
    return None


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions with simpleeval; refuses every script."""

    def evaluate(self, expression, context, external_context=None):
        reason = check_expression(expression)
        if reason:
            raise EngineError(reason)
        names = dict(external_context or {})
        names.update(context)
        evaluator = EvalWithCompoundTypes(names=names, functions=SAFE_FUNCTIONS)
        return evaluator.eval(expression.strip())

    def execute(self, script, context, external_context=None):
        raise EngineError("Les scripts ne sont pas exécutés par cette application.")

    def call_service(self, context, **kwargs):
        raise EngineError("Aucune opération de service n'est autorisée.")


class SafeScriptEngine(PythonScriptEngine):
    """The script engine handed to every workflow: expressions only, evaluated safely."""

    def __init__(self):
        super().__init__(environment=SafeEnvironment())

    def validate(self, expression):
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
