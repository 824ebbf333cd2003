"""Journeys bounded: loops, multi-instances, call activities and timers checked before publication,
and the limits the engine enforces while a journey runs.

Validation (`structural_problems`) refuses a diagram that could run without end: a loop task without
a maximum or above the ceiling, a multi-instance whose count is not a small literal nor a data
collection, a call activity that would call its own process again (directly or through others), a
timer cycle repeating forever or too often, a timer literal that cannot be read. At run time the
engine (`engine.py`) refuses to start more instances of a multi-instance than the ceiling, and stops
any advance that runs more engine steps than its budget (`JourneyBoundExceeded`).

The limits are settings (`webapp/config.py`, environment `SPRO_…`), read when used.
"""
import ast
import re
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import EngineError, Problem
from .expressions import check_expression, evaluate_bounded

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"

DEFAULTS = {
    "LOOP_CEILING": 500,                # passes of one loop task or sub-process (loopMaximum)
    "MULTI_INSTANCE_CEILING": 100,      # instances of one multi-instance activity
    "TIMER_CYCLE_CEILING": 100,         # repetitions of one timer cycle (R<n>/…)
    "TIMER_MIN_PERIOD_SECONDS": 3600,   # shortest period of a timer cycle
    "ENGINE_STEP_BUDGET": 2000,         # engine steps run by one advance of a journey
}
MAX_TIMER_DAYS = 3660  # about ten years: a longer literal duration is a typing error

_DIGITS = re.compile(r"\s*(\d{1,12})\s*", re.ASCII)
_QUOTED = re.compile(r"""\s*(["'])([^"'\\]{0,200})\1\s*""")
_NUMBER = r"(\d{1,9}(?:[.,]\d{1,9})?)"
_DURATION = re.compile(
    rf"P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?", re.IGNORECASE | re.ASCII)
# Shortest and longest length of each designator, in seconds (months of 28 to 31 days…).
_UNIT_SECONDS = ((365 * 86400, 366 * 86400), (28 * 86400, 31 * 86400), (7 * 86400, 7 * 86400),
                 (86400, 86400), (3600, 3600), (60, 60), (1, 1))


class JourneyBoundExceeded(EngineError):
    """A running journey went past one of its limits (step budget, number of instances)."""


def limit(name: str) -> int:
    """The configured value of one of the limits above (settings first, then the default)."""
    from ..config import Config  # read when used: tests and deployments may change it
    return int(getattr(Config, name, DEFAULTS[name]))


