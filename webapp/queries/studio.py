"""The process owners' studio: journeys and decision tables with their versions, drafts and diffs."""
from sqlalchemy import func, select

from ..errors import NotFound
from ..extensions import db
from ..demo_data import ROLES
from ..models import DefinitionDraft, DefinitionVersion, Journey, User
from ..workflow import DefinitionError
from ..workflow.xml import parse_xml
from .definitions import place_in_table

KIND_NAMES = {"bpmn": "parcours", "dmn": "table de décision"}
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# BPMN elements a process owner recognises on the diagram, by their French name.
ELEMENT_KINDS = {
    "process": "Processus", "userTask": "Tâche", "serviceTask": "Tâche de service", "manualTask": "Tâche manuelle",
    "task": "Tâche", "callActivity": "Appel de parcours", "subProcess": "Sous-processus",
    "startEvent": "Début", "endEvent": "Fin", "boundaryEvent": "Événement attaché",
    "intermediateCatchEvent": "Événement intermédiaire", "intermediateThrowEvent": "Événement émis",
    "exclusiveGateway": "Passerelle exclusive", "parallelGateway": "Passerelle parallèle",
    "inclusiveGateway": "Passerelle inclusive", "eventBasedGateway": "Passerelle sur événement",
    "sequenceFlow": "Flux", "lane": "Couloir",
}
ROLE_NAMES = dict(ROLES)
REFERENCES = ("Depuis", "Vers", "Attaché à", "Flux par défaut")
PROPERTY_NAMES = {"formJsonSchemaFilename": "Formulaire", "dueInWorkingDays": "Échéance (jours ouvrés)",
                  "structureFromData": "Structure destinataire", "titleFromData": "Titre"}


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def studio_index() -> list[dict]:
    """Each journey and decision table with its current version, versions, running journeys and draft."""
    versions = db.session.scalars(select(DefinitionVersion).order_by(
        DefinitionVersion.kind, DefinitionVersion.process_key, DefinitionVersion.version)).all()
    running = running_by_version()
    drafts = {(d.process_key, d.kind): d for d in db.session.scalars(select(DefinitionDraft))}
    entries = {}
    for version in versions:
        entry = entries.setdefault((version.process_key, version.kind), {
            "key": version.process_key, "kind": version.kind, "versions": 0, "current": None,
            "title": version.process_key,
            "running": {}, "draft": drafts.get((version.process_key, version.kind))})
        entry["versions"] += 1
        if version.is_current:
            entry["current"] = version
            entry["title"] = display_name(version)
        if running.get(version.id):
            entry["running"][version.version] = running[version.id]
    return list(entries.values())


def display_name(version: DefinitionVersion) -> str:
    """A journey's name, or a decision table's as its owners wrote it in the file."""
    if version.kind == "bpmn":
        return version.name
    try:
        root = parse_xml(version.bpmn_xml)
    except DefinitionError:
        return version.process_key
    decision = next((e for e in root.iter() if _local(e.tag) == "decision"), None)
    return (decision.get("name") if decision is not None else None) or version.process_key


def running_by_version() -> dict[int, int]:
    """{definition version id: journeys still running on it}."""
    rows = db.session.execute(select(Journey.definition_version_id, func.count()).where(
        Journey.status.in_(("en_cours", "incident"))).group_by(Journey.definition_version_id))
    return dict(rows.all())


def callers_of(key: str) -> list[DefinitionVersion]:
    """The current versions of the journeys that call journey `key` (its running journeys are theirs)."""
    return db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.kind == "bpmn", DefinitionVersion.is_current.is_(True), DefinitionVersion.process_key != key,
        DefinitionVersion.bpmn_xml.contains(f'calledElement="{key}"')).order_by(DefinitionVersion.name)).all()


def definition_versions(key: str, kind: str) -> list[DefinitionVersion]:
    """The versions of one definition, newest first; NotFound when it has none."""
    versions = db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.process_key == key, DefinitionVersion.kind == kind)
        .order_by(DefinitionVersion.version.desc())).all()
    if not versions:
        raise NotFound(f"{KIND_NAMES[kind].capitalize()} introuvable.")
    return versions


def version_of(key: str, kind: str, number: int) -> DefinitionVersion:
    version = db.session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.process_key == key, DefinitionVersion.kind == kind, DefinitionVersion.version == number))
    if version is None:
        raise NotFound("Version introuvable.")
    return version


def draft_of(key: str, kind: str) -> DefinitionDraft | None:
    return db.session.scalar(select(DefinitionDraft).where(
        DefinitionDraft.process_key == key, DefinitionDraft.kind == kind))


