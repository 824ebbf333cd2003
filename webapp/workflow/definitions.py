"""Validating and compiling BPMN files into storable process specs."""
import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from . import bounds, foreign
from .engine import FORM_PROPERTY, dump_specs
from .errors import DefinitionError, Problem
from .expression_sites import bpmn_sites, expression_problems, timer_sites
from .xml import MAX_XML_BYTES, parse_xml

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
# A form is a file of the forms folder or of the studio, named this way (never a path).
FORM_FILE_NAME = re.compile(r"[a-z0-9_]{1,80}\.schema\.json")
KNOWN_ROLES = ("conseiller", "conseiller_cep", "coordinateur", "pilote", "admin")
_FORBIDDEN_TASKS = {
    "scriptTask": "Tâche de script refusée : les scripts ne sont pas exécutés.",
    "sendTask": "Tâche d'envoi refusée : non prise en charge.",
    "businessRuleTask": None,
}


@dataclass
class CompiledProcess:
    """A process ready to be stored as a definition version."""
    key: str
    name: str
    file_name: str
    xml: str
    spec_json: str
    forms: set = field(default_factory=set)

    def checksum_with(self, forms: dict) -> str:
        """A fingerprint of the spec and its forms: equal fingerprints mean nothing to publish."""
        digest = hashlib.sha256(self.spec_json.encode("utf-8"))
        digest.update(json.dumps(forms, sort_keys=True).encode("utf-8"))
        return digest.hexdigest()


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _service_problem(task, known_services, file_name):
    operator = task.find(".//spiffworkflow:serviceTaskOperator", NS)
    name = operator.get("id") if operator is not None else None
    if name and name in known_services:
        if operator.find("spiffworkflow:parameters", NS) is None:  # the engine's schema requires the list
            return Problem(f"Tâche de service « {task.get('name') or task.get('id')} » : l'opération « {name} » "
                           "doit avoir sa liste de paramètres (spiffworkflow:parameters), même vide : choisissez de "
                           "nouveau l'opération dans le panneau « Opération ».", task.get("id"), file_name,
                           unfinished=True)
        return _bounded_parameter_problem(task, operator, (known_services.get(name) or {})
                                          if isinstance(known_services, dict) else {}, file_name)
    allowed = ", ".join(sorted(known_services)) or "aucune"
    if not name:
        if foreign.has_foreign(task, foreign.IMPLEMENTATION_SETTINGS):
            return None  # foreign.py says what replaces the other engine's implementation
        return Problem(f"Tâche de service « {task.get('name') or task.get('id')} » : choisissez son opération "
                       f"dans le panneau « Opération » parmi : {allowed}.", task.get("id"), file_name,
                       unfinished=True)
    return Problem(f"Tâche de service refusée : opération « {name} » inconnue (autorisées : {allowed}).",
                   task.get("id"), file_name)


def _bounded_parameter_problem(task, operator, bounds: dict, file_name):
    """A parameter the operation reads as a whole number (a delay in working days) must be one, written
    in figures, within its bounds: checked here rather than when a person's step runs."""
    for parameter in operator.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS):
        low_high = bounds.get(parameter.get("id"))
        value = (parameter.get("value") or "").strip()
        if low_high and not (value.isdigit() and low_high[0] <= int(value) <= low_high[1]):
            return Problem(f"Tâche de service « {task.get('name') or task.get('id')} » : le paramètre "
                           f"« {parameter.get('id')} » vaut « {value} » ; indiquez un nombre entier de jours "
                           f"ouvrés entre {low_high[0]} et {low_high[1]}.", task.get("id"), file_name, unfinished=True)
    return None