def _q(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _label(el) -> str:
    """How the problem names an element: « its name », else « its id »."""
    return f"« {el.get('name') or el.get('id') or _local(el.tag)} »"


def _kind(el) -> str:
    return {"subProcess": "Sous-processus", "callActivity": "Appel de processus",
            "process": "Processus"}.get(_local(el.tag), "Tâche")


def _owner_with_id(el):
    """The element itself if it has an id, else its closest ancestor that has one."""
    if el.get("id"):
        return el
    return next((a for a in el.iterancestors() if a.get("id")), el)


# -- loops and multi-instances ------------------------------------------------------------------

def _loop_problems(root, file_name):
    ceiling = limit("LOOP_CEILING")
    for loop in root.iter(_q("standardLoopCharacteristics")):
        activity = loop.getparent()
        where = f"{_kind(activity)} en boucle {_label(activity)}"
        raw = loop.get("loopMaximum")
        match = _DIGITS.fullmatch(raw or "")
        if raw is None or not raw.strip():
            message = (f"{where} : fixez son nombre maximal de passages (attribut loopMaximum, au plus "
                       f"{ceiling}) ; sans maximum, une condition toujours vraie la ferait tourner sans fin.")
        elif match is None:
            message = f"{where} : le nombre maximal de passages (loopMaximum « {raw[:20]} ») doit être un nombre entier."
        elif not 1 <= int(match.group(1)) <= ceiling:
            message = (f"{where} : le nombre maximal de passages (loopMaximum) doit être compris entre 1 et "
                       f"{ceiling}, pas {match.group(1)}.")
        else:
            continue
        yield Problem(message, activity.get("id"), file_name)


def _multi_instance_problems(root, file_name):
    ceiling = limit("MULTI_INSTANCE_CEILING")
    for loop in root.iter(_q("multiInstanceLoopCharacteristics")):
        activity = loop.getparent()
        where = f"{_kind(activity)} multi-instance {_label(activity)}"
        cardinality = loop.find(_q("loopCardinality"))
        text = (cardinality.text or "").strip() if cardinality is not None else ""
        if not text:
            continue  # over a data collection (loopDataInputRef): bounded when it runs
        match = _DIGITS.fullmatch(text)
        if match is None:
            message = (f"{where} : le nombre d'instances (loopCardinality) doit être un nombre entier écrit "
                       f"dans le diagramme (au plus {ceiling}) ; pour une instance par élément d'une liste "
                       "de données, utilisez une collection (loopDataInputRef).")
        elif int(match.group(1)) > ceiling:
            message = f"{where} : au plus {ceiling} instances (loopCardinality), pas {match.group(1)}."
        else:
            continue
        yield Problem(message, activity.get("id"), file_name)


# -- call activities ----------------------------------------------------------------------------

def called_elements(root) -> dict[str, list[str]]:
    """{process id: ids of the processes its call activities call}, for every process of one file."""
    return {process.get("id"): [call.get("calledElement") for call in process.iter(_q("callActivity"))
                                if call.get("calledElement")]
            for process in root.iter(_q("process")) if process.get("id")}


def _call_path(graph: dict, start: str, goal: str) -> list[str] | None:
    """The processes leading from `start` to `goal` through calls, if any (iterative search)."""
    came_from, frontier = {start: None}, [start]
    while frontier:
        current = frontier.pop()
        if current == goal:
            path = []
            while current is not None:
                path.append(current)
                current = came_from[current]
            return path[::-1]
        for nxt in graph.get(current, ()):
            if nxt not in came_from:
                came_from[nxt] = current
                frontier.append(nxt)
    return None


def _recursion_problems(root, file_name, known_processes):
    graph = {**(known_processes or {}), **called_elements(root)}
    for process in root.iter(_q("process")):
        for call in process.iter(_q("callActivity")):
            target = call.get("calledElement")
            path = _call_path(graph, target, process.get("id")) if target else None
            if path is None:
                continue
            chain = " → ".join(f"« {p} »" for p in [process.get("id"), *path])
            what = "s'appelle lui-même" if len(path) == 1 else "s'appellerait lui-même par un autre processus"
            yield Problem(
                f"Appel de processus {_label(call)} refusé : le processus « {process.get('id')} » {what} "
                f"({chain}), sans fin. Modélisez la répétition par une tâche en boucle (loopMaximum).",
                call.get("id"), file_name)


# -- timers -------------------------------------------------------------------------------------
# The engine evaluates a timer's text as an expression, then reads the result with its own ISO 8601
# parsers (TimerEventDefinition): a literal must be quoted, and is refused here exactly when those
# parsers refuse it, or would misread it (a fraction before the last unit, weeks mixed with days).

def duration_seconds(text: str) -> tuple[float, float] | None:
    """The shortest and longest length, in seconds, of an ISO 8601 duration (« P1D », « PT2H »), or
    None when the engine cannot read it as written."""
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()) or text.upper().endswith("T"):
        return None
    given = [value for value in match.groups() if value]
    weeks = match.group(3)
    if any(re.search(r"[.,]", value) for value in given[:-1]) or (weeks and len(given) > 1):
        return None  # the engine would drop a fractional unit or refuse weeks beside other units
    try:
        TimerEventDefinition.parse_iso_duration(text)
    except Exception:  # noqa: BLE001  (the engine's parser raises a bare Exception)
        return None
    shortest = longest = 0.0
    for value, (low, high) in zip(match.groups(), _UNIT_SECONDS):
        if value:
            number = float(value.replace(",", "."))
            shortest, longest = shortest + number * low, longest + number * high
    return shortest, longest


def _literal(expression: str) -> str | None:
    """The text of a timer expression written as a quoted literal (« "PT1H" »), else None."""
    match = _QUOTED.fullmatch(expression)
    return match.group(2).strip() if match else None


def _is_date(text: str) -> bool:
    """Whether the engine reads this text as a date (ISO 8601, week dates included)."""
    try:
        return isinstance(TimerEventDefinition.parse_time_or_duration(text.strip()), datetime)
    except (ValueError, TypeError, AttributeError, OverflowError):
        return False


