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
import re
from datetime import datetime

from .errors import EngineError, Problem

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

def duration_seconds(text: str) -> tuple[float, float] | None:
    """The shortest and longest length, in seconds, of an ISO 8601 duration (« P1D », « PT2H »)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()) or text.strip().upper().endswith("T"):
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
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


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
    if len(parts) not in (2, 3) or not count.startswith("R"):
        return f"le cycle « {text} » n'est pas lisible (ex. \"R3/PT24H\" : 3 fois, toutes les 24 heures)."
    if count == "R":
        return (f"le cycle « {text} » se répète sans fin : indiquez le nombre de répétitions "
                f"(R<n>, au plus {ceiling}).")
    if not re.fullmatch(r"R\d{1,9}", count, re.ASCII) or int(count[1:]) > ceiling:
        return f"le cycle « {text} » : au plus {ceiling} répétitions (R<n>)."
    periods = [p for p in parts[1:] if p.upper().startswith("P")]
    others = [p for p in parts[1:] if not p.upper().startswith("P")]
    if len(periods) != 1 or not all(_is_date(p) for p in others):
        return f"le cycle « {text} » n'est pas lisible (ex. \"R3/PT24H\" : 3 fois, toutes les 24 heures)."
    problem = _duration_problem(periods[0])
    if problem:
        return problem
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


_NOT_LITERAL = {
    "timeCycle": ("le cycle doit être écrit dans le diagramme, entre guillemets (ex. \"R3/PT24H\") : calculé "
                  "depuis les données, son nombre de répétitions et sa période ne seraient pas bornés."),
    "timeDuration": ("la durée doit être écrite dans le diagramme, entre guillemets (ex. \"P5D\") : calculée "
                     "depuis les données, sa longueur ne serait pas bornée. Pour une échéance calculée, "
                     "donnez une date (timeDate) obtenue par un service."),
}


def _timer_problems(root, file_name):
    for definition in root.iter(_q("timerEventDefinition")):
        event = _owner_with_id(definition.getparent() if definition.getparent() is not None else definition)
        where = f"Minuteur {_label(event)}"
        for child in definition:
            kind, expression = _local(child.tag), (child.text or "").strip()
            if kind not in ("timeCycle", "timeDuration", "timeDate") or not expression:
                continue
            text = _literal(expression)
            if text is None:
                if kind == "timeDate":
                    continue  # a date computed from the data: read as a date when it runs
                problem = _NOT_LITERAL[kind]
            elif kind == "timeCycle":
                problem = _cycle_problem(text)
            elif kind == "timeDuration":
                problem = _duration_problem(text)
            else:
                problem = None if _is_date(text) else (
                    f"la date « {text} » n'est pas une date ISO 8601 lisible (ex. \"2026-03-16T09:00:00\").")
            if problem:
                yield Problem(f"{where} : {problem}", event.get("id"), file_name)


def structural_problems(root, file_name, known_processes: dict | None = None) -> list[Problem]:
    """Everything in one BPMN file that could make a journey run without end, one Problem each.

    `root` is the lxml root of the file (`xml.parse_xml`). `known_processes` is the call graph
    of the other processes a call activity may reach: {process id: [calledElement ids]}, built with
    `called_elements(root)` over every other file being compiled and every context file (the
    published processes); the file's own processes are added here. Without it, only recursion
    inside this file is found. Each Problem names the element (its id, and its name in the text).
    """
    return [*_loop_problems(root, file_name), *_multi_instance_problems(root, file_name),
            *_recursion_problems(root, file_name, known_processes), *_timer_problems(root, file_name)]


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