def _role_like(name: str | None) -> str | None:
    """The role a lane name probably means (« Conseillers » -> conseiller), if any."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower().strip()
    plain = plain.rstrip("s").replace(" ", "_").replace("-", "_")
    if len(plain) < 4:
        return None
    return next((role for role in KNOWN_ROLES if role == plain), None) or next(
        (role for role in KNOWN_ROLES if role.startswith(plain) or plain.startswith(role[:5])), None)


def _lane_problem(lane, file_name):
    name = lane.get("name")
    guess = _role_like(name)
    hint = f" Renommez-le « {guess} » s'il s'agit de ce rôle." if guess else ""
    return Problem(f"Couloir « {name} » : le nom d'un couloir doit être un rôle ({', '.join(KNOWN_ROLES)}).{hint}",
                   lane.get("id"), file_name, unfinished=True)


def lanes_of(root):
    """A function giving the name of the lane a flow node is in (its own, or its sub-process's), or None."""
    direct = {(ref.text or "").strip(): lane.get("name")
              for lane in root.iterfind(".//bpmn:lane", NS) for ref in lane.iterfind("bpmn:flowNodeRef", NS)}

    def lane_of(node):
        for el in [node, *node.iterancestors()]:
            if el.get("id") in direct:
                return direct[el.get("id")]
            if _local(el.tag) == "process":
                return None
        return None
    return lane_of


def _user_task_problems(root, file_name, known_forms, lane_of):
    for task in root.iterfind(".//bpmn:userTask", NS):
        props = {p.get("name"): p.get("value")
                 for p in task.iterfind(".//spiffworkflow:property", NS)}
        form = props.get(FORM_PROPERTY)
        if not form and not foreign.has_foreign(task, foreign.FORM_SETTINGS):
            yield Problem("Tâche utilisateur sans formulaire (propriété formJsonSchemaFilename).",
                          task.get("id"), file_name, unfinished=True)
        elif form and not FORM_FILE_NAME.fullmatch(form):
            yield Problem(f"Nom de formulaire refusé : « {form[:100]} ». Un formulaire se nomme en minuscules, "
                          "chiffres et « _ », suivi de « .schema.json » : choisissez-le dans le panneau « Formulaire ».",
                          task.get("id"), file_name)
        elif form and known_forms is not None and form not in known_forms:
            yield Problem(f"Formulaire introuvable : {form}.", task.get("id"), file_name, unfinished=True)
        process = next(task.iterancestors("{%s}process" % NS["bpmn"]), None)
        if process is not None and process.find(".//bpmn:lane", NS) is not None and lane_of(task) is None:
            yield Problem(f"Tâche « {task.get('name') or task.get('id')} » hors de tout couloir : placez-la dans le "
                          f"couloir du rôle qui la traite ({', '.join(KNOWN_ROLES)}).", task.get("id"), file_name,
                          unfinished=True)


def _static_problems(root, file_name, known_forms, known_services=frozenset()):
    """Checks made on the XML itself, before the engine's parser sees it."""
    problems = []
    for task in root.iterfind(".//bpmn:serviceTask", NS):
        problem = _service_problem(task, known_services, file_name)
        if problem:
            problems.append(problem)
    for el in root.iter():
        tag = _local(el.tag)
        el_id = el.get("id") or next((a.get("id") for a in el.iterancestors() if a.get("id")), None)
        if tag in _FORBIDDEN_TASKS and _FORBIDDEN_TASKS[tag] and el.tag.startswith("{%s}" % NS["bpmn"]):
            problems.append(Problem(_FORBIDDEN_TASKS[tag], el.get("id"), file_name))
        elif tag in ("preScript", "postScript", "script") and (el.text or "").strip() \
                and _local(el.getparent().tag) != "scriptTask":  # a script task is reported once
            problems.append(Problem("Script refusé : les scripts ne sont pas exécutés.", el_id, file_name))
    sites = list(bpmn_sites(root))
    problems.extend(expression_problems((s for s in sites if not foreign.is_foreign_expression(s.text)),
                                        file_name))
    problems.extend(bounds.timer_problems(root, file_name, foreign.is_foreign_expression))
    lane_of = lanes_of(root)
    problems.extend(_user_task_problems(root, file_name, known_forms, lane_of))
    problems.extend(_lane_problem(lane, file_name) for lane in root.iterfind(".//bpmn:lane", NS)
                    if lane.get("name") not in KNOWN_ROLES)
    problems.extend(foreign.foreign_problems(root, file_name, KNOWN_ROLES, lane_of, known_services,
                                             [*sites, *timer_sites(root)]))
    problems.extend(_dangling_flows(root, file_name))
    for container in root.iter("{%s}process" % NS["bpmn"], "{%s}subProcess" % NS["bpmn"]):
        cycle_at = _find_cycle(container)
        if cycle_at:
            problems.append(Problem(
                "Boucle de flux refusée : l'historique grandirait sans limite. Modélisez la répétition "
                "par une tâche en boucle (standardLoopCharacteristics) ou un parcours séparé.",
                cycle_at, file_name))
    return problems


def _dangling_flows(root, file_name):
    """Sequence flows whose start or end is no element of their (sub)process."""
    for container in root.iter("{%s}process" % NS["bpmn"], "{%s}subProcess" % NS["bpmn"]):
        ids = {child.get("id") for child in container if child.get("id")}
        for flow in container.iterfind("bpmn:sequenceFlow", NS):
            for end, word in (("sourceRef", "part de"), ("targetRef", "mène à")):
                if flow.get(end) not in ids:
                    label = flow.get("name") or flow.get("id")
                    yield Problem(f"Flux « {label} » : il {word} « {flow.get(end) or ''} », "
                                  "qui n'est pas une étape de ce processus : reliez-le à une étape.",
                                  flow.get("id"), file_name, unfinished=True)


def _call_problems(root, file_name, known_ids):
    """Call activities naming no process, or one that exists neither in these files nor among the others."""
    for call in root.iter("{%s}callActivity" % NS["bpmn"]):
        target, label = call.get("calledElement"), call.get("name") or call.get("id")
        if not target:
            if foreign.has_foreign(call, {"calledElement"}):
                continue  # foreign.py says where the other engine wrote it
            yield Problem(f"Appel de processus « {label} » : choisissez le parcours appelé (panneau « Parcours "
                          "appelé », attribut calledElement).", call.get("id"), file_name, unfinished=True)
        elif target not in known_ids:
            known = ", ".join(sorted(known_ids)) or "aucun"
            yield Problem(f"Appel de processus « {label} » : le processus « {target} » n'existe pas ici. "
                          f"Choisissez l'un des parcours connus ({known}) ou publiez-le d'abord.",
                          call.get("id"), file_name, unfinished=True)


def _find_cycle(container):
    """Return the id of a sequence flow closing a cycle in this (sub)process, if any.

    Iterative depth-first search: a chain of thousands of tasks must not exhaust the stack."""
    edges = defaultdict(list)
    for flow in container.iterfind("bpmn:sequenceFlow", NS):
        edges[flow.get("sourceRef")].append((flow.get("targetRef"), flow.get("id")))
    state = {}
    for start in list(edges):
        if start in state:
            continue
        state[start] = "open"
        stack = [(start, iter(edges.get(start, ())))]
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                state[node] = "done"
                stack.pop()
                continue
            target, flow_id = step
            if state.get(target) == "open":
                return flow_id
            if target not in state:
                state[target] = "open"
                stack.append((target, iter(edges.get(target, ()))))
    return None


def _process_ids(root) -> set:
    return {p.get("id") for p in root.iterfind("bpmn:process", NS)}


def compile_files(files: dict, known_forms: set | None = None, max_bytes: int = MAX_XML_BYTES,
                  context: dict | None = None, known_services=frozenset()):
    """Validate and compile {file name: XML}; return {process key: CompiledProcess}.

    `context` files (e.g. the published processes) are read only to resolve call activities;
    one defining a process id that `files` also defines is left out. Raises DefinitionError
    listing every problem found; nothing is kept on failure.
    """
    problems, roots, clean = [], {}, set()
    for file_name, content in files.items():
        try:
            root = parse_xml(content, file_name, max_bytes)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        static = _static_problems(root, file_name, known_forms, known_services)
        problems.extend(static)
        roots[file_name] = root
        if not static:
            clean.add(file_name)
    defined = set().union(*(_process_ids(r) for r in roots.values())) if roots else set()
    context_roots = {}
    for file_name, content in (context or {}).items():
        if file_name in roots:
            continue
        root = parse_xml(content, file_name, max_bytes)
        if not _process_ids(root) & defined:
            context_roots[file_name] = root
    calls = {}  # process id -> the processes its call activities call, across every file
    for root in {**context_roots, **roots}.values():
        calls.update(bounds.called_elements(root))
    known_ids = defined.union(*(_process_ids(r) for r in context_roots.values()))
    for file_name, root in roots.items():
        problems.extend(_call_problems(root, file_name, known_ids))
    for file_name in clean:  # a file's structure is judged once its contents are acceptable
        problems.extend(bounds.structural_problems(roots[file_name], file_name, calls, timers=False))
    if problems:
        raise DefinitionError(problems)

    parser = SpiffBpmnParser(validator=VALIDATOR)
    for file_name, root in {**context_roots, **roots}.items():
        try:
            parser.add_bpmn_xml(root, file_name)
        except ValidationException as exc:
            problems.append(_from_spiff(exc, file_name, root))
        except Exception:  # noqa: BLE001  (the engine's parser must never turn into a traceback)
            problems.append(Problem(_ENGINE_REFUSED, None, file_name, unfinished=True))
    if problems:
        raise DefinitionError(problems)

    compiled = {}
    for file_name, root in roots.items():
        for process in root.iterfind("bpmn:process", NS):
            if process.get("isExecutable", "true") != "true":
                continue
            key = process.get("id")
            try:
                spec = parser.get_spec(key)
                subs = parser.get_subprocess_specs(key)
            except ValidationException as exc:
                problems.append(_from_spiff(exc, file_name, root))
                continue
            except RecursionError:
                problems.append(Problem(_TOO_LONG, key, file_name))
                continue
            except Exception:  # noqa: BLE001
                problems.append(Problem(_ENGINE_REFUSED, key, file_name, unfinished=True))
                continue
            forms = {p.get("value") for p in root.iterfind(".//spiffworkflow:property", NS)
                     if p.get("name") == FORM_PROPERTY}
            for sub in subs.values():
                for task_spec in sub.task_specs.values():
                    props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
                    if props.get(FORM_PROPERTY):
                        forms.add(props[FORM_PROPERTY])
            compiled[key] = CompiledProcess(
                key=key, name=process.get("name") or key, file_name=file_name,
                xml=files[file_name].decode("utf-8") if isinstance(files[file_name], bytes) else files[file_name],
                spec_json=dump_specs(spec, subs), forms=forms)
    if problems:
        raise DefinitionError(problems)
    if not compiled:
        raise DefinitionError([Problem("Aucun processus exécutable trouvé.")])
    return compiled


_ENGINE_REFUSED = ("Le moteur de parcours ne peut pas exécuter ce diagramme : vérifiez dans un éditeur "
                   "BPMN que chaque tâche est reliée et que les sous-processus appelés existent.")


_TOO_LONG = ("Enchaînement trop long pour le moteur de parcours : découpez ce diagramme en "
             "sous-processus (activités d'appel) de quelques centaines d'étapes au plus.")


def _element_at(root, line) -> str | None:
    """The id of the element written at this line of the file, or of the nearest one containing it."""
    found = next((el for el in root.iter() if el.sourceline == line), None) if isinstance(line, int) else None
    return next((a.get("id") for a in [found, *found.iterancestors()] if a.get("id")), None) if found is not None \
        else None


def _from_spiff(exc: ValidationException, file_name, root=None) -> Problem:
    """The engine's (English) refusal told in French: where, and what to do."""
    if "RecursionError" in str(exc) or isinstance(exc.__cause__, RecursionError):
        return Problem(_TOO_LONG, getattr(exc, "id", None) or None, file_name)
    line_number = getattr(exc, "line_number", "")
    line = f" (ligne {line_number})" if line_number else ""
    element_id = getattr(exc, "id", None) or (_element_at(root, line_number) if root is not None else None)
    return Problem(f"Le diagramme ne respecte pas la norme BPMN 2.0{line} : ouvrez-le dans un éditeur "
                   "BPMN, corrigez l'élément signalé (lien manquant, élément mal placé ou incomplet) "
                   "et enregistrez-le de nouveau.", element_id or None, file_name, unfinished=True)