def _duration_problem(text: str) -> str | None:
    lengths = duration_seconds(text)
    if lengths is None:
        return f"la durée « {text} » n'est pas une durée ISO 8601 lisible (ex. \"P5D\", \"PT2H\")."
    if lengths[1] > MAX_TIMER_DAYS * 86400:
        return f"la durée « {text} » dépasse {MAX_TIMER_DAYS // 366} ans."
    return None


def _cycle_problem(text: str) -> str | None:
    ceiling, min_period = limit("TIMER_CYCLE_CEILING"), limit("TIMER_MIN_PERIOD_SECONDS")
    parts = text.split("/")
    count = parts[0].upper()
    unreadable = f"le cycle « {text} » n'est pas lisible (ex. \"R3/PT24H\" : 3 fois, toutes les 24 heures)."
    if len(parts) not in (2, 3) or not count.startswith("R"):
        return unreadable
    if count == "R":
        return (f"le cycle « {text} » se répète sans fin : indiquez le nombre de répétitions "
                f"(R<n>, au plus {ceiling}).")
    if not re.fullmatch(r"R\d{1,9}", count, re.ASCII) or int(count[1:]) > ceiling:
        return f"le cycle « {text} » : au plus {ceiling} répétitions (R<n>)."
    periods = [p for p in parts[1:] if p.upper().startswith("P")]
    others = [p for p in parts[1:] if not p.upper().startswith("P")]
    if len(periods) != 1 or not all(_is_date(p) for p in others):
        return unreadable
    problem = _duration_problem(periods[0])
    if problem:
        return problem
    try:
        TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception:  # noqa: BLE001
        return unreadable
    if duration_seconds(periods[0])[0] < min_period:
        return (f"le cycle « {text} » se répète trop souvent : une période d'au moins "
                f"{_human_seconds(min_period)} est exigée.")
    return None


def _human_seconds(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} heure{'s' if seconds >= 7200 else ''}"
    if seconds % 60 == 0:
        return f"{seconds // 60} minute{'s' if seconds >= 120 else ''}"
    return f"{seconds} seconde{'s' if seconds >= 2 else ''}"


_EXAMPLES = {"timeDate": '"2026-03-16T09:00:00"', "timeDuration": '"P5D"', "timeCycle": '"R3/PT24H"'}
_WHAT = {"timeDate": "la date", "timeDuration": "la durée", "timeCycle": "le cycle"}
_NOT_LITERAL = {
    "timeCycle": ("le cycle doit être écrit dans le diagramme, entre guillemets (ex. \"R3/PT24H\") : calculé "
                  "depuis les données, son nombre de répétitions et sa période ne seraient pas bornés."),
    "timeDuration": ("la durée doit être écrite dans le diagramme, entre guillemets (ex. \"P5D\") : calculée "
                     "depuis les données, sa longueur ne serait pas bornée. Pour une échéance calculée, "
                     "donnez une date (timeDate) obtenue par un service."),
}


def _literal_problem(kind: str, text: str) -> str | None:
    """Why the engine cannot use this text (unquoted) as the literal of a timer of this kind, or None."""
    if kind == "timeCycle":
        return _cycle_problem(text)
    if kind == "timeDuration":
        return _duration_problem(text)
    return None if _is_date(text) else (
        f"la date « {text} » n'est pas une date ISO 8601 lisible (ex. \"2026-03-16T09:00:00\").")


def _unquoted(kind: str, text: str) -> str:
    """The advice for a literal written without quotes (as other modelers do)."""
    advice = (f"écrivez {_WHAT[kind]} entre guillemets : \"{text}\" (ici, le texte d'un minuteur est une "
              "expression sur les données du parcours : sans guillemets, le moteur ne le lit pas comme un texte).")
    lengths = duration_seconds(text) if kind == "timeDuration" else None
    if lengths and lengths[0] >= 86400 and lengths[0] % 86400 == 0:
        advice += (f" \"{text}\" compte {int(lengths[0] // 86400)} jours calendaires, week-ends et jours fériés "
                   "compris ; pour un délai en jours ouvrés, faites calculer la date par l'opération de service "
                   "qui précède et donnez-la au minuteur en date (timeDate), comme les relances de l'orientation.")
    return advice


