"""Every expression a BPMN or DMN diagram carries, found with the element it belongs to and checked.

The engine evaluates these at run time; validation (and so every upload) checks each of them
first, so that a diagram which publishes can only run bounded expressions.
"""
import re
from dataclasses import dataclass

from .errors import Problem
from .expressions import check_expression

MAX_DUE_DAYS = 365

# BPMN elements whose text the engine evaluates, and what they are called in a message. Timer texts
# are checked with their meaning (a date, a duration, a cycle) by `bounds.timer_problems`.
_BPMN_TEXTS = {
    "conditionExpression": "condition du flux",
    "loopCondition": "condition de la boucle",
    "loopCardinality": "nombre d'itérations",
    "completionCondition": "condition de fin",
    "condition": "condition de l'événement",
    "activationCondition": "condition d'activation",
    "formalExpression": "expression de corrélation",
    "messagePayload": "contenu du message",
    "expression": "expression de corrélation",
}
TIMER_TEXTS = {"timeDate": "date du minuteur", "timeDuration": "durée du minuteur", "timeCycle": "cycle du minuteur"}
# Elements naming a data item (multi-instance collections): a plain name, never an expression.
_BPMN_NAMES = {"loopDataInputRef": "collection parcourue", "loopDataOutputRef": "collection produite"}
# Task properties evaluated as expressions over the task data.
_EXPRESSION_PROPERTIES = ("structureFromData", "titleFromData")
_DUE_PROPERTY = "dueInWorkingDays"
_READ_NAMESPACES = ("http://www.omg.org/spec/BPMN/20100524/MODEL",  # what the engine reads; another
                    "http://spiffworkflow.org/bpmn/schema/1.0/core")  # engine's elements: foreign.py
_INPUT = "dmninputexpr"  # what the DMN engine writes for « ? », the column's input value
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")


@dataclass(frozen=True)
class Site:
    """One place of a diagram holding something the engine reads as an expression or a name."""
    element_id: str | None
    label: str
    text: str
    kind: str = "expression"  # "expression", "name", "days", or "dmn_entry" (may start with an operator)


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _names_the_element(el) -> bool:
    """Whether an element's id is the one a process owner sees (not an event definition's, nor the
    operation name a service operator carries in its id attribute)."""
    tag = _local(el.tag)
    return bool(el.get("id")) and not tag.endswith("EventDefinition") \
        and tag not in ("serviceTaskOperator", "parameter", "property")


def _owner_id(el) -> str | None:
    """The id of the element itself, or of its nearest ancestor that has one."""
    return next((a.get("id") for a in [el, *el.iterancestors()] if _names_the_element(a)), None)


def _read_by_the_engine(el) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith(tuple(f"{{{ns}}}" for ns in _READ_NAMESPACES))


def bpmn_sites(root):
    """Every expression, data name and due delay of a BPMN tree (timers apart: see `_BPMN_TEXTS`)."""
    for el in root.iter():
        if not _read_by_the_engine(el):
            continue
        tag = _local(el.tag)
        text = (el.text or "").strip()
        if tag in _BPMN_TEXTS and text:
            yield Site(_owner_id(el), _BPMN_TEXTS[tag], text)
        elif tag in _BPMN_NAMES and text:
            yield Site(_owner_id(el), _BPMN_NAMES[tag], text, "name")
        elif tag == "parameter" and el.get("value") is not None:
            yield Site(_owner_id(el.getparent()), f"paramètre « {el.get('id')} » du service", el.get("value"))
        elif tag == "property" and el.get("name") in _EXPRESSION_PROPERTIES:
            yield Site(_owner_id(el.getparent()), f"propriété {el.get('name')}", el.get("value") or "")
        elif tag == "property" and el.get("name") == _DUE_PROPERTY:
            yield Site(_owner_id(el.getparent()), f"propriété {_DUE_PROPERTY}", el.get("value") or "", "days")


def timer_sites(root):
    """The text of every timer of a BPMN tree (kind "timer"), named after its event."""
    for el in root.iter(*(f"{{{_READ_NAMESPACES[0]}}}{tag}" for tag in TIMER_TEXTS)):
        text = (el.text or "").strip()
        if text:
            yield Site(_owner_id(el), TIMER_TEXTS[_local(el.tag)], text, "timer")


def dmn_sites(root):
    """Every expression of a DMN tree: input expressions, input entries, output entries."""
    for el in root.iter():
        if _local(el.tag) != "text":
            continue
        parent = el.getparent()
        text = (el.text or "").strip()
        kind = _local(parent.tag) if parent is not None else ""
        if kind == "inputEntry":
            if text and text != "-":
                yield Site(_owner_id(el), "entrée de règle", text, "dmn_entry")
        elif kind in ("inputExpression", "outputEntry") and text:
            yield Site(_owner_id(el), "expression d'entrée" if kind == "inputExpression" else "sortie de règle",
                       text)


def _entry_problem(text: str) -> str | None:
    """An input entry is an expression, or the end of one after the input (« < 5 », « in ? »)."""
    text = text.replace("?", _INPUT)
    reason = check_expression(text)
    if reason and reason.startswith("Expression invalide"):
        prefixed = check_expression(f"{_INPUT} {text}")
        if prefixed is None:
            return None
        if not prefixed.startswith("Expression invalide"):
            reason = prefixed.replace(f"{_INPUT} ", "", 1)
    return reason.replace(_INPUT, "?") if reason else None


def site_problem(site: Site) -> str | None:
    """Why what a site holds is refused (French), or None."""
    if site.kind == "name":
        if not _NAME.fullmatch(site.text):
            return (f"{site.label.capitalize()} refusée : « {site.text[:80]} » doit être un nom de donnée "
                    "(lettres, chiffres et _, 100 caractères au plus, sans _ au début).")
        return None
    if site.kind == "days":
        if not (site.text.isascii() and site.text.isdigit() and len(site.text) <= 3
                and int(site.text) <= MAX_DUE_DAYS):
            return (f"Délai refusé ({site.label}) : « {site.text[:80]} » doit être un nombre entier de jours "
                    f"ouvrés entre 0 et {MAX_DUE_DAYS}.")
        return None
    if not site.text.strip():
        return f"Expression vide ({site.label})."
    reason = _entry_problem(site.text) if site.kind == "dmn_entry" else check_expression(site.text)
    return f"{reason.rstrip('.')} ({site.label})." if reason else None


def expression_problems(sites, file_name: str | None = None) -> list[Problem]:
    """One French problem per refused site, naming its element."""
    return [Problem(reason, site.element_id, file_name) for site in sites if (reason := site_problem(site))]