def authors(versions) -> dict[int, str]:
    """{user id: full name} of the people who published these versions."""
    ids = {v.published_by_id for v in versions if v.published_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def element_names(xml: str) -> dict[str, str]:
    """{element id: name} of a BPMN file, to say which element a problem is about."""
    try:
        root = parse_xml(xml)
    except DefinitionError:
        return {}
    return {e.get("id"): e.get("name") for e in root.iter() if isinstance(e.tag, str) and e.get("id")
            and e.get("name")}


def located_problems(kind: str, xml: str, problems: list[dict]) -> list[dict]:
    """The problems with where they are, in words: « Analyser la demande (analyser_demande) »."""
    names = element_names(xml) if kind == "bpmn" else {}
    located = []
    for problem in problems:
        element = problem.get("element")
        if kind == "dmn":
            where = place_in_table(xml, element) or ""
        else:
            where = f"« {names[element]} »" if element in names else (element or "")
        located.append({"element": element, "where": where, "message": problem["message"]})
    return located


def _elements(xml: str) -> dict[str, dict]:
    """{id: {kind, name, what it does}} of the process elements of a BPMN file (diagram layout left out)."""
    root = parse_xml(xml)
    lanes = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef"):
            role = lane.get("name") or lane.get("id")
            lanes[(ref.text or "").strip()] = ROLE_NAMES.get(role, role)
    elements = {}
    for el in root.iter():
        kind = _local(el.tag)
        if not el.get("id") or kind not in ELEMENT_KINDS or not el.tag.startswith(f"{{{BPMN}}}"):
            continue
        facts = {"Nom": el.get("name") or ""}
        if el.get("id") in lanes:
            facts["Couloir"] = lanes[el.get("id")]
        for prop in el.iterfind(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties/{{{SPIFF}}}property"):
            facts[PROPERTY_NAMES.get(prop.get("name"), f"Propriété « {prop.get('name')} »")] = prop.get("value")
        operator = el.find(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}serviceTaskOperator")
        if operator is not None:
            facts["Opération de service"] = operator.get("id")
            for param in operator.iter(f"{{{SPIFF}}}parameter"):
                facts[f"Paramètre « {param.get('id')} »"] = param.get("value")
        for attribute, label in (("sourceRef", "Depuis"), ("targetRef", "Vers"), ("calledElement", "Parcours appelé"),
                                 ("attachedToRef", "Attaché à"), ("default", "Flux par défaut"),
                                 ("cancelActivity", "Interrompt la tâche")):
            if el.get(attribute) is not None:
                facts[label] = el.get(attribute)
        if _local(el.tag) == "boundaryEvent":  # BPMN's default, which editors leave unwritten
            facts["Interrompt la tâche"] = "oui" if el.get("cancelActivity", "true") == "true" else "non"
        condition = el.find(f"{{{BPMN}}}conditionExpression")
        if condition is not None:
            facts["Condition"] = (condition.text or "").strip()
        for timer in el.iterfind(f"{{{BPMN}}}timerEventDefinition/*"):
            facts["Minuteur"] = f"{_local(timer.tag)} : {(timer.text or '').strip()}"
        for definition in ("signalEventDefinition", "messageEventDefinition", "errorEventDefinition"):
            found = el.find(f"{{{BPMN}}}{definition}")
            if found is not None:
                facts["Événement"] = f"{definition[:-15]} {found.get('signalRef') or found.get('messageRef') or ''}"
        loop = el.find(f"{{{BPMN}}}standardLoopCharacteristics")
        if loop is not None:
            facts["Boucle"] = f"au plus {loop.get('loopMaximum', '?')} passages, condition " \
                              f"{(loop.findtext(f'{{{BPMN}}}loopCondition') or '').strip() or 'aucune'}"
        multi = el.find(f"{{{BPMN}}}multiInstanceLoopCharacteristics")
        if multi is not None:
            facts["Multi-instance"] = " ".join(
                f"{_local(c.tag)}={(c.text or '').strip()}" for c in multi if isinstance(c.tag, str))
        elements[el.get("id")] = {"kind": ELEMENT_KINDS[kind], "name": el.get("name") or "", "facts": facts}
    names = {element_id: e["name"] for element_id, e in elements.items() if e["name"]}
    for element in elements.values():  # references to other elements by their names, as on the diagram
        for label in REFERENCES:
            if label in element["facts"]:
                element["facts"][label] = names.get(element["facts"][label], element["facts"][label])
        if not element["name"] and "Depuis" in element["facts"]:
            element["name"] = f"de « {element['facts']['Depuis']} » vers « {element['facts']['Vers']} »"
    return elements


def compare_versions(before: DefinitionVersion, after: DefinitionVersion) -> list[dict]:
    """Elements added, removed and changed between two BPMN versions, by element id.

    Each row: id, kind, name, change (« ajouté », « supprimé », « modifié ») and, when changed,
    [(what, before, after)]."""
    old, new = _elements(before.bpmn_xml), _elements(after.bpmn_xml)
    rows = []
    for element_id in sorted(set(old) | set(new)):
        if element_id not in old:
            rows.append({"id": element_id, **_summary(new[element_id]), "change": "ajouté", "details": []})
        elif element_id not in new:
            rows.append({"id": element_id, **_summary(old[element_id]), "change": "supprimé", "details": []})
        else:
            a, b = old[element_id]["facts"], new[element_id]["facts"]
            details = [(label, a.get(label, ""), b.get(label, "")) for label in dict.fromkeys([*a, *b])
                       if a.get(label, "") != b.get(label, "")]
            if details:
                rows.append({"id": element_id, **_summary(new[element_id]), "change": "modifié", "details": details})
    order = {"ajouté": 0, "supprimé": 1, "modifié": 2}
    return sorted(rows, key=lambda r: (order[r["change"]], r["id"]))


def _summary(element: dict) -> dict:
    return {"kind": element["kind"], "name": element["name"]}
