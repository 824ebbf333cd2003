"""The run-time budget of one expression evaluation: what it builds, what it reads, how long it runs.

Validation bounds what an expression writes; task data (texts of 5 000 characters, lists) can
still make an accepted expression costly. Every evaluation is therefore charged: the memory of
what it builds (texts, lists, numbers), the characters and elements its comparisons, searches,
`min`, `max`, `str` and `%` formats go through, and processor time checked at every node. Exceeding
any of them raises EngineError, which the callers turn into an incident or a refused step.
"""
import ast
import gc
import re
import sys
import threading
import time

from simpleeval import EvalWithCompoundTypes

from .errors import EngineError

MAX_FORMAT_WIDTH = 100         # width or precision of a « % » format (also checked at validation)
MAX_RESULT_CHARS = 100_000     # length of a text built during an evaluation
MAX_RESULT_ITEMS = 10_000      # elements of a list built during an evaluation
MAX_INT_BITS = 256             # size of an integer built during an evaluation
MAX_ALLOCATED_BYTES = 500_000  # memory of everything one evaluation builds, added up
MAX_WORK = 1_000_000           # characters and elements one evaluation goes through, added up
# Processor time of the evaluating thread, a last guard behind the counted budgets above; the garbage
# collector's passes, charged to whichever thread triggers them, are not counted (a full collection of a
# long-running process's heap refused an ordinary expression in a test run).
EVALUATION_BUDGET_SECONDS = 0.5

_thread = threading.local()  # per thread: its reused evaluator, whether it evaluates, the collector's time then


def _time_collections(phase, _info) -> None:
    if not getattr(_thread, "active", False):
        return  # outside evaluations, a collection costs no clock reading
    now = time.thread_time()
    if phase == "start":
        _thread.started = now
    else:
        _thread.seconds = getattr(_thread, "seconds", 0.0) + now - getattr(_thread, "started", now)


gc.callbacks.append(_time_collections)


def _own_time() -> float:
    """The thread's processor time, without the collector's passes (charged to whichever thread
    triggers them: a long-running process's full collection is not the expression's cost)."""
    return time.thread_time() - getattr(_thread, "seconds", 0.0)


def run_budgeted(tree, text: str, names: dict):
    """Evaluate a parsed expression within its budget, with this thread's evaluator: simpleeval's
    set-up costs as much as a short evaluation, so each thread builds one and reuses it."""
    evaluator = getattr(_thread, "evaluator", None)
    if evaluator is None or evaluator.running:
        evaluator = BudgetedEvaluator()
        _thread.evaluator = evaluator
    return evaluator.run(tree, text, names)


# One « % » conversion: mapping key, flags, width, precision (the only parts that cost).
_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_BUILDING_NODES = (ast.BinOp, ast.Call, ast.List, ast.Tuple, ast.Set, ast.Dict)
_ITEM_WORK = 20   # going through one element of a list costs about as much as 20 characters
_CHAR_WORK = 50   # so does taking one character out of a text (min, max over a text)


def format_problem(text: str) -> str | None:
    """Why a « % » format text would cost too much, or None."""
    for width, precision in _FORMAT_SPEC.findall(text):
        for part in (width, precision):
            if part == "*" or (part and (len(part) > 3 or int(part) > MAX_FORMAT_WIDTH)):
                return (f"largeur et précision d'un format « % » au plus {MAX_FORMAT_WIDTH}, "
                        "écrites en chiffres")
    return None


def text_size(value, limit: int = MAX_RESULT_CHARS) -> int:
    """About how long str(value) would be, counted without building it; stops past `limit`."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
            total += 4 * len(item) + 2
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
            total += 2 * len(item) + 2
        else:
            total += len(item) + 2 if isinstance(item, str) else 80
    return total


def _work(value, limit: int) -> int:
    """What reading all of `value` costs, in characters; stops past `limit`."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (list, tuple, set, dict)):
            stack.extend(item.values() if isinstance(item, dict) else item)
            total += _ITEM_WORK * len(item)
        else:
            total += len(item) if isinstance(item, str) else 1
    return total


