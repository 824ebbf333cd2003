"""What other modelers write into a BPMN file, and what to do instead to run it here.

Camunda 7, Activiti and Flowable (same attribute names), Camunda 8 (Zeebe) keep their engine's
settings in their own namespace; our engine reads none of them. Each one found becomes a French
Problem naming the element and the panel of our editor that does the same thing. They are
`unfinished=True` (a draft keeps them, the editor shows them); a setting our own equivalent
supersedes (a form chosen, a lane named after a role, an operation chosen) is no longer reported.
Scripts are not judged here: they stay refusals (`definitions.py`). Drawing extensions (bpmn.io
colours, Signavio metadata, Camunda Modeler's platform attributes) are harmless and kept silently.
"""
import re

from lxml import etree

from .errors import Problem
from .expressions import check_expression
from .xml import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_LIKE = {  # namespace -> the prefix a process owner sees in messages
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://activiti.org/bpmn": "activiti",
    "http://flowable.org/bpmn": "flowable",
}
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
XINCLUDE = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")  # pulls other files in
HARMLESS = {
    BPMN, SPIFF,
    "http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI", "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace",
    "http://camunda.org/schema/modeler/1.0",                      # Camunda Modeler's platform choice
    "http://bpmn.io/schema/bpmn/biocolor/1.0",                     # bpmn.io colours (bioc)
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",        # colours (color)
    "http://www.signavio.com",                                     # Signavio drawing metadata
}
# Settings of the other engine that change nothing of what a journey does here.
_TECHNICAL = {"historyTimeToLive", "versionTag", "isStartableInTasklist", "candidateStarterGroups",
              "candidateStarterUsers", "asyncBefore", "asyncAfter", "async", "exclusive", "jobPriority",
              "taskPriority", "initiator", "failedJobRetryTimeCycle", "userTask", "topic", "resultVariable",
              "formFieldValidation", "skipExpression"}
_FORM = {"formKey", "formRef", "formRefBinding", "formRefVersion", "formData", "formDefinition",
         "formProperty", "userTaskForm"}
_QUEUE = {"assignee", "candidateGroups", "candidateUsers", "assignmentDefinition"}
_IMPLEMENTATION = {"class", "expression", "delegateExpression", "type", "taskDefinition", "connector",
                   "decisionRef", "calledDecision"}
_MAPPINGS = {"inputOutput", "ioMapping", "in", "out", "field"}
_LISTENERS = {"executionListener", "taskListener", "executionListeners", "taskListeners"}
_JUEL = re.compile(r"\s*[$#]\{(.*)\}\s*", re.DOTALL)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|&&|\|\||!=|==|<=|>=|!|=|[A-Za-z_]\w*|\s+|.',
                    re.DOTALL)
_JUEL_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%",
               "empty": "not", "true": "True", "false": "False", "null": "None"}
_FEEL_WORDS = {"true": "True", "false": "False", "null": "None"}