def _computed_problem(kind: str, expression: str) -> tuple[str, bool] | None:
    """(why a timer expression is refused, whether a draft may keep it), or None when it may run."""
    if _literal_problem(kind, expression) is None:
        return _unquoted(kind, expression), True
    reason = check_expression(expression)
    if reason:
        return reason, False
    if not any(isinstance(node, ast.Name) for node in ast.walk(ast.parse(expression.strip(), mode="eval"))):
        try:
            value = evaluate_bounded(expression, {})
        except Exception:  # noqa: BLE001  (a refusal of the evaluator, said below)
            value = None
        if not isinstance(value, str):
            return (f"l'expression « {expression[:80]} » ne donne pas un texte : écrivez {_WHAT[kind]} entre "
                    f"guillemets (ex. {_EXAMPLES[kind]})."), False
        return _literal_problem(kind, value), False
    if kind == "timeDate":
        return None  # a date computed from the data: read as a date when it runs
    return _NOT_LITERAL[kind], False


def timer_problems(root, file_name, is_foreign=lambda text: False) -> list[Problem]:
    """Every timer whose text the engine could not read, one Problem each naming the event.
    Texts `is_foreign` recognises (another engine's expression language) are left to its caller."""
    problems = []
    for definition in root.iter(_q("timerEventDefinition")):
        event = _owner_with_id(definition.getparent() if definition.getparent() is not None else definition)
        where = f"Minuteur {_label(event)}"
        children = [c for c in definition if _local(c.tag) in _WHAT]
        if not children:
            problems.append(Problem(f"{where} : indiquez quand il se déclenche : une date, une durée (ex. \"P5D\") "
                                    "ou un cycle (panneau « Type de minuteur »).", event.get("id"), file_name,
                                    unfinished=True))
        for child in children:
            kind, expression = _local(child.tag), (child.text or "").strip()
            if not expression:
                pronoun = "le" if kind == "timeCycle" else "la"
                problems.append(Problem(f"{where} : {_WHAT[kind]} est vide : indiquez-{pronoun} "
                                        f"(ex. {_EXAMPLES[kind]}).", event.get("id"), file_name, unfinished=True))
                continue
            if is_foreign(expression):
                continue
            text, unfinished = _literal(expression), False
            problem = _literal_problem(kind, text) if text is not None else None
            if text is None:
                problem, unfinished = _computed_problem(kind, expression) or (None, False)
            if problem:
                problems.append(Problem(f"{where} : {problem}", event.get("id"), file_name, unfinished=unfinished))
    return problems


def structural_problems(root, file_name, known_processes: dict | None = None, timers: bool = True
                        ) -> list[Problem]:
    """Everything in one BPMN file that could make a journey run without end, one Problem each.

    `root` is the lxml root of the file (`xml.parse_xml`). `known_processes` is the call graph
    of the other processes a call activity may reach: {process id: [calledElement ids]}, built with
    `called_elements(root)` over every other file being compiled and every context file (the
    published processes); the file's own processes are added here. Without it, only recursion
    inside this file is found. Each Problem names the element (its id, and its name in the text).
    `timers=False` leaves the timers out (`compile_files` checks them with the file's contents).
    """
    return [*_loop_problems(root, file_name), *_multi_instance_problems(root, file_name),
            *_recursion_problems(root, file_name, known_processes),
            *(timer_problems(root, file_name) if timers else ())]


# -- run time -----------------------------------------------------------------------------------

class StepBudget:
    """Counts the engine steps of one advance; past the budget, the advance is stopped."""

    def __init__(self, budget: int | None = None):
        self.budget = limit("ENGINE_STEP_BUDGET") if budget is None else budget
        self.spent = 0

    def spend(self, task=None):
        self.spent += 1
        if self.spent > self.budget:
            where = f" (à l'étape « {task.task_spec.bpmn_name or task.task_spec.bpmn_id} »)" \
                if task is not None and getattr(task.task_spec, "bpmn_id", None) else ""
            raise JourneyBoundExceeded(
                f"le parcours a dépassé {self.budget} étapes automatiques d'affilée{where} : il tourne "
                "probablement en rond. Rien n'a été enregistré de cette avance ; corrigez le diagramme.")


def check_instance_count(spec, count, name: str | None = None):
    """Refuse to start more instances of a multi-instance activity than the ceiling allows."""
    ceiling = limit("MULTI_INSTANCE_CEILING")
    if isinstance(count, int) and count > ceiling:
        raise JourneyBoundExceeded(
            f"« {name or spec.bpmn_name or spec.bpmn_id} » demanderait {count} instances, au plus "
            f"{ceiling} : le parcours est arrêté avant de les créer.")