def _too_big(value) -> bool:
    if type(value) is str:
        return len(value) > MAX_RESULT_CHARS
    if isinstance(value, (list, tuple, set, dict)):
        return len(value) > MAX_RESULT_ITEMS
    if type(value) is int:
        return value.bit_length() > MAX_INT_BITS
    return False


def _costly(what: str) -> EngineError:
    return EngineError(f"Expression trop coûteuse : {what}.")


def _bounded_mult(a, b):
    for seq, count in ((a, b), (b, a)):
        if isinstance(seq, (str, list, tuple)) and type(count) is int:
            limit, unit = (MAX_RESULT_CHARS, "caractères") if type(seq) is str else (MAX_RESULT_ITEMS, "éléments")
            if count * len(seq) > limit:
                raise _costly(f"le résultat dépasserait {limit} {unit}")
    if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise _costly("nombre trop grand")
    return a * b


def _bounded_add(a, b):
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)) \
            and len(a) + len(b) > (MAX_RESULT_CHARS if type(a) is str else MAX_RESULT_ITEMS):
        raise _costly("le texte ou la liste construit serait trop long")
    return a + b


def _bounded_mod(a, b):
    if type(a) is str:
        reason = format_problem(a)
        if reason:
            raise _costly(reason)
        if len(a) + text_size(b) > MAX_RESULT_CHARS:
            raise _costly(f"le texte produit dépasserait {MAX_RESULT_CHARS} caractères")
    return a % b


class BudgetedEvaluator(EvalWithCompoundTypes):
    """simpleeval with bounded operators, charged reads and builds, and a deadline at every node."""

    def __init__(self):
        super().__init__(names={}, functions={
            "len": len, "int": int, "str": self._str, "min": self._extreme(min), "max": self._extreme(max)})
        self.operators.update({ast.Add: _bounded_add, ast.Mult: _bounded_mult, ast.Mod: _bounded_mod})
        for comparison in _COMPARISONS:
            self.operators[comparison] = self._charged(self.operators[comparison])
        for refused in (ast.Pow, ast.LShift, ast.RShift):
            self.operators.pop(refused, None)
        self.running = False
        self._start_budget()

    def _start_budget(self) -> None:
        self._deadline = _own_time() + EVALUATION_BUDGET_SECONDS
        self._allocated = 0
        self._worked = 0
        self._nodes = 0

    def run(self, tree, text: str, names: dict):
        """One evaluation of a parsed expression over `names`, with a fresh budget."""
        self.names, self.running = names, True
        _thread.active = True
        try:
            self._start_budget()
            return self.eval(text, previously_parsed=tree)
        finally:
            self.names, self.running = {}, False  # the task data is not kept past the evaluation
            _thread.active = False

    def _charge(self, *values, weight: int = 1) -> None:
        for value in values:
            self._worked += weight * _work(value, MAX_WORK - self._worked)
        if self._worked > MAX_WORK:
            raise _costly("elle parcourt trop de données")

    def _charged(self, compare):
        def charged(a, b):
            self._charge(a, b)
            return compare(a, b)
        return charged

    def _extreme(self, pick):
        def extreme(*args):
            for arg in args:
                self._charge(arg, weight=_CHAR_WORK if isinstance(arg, str) else 1)
            return pick(*args)
        return extreme

    def _str(self, value=""):
        if isinstance(value, (list, tuple, set, dict)) and text_size(value) > MAX_RESULT_CHARS:
            raise _costly(f"le texte produit dépasserait {MAX_RESULT_CHARS} caractères")
        return str(value)

    def _eval(self, node):
        self._nodes += 1
        if self._nodes & 7 == 1 and _own_time() > self._deadline:  # the first node, then every 8th
            raise _costly("son évaluation a dépassé le temps permis")
        result = super()._eval(node)
        if _too_big(result):
            raise _costly("son résultat est trop grand")
        if isinstance(node, _BUILDING_NODES):
            self._allocated += sys.getsizeof(result)
            if self._allocated > MAX_ALLOCATED_BYTES:
                raise _costly("elle construit trop de données")
        return result

    def _check_disallowed_items(self, item):
        """Names are JSON task data and the functions are ours: nothing to refuse, so skip the walk."""