def _ns(tag) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _short(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _prefix(namespace: str, prefixes: dict) -> str:
    """The prefix a message shows for a namespace: ours for the engines we know, else the file's own."""
    return CAMUNDA_LIKE.get(namespace) or ("zeebe" if namespace == ZEEBE else prefixes.get(namespace, namespace))


def _written(namespace: str, name: str, value: str | None, prefixes: dict) -> str:
    """How a setting is written in the file: `camunda:formKey="…"`."""
    shown = f"{_prefix(namespace, prefixes)}:{name}"
    return f"`{shown}=\"{_short(value)}\"`" if value is not None else f"`{shown}`"


def _what(el) -> str:
    """« Tâche « Valider » », « Flux « favorable » »… : how a message names an element."""
    kind = {"userTask": "Tâche", "serviceTask": "Tâche de service", "callActivity": "Appel de processus",
            "sequenceFlow": "Flux", "process": "Processus", "startEvent": "Début", "endEvent": "Fin",
            "boundaryEvent": "Événement", "subProcess": "Sous-processus", "lane": "Couloir",
            "businessRuleTask": "Tâche de décision"}.get(_local(el.tag), "Élément")
    return f"{kind} « {el.get('name') or el.get('id')} »"


def _owner(el):
    """The element a setting belongs to: itself, or the nearest ancestor with an id."""
    return next((a for a in [el, *el.iterancestors()] if a.get("id") and _ns(a.tag) == BPMN), el)


# -- expressions written for another engine -----------------------------------------------------

def is_foreign_expression(text: str) -> bool:
    """A JUEL (`${…}`, `#{…}`) or FEEL (`=…`) expression, as Camunda writes them."""
    text = (text or "").strip()
    return bool(_JUEL.fullmatch(text)) or (text.startswith("=") and not text.startswith("=="))


def rewrite_expression(text: str) -> str | None:
    """The same condition in our expression language (`${a == "b"}` -> `a == "b"`), or None."""
    text = (text or "").strip()
    match = _JUEL.fullmatch(text)
    if match:
        body, words, equals = match.group(1), _JUEL_WORDS, "="
    elif is_foreign_expression(text):
        body, words, equals = text[1:], _FEEL_WORDS, "=="  # FEEL compares with a single « = »
    else:
        return None
    operators = {"&&": "and", "||": "or", "!": "not", "=": equals}
    out, gap = [], False
    for token in _TOKEN.findall(body):
        if token.isspace():
            gap = True
            continue
        word = token if token[0] in "\"'" else operators.get(token) or words.get(token, token)
        spaced = word in ("and", "or", "not", "==") and token != "=="
        if out and (gap or spaced or out[-1] in ("and", "or", "not")):
            out.append(" ")
        out.append(word)
        gap = spaced
    return "".join(out)


def _expression_problem(site, owner, file_name):
    """What to write instead of another engine's expression: its rewriting, or a refusal if it runs code."""
    rewritten = rewrite_expression(site.text)
    flavour = "Camunda 8 (FEEL)" if site.text.strip().startswith("=") else "Camunda 7 (JUEL)"
    where = f"{_what(owner)}, {site.label}" if owner is not None else site.label.capitalize()
    reason = check_expression(rewritten) if rewritten else "Expression invalide"
    if rewritten and reason is None:
        return Problem(f"{where} : `{_short(site.text, 80)}` est écrite pour {flavour} ; écrivez-la ici "
                       f"ainsi : {rewritten}", site.element_id, file_name, unfinished=True)
    return Problem(f"{where} refusée : `{_short(site.text, 80)}` est écrite pour {flavour} et appelle du code "
                   f"que cette application n'exécute pas ({reason.rstrip('.')}). Réécrivez-la avec les "
                   "seules données du parcours, ex. avis == \"favorable\".", site.element_id, file_name)


# -- settings of another engine -----------------------------------------------------------------

class _Context:
    """What the messages need to know about the file and the application."""

    def __init__(self, root, roles, lane_of, known_services):
        self.roles, self.lane_of, self.known_services = roles, lane_of, known_services
        self.prefixes = {uri: prefix for prefix, uri in root.nsmap.items() if prefix}

    def has_form(self, task) -> bool:
        return any(p.get("name") == "formJsonSchemaFilename" and p.get("value")
                   for p in task.iter(f"{{{SPIFF}}}property"))

    def has_operation(self, task) -> bool:
        return any(op.get("id") for op in task.iter(f"{{{SPIFF}}}serviceTaskOperator"))

    def has_decision(self, task) -> bool:
        return any((d.text or "").strip() for d in task.iter(f"{{{SPIFF}}}calledDecisionId"))

    def in_role_lane(self, task) -> bool:
        return self.lane_of(task) in self.roles


def _message(owner, namespace, name, value, ctx: _Context) -> str | None:
    """What to do instead of one setting of another engine, or None when nothing is needed."""
    written, what, tag = _written(namespace, name, value, ctx.prefixes), _what(owner), _local(owner.tag)
    if name in _TECHNICAL:
        return None
    if name in _FORM:
        if tag == "process":
            return (f"{what} : le formulaire intégré {written} n'est pas lu ici. Recréez-le dans l'éditeur de "
                    "formulaires du studio, puis choisissez-le dans le panneau « Formulaire » de la tâche.")
        if ctx.has_form(owner) or tag == "startEvent":
            return None
        return (f"{what} : {written} n'est pas lu ici. Choisissez son formulaire dans le panneau « Formulaire » "
                "(propriété formJsonSchemaFilename).")
    if name in _QUEUE:
        if ctx.in_role_lane(owner):
            return None
        return (f"{what} : {written} n'est pas lu ici : la file d'une tâche est le rôle de son couloir. Placez "
                f"la tâche dans un couloir nommé d'après un rôle ({', '.join(ctx.roles)}).")
    if name in ("decisionRef", "calledDecision"):
        if ctx.has_decision(owner):
            return None
        return (f"{what} : {written} n'est pas lu ici. Choisissez sa table de décision (calledDecisionId) "
                "parmi celles du studio.")
    if name in _IMPLEMENTATION and tag != "sequenceFlow":
        if ctx.has_operation(owner):
            return None
        allowed = ", ".join(sorted(ctx.known_services)) or "aucune"
        return (f"{what} : {written} n'est pas exécuté ici. Choisissez son opération dans le panneau "
                f"« Opération » parmi les opérations autorisées : {allowed}.")
    if name == "calledElement":
        if owner.get("calledElement"):
            return None
        return (f"{what} : {written} n'est pas lu ici. Indiquez le processus appelé dans le panneau "
                f"« Parcours appelé » (attribut calledElement : « {value or ''} »).")
    if name in _MAPPINGS:
        return (f"{what} : {written} n'est pas appliqué ici : les étapes lisent et écrivent directement les "
                "données du parcours. Retirez-le dans l'outil qui a produit le fichier.")
    if name in _LISTENERS:
        return (f"{what} : {written} n'est pas exécuté ici. Retirez-le dans l'outil qui a produit le fichier, "
                "ou remplacez-le par une tâche de service nommant une opération autorisée.")
    engine = _engine_name(namespace, ctx.prefixes)
    return (f"{what} : {written} ({engine}) n'est pas lu ici. Retirez-le dans l'outil qui a "
            "produit le fichier, ou faites la même chose avec les panneaux de l'éditeur.")


def _engine_name(namespace: str, prefixes: dict) -> str:
    return {"camunda": "Camunda 7", "activiti": "Activiti", "flowable": "Flowable",
            "zeebe": "Camunda 8"}.get(_prefix(namespace, prefixes), f"extension {namespace}")


def _value(el) -> str | None:
    """What a foreign extension element says, in one short line (its main attribute)."""
    for name in ("formKey", "type", "processId", "candidateGroups", "assignee", "class", "expression",
                 "delegateExpression", "source", "name", "event"):
        if el.get(name):
            return el.get(name)
    return None


def _settings(root):
    """(owner element, namespace, name, value) of every foreign setting of a BPMN tree."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        namespace = _ns(el.tag)
        if namespace not in HARMLESS and namespace:
            parent = el.getparent()
            if parent is not None and _ns(parent.tag) not in HARMLESS:
                continue  # the inside of a foreign element is reported with it
            if _local(el.tag) == "script":
                continue  # a script is refused by the definition checks, never merely « not read »
            if _local(el.tag) == "assignmentDefinition":
                for name in ("assignee", "candidateGroups", "candidateUsers"):
                    if el.get(name):
                        yield _owner(el), namespace, name, el.get(name)
                continue
            yield _owner(el), namespace, _local(el.tag), _value(el)
        elif namespace in (BPMN, ""):
            for attribute, value in el.attrib.items():
                attr_ns = _ns(attribute)
                if attr_ns and attr_ns not in HARMLESS:
                    yield _owner(el), attr_ns, _local(attribute), value


def foreign_problems(root, file_name: str | None, roles, lane_of, known_services,
                     expression_sites) -> list[Problem]:
    """Every setting of another engine in a BPMN tree, and every expression written for one, each as a
    French problem naming its element. `lane_of(task)` gives the name of the lane a task is in;
    `expression_sites` are the tree's expression sites (`expression_sites.bpmn_sites`)."""
    ctx, problems, seen = _Context(root, tuple(roles), lane_of, known_services), [], set()
    for el in root.iter(*(f"{{{ns}}}*" for ns in XINCLUDE)):
        problems.append(Problem("Inclusion XInclude refusée : un diagramme ne va chercher aucun autre fichier ; "
                                "retirez-la.", _owner(el).get("id"), file_name))
    for owner, namespace, name, value in _settings(root):
        if namespace in XINCLUDE:
            continue
        if name == "type" and namespace in CAMUNDA_LIKE and value != "external":
            continue
        message = _message(owner, namespace, name, value, ctx)
        if message and (owner.get("id"), message) not in seen:
            seen.add((owner.get("id"), message))
            problems.append(Problem(message, owner.get("id"), file_name, unfinished=True))
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    problems.extend(_expression_problem(site, by_id.get(site.element_id), file_name) for site in expression_sites
                    if is_foreign_expression(site.text))
    return problems


def has_foreign(task, names) -> bool:
    """Whether a task carries one of these settings of another engine (attribute or element)."""
    for attribute, value in task.attrib.items():
        name = _local(attribute)
        if _ns(attribute) in CAMUNDA_LIKE and name in names and (name != "type" or value == "external"):
            return True
    ext = task.find(f"{{{BPMN}}}extensionElements")
    return ext is not None and any(_ns(el.tag) not in HARMLESS and _local(el.tag) in names for el in ext)


FORM_SETTINGS, IMPLEMENTATION_SETTINGS = _FORM, _IMPLEMENTATION


# -- adopting a foreign file as one of our journeys ----------------------------------------------

def adopt_process_id(root, key: str) -> str | None:
    """Rename the only process of a file to `key` (with the pool and diagram pointing at it); return its
    former id, or None when there was nothing to rename (already `key`, or several processes)."""
    processes = root.findall(f"{{{BPMN}}}process")
    if len(processes) != 1 or processes[0].get("id") == key:
        return None
    former = processes[0].get("id")
    if any(el.get("id") == key for el in root.iter() if isinstance(el.tag, str)):
        return None  # another element already has that id: renaming would make two
    processes[0].set("id", key)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attribute in ("processRef", "bpmnElement", "calledElement"):
            if el.get(attribute) == former:
                el.set(attribute, key)
    return former


def adopt_process(content: bytes | str, key: str) -> tuple[bytes | str, str | None]:
    """(file, former process id): a file whose only process has another id, renamed to `key` (comments
    dropped); the file unchanged and None otherwise. Hostile XML raises DefinitionError (`parse_xml`)."""
    root = parse_xml(content)
    former = adopt_process_id(root, key)
    if former is None:
        return content, None
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode"), former
