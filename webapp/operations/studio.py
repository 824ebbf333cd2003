"""The process owners' studio: drafts checked as `spro process validate` does, published as the next
immutable version with a change note, and earlier versions published again (rollback).

Hostile or broken files (DOCTYPE or entities, oversized, invalid XML, scripts, code in expressions,
unknown service operations, unbounded loops) are refused whole: nothing is stored. A draft may keep
the problems of unfinished work (a task without its form, a lane that is not a role, a diagram the
engine cannot run yet; in a decision table, a mistyped cell), listed per element; it cannot be
published until they are fixed. A journey's draft may also carry forms edited in the studio: they are
published with it, over the current versions' stored forms, which come before the forms folder."""
from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import Conflict, InvalidData, NotFound
from ..extensions import db
from ..models import DefinitionDraft, DefinitionVersion
from ..queries.definitions import current_version
from ..queries.studio import BPMN, draft_of, version_of
from ..queries.studio_forms import journey_forms
from ..workflow import DefinitionError, Problem, compile_files
from ..workflow.xml import parse_xml
from ..workflow.foreign import adopt_process
from .definitions import available_forms, check_decision_draft, publish, publish_decision
from .services import known_services

# Problems of unfinished work, which a draft may keep; any other problem refuses the file.
UNFINISHED_WORK = ("Tâche utilisateur sans formulaire", "Formulaire introuvable", "Couloir «",
                   "Le diagramme ne respecte pas la norme BPMN", "Le moteur de parcours ne peut pas exécuter")
MAX_NOTE_CHARS = 2000


def _forms_dir() -> str:
    return current_app.config["FORMS_DIR"]


def _published_files(except_key: str) -> dict[str, str]:
    """{file name: XML} of the current version of every other journey."""
    versions = db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.kind == "bpmn", DefinitionVersion.is_current.is_(True),
        DefinitionVersion.process_key != except_key)).all()
    return {f"{v.process_key}.bpmn": v.bpmn_xml for v in versions}


def _text(content: bytes | str) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise DefinitionError([Problem("Le fichier n'est pas un texte UTF-8 : enregistrez-le de nouveau "
                                       "depuis l'éditeur.")]) from None


def known_forms(key: str) -> set[str]:
    """The form names a task of journey `key` may use: its draft's, the current versions', the folder's."""
    draft = draft_of(key, "bpmn")
    return available_forms(_forms_dir()) | set(journey_forms(key, draft.forms if draft else None))


def check_journey_file(key: str, content: bytes | str) -> tuple[str, list[dict]]:
    """(XML text, problems of unfinished work) of a BPMN file for journey `key`; DefinitionError
    when the file must be refused whole. A file made elsewhere whose only process has another id takes
    the journey's key."""
    content, _former = adopt_process(content, key)
    try:
        compile_files({f"{key}.bpmn": content}, known_forms=known_forms(key),
                      context=_published_files(key), known_services=known_services())
        problems = []
    except DefinitionError as exc:
        problems = exc.problems
    refused = [p for p in problems if not (p.unfinished or p.message.startswith(UNFINISHED_WORK))]
    if refused:
        raise DefinitionError(refused)
    text = _text(content)
    described = {p.get("id") for p in parse_xml(text).iterfind(f"{{{BPMN}}}process")}
    if described != {key}:
        raise DefinitionError([Problem(
            f"Ce fichier décrit {', '.join(f'« {d} »' for d in sorted(described)) or 'aucun parcours'} : "
            f"il doit décrire le seul parcours « {key} » (identifiant du processus).")])
    return text, [{"element": p.element_id, "message": p.message} for p in problems]


def adopted_process(key: str, content: bytes | str) -> str | None:
    """The former id of a file's only process, when importing it as journey `key` renames it."""
    try:
        return adopt_process(content, key)[1]
    except DefinitionError:
        return None


def check_file(key: str, kind: str, content: bytes | str) -> tuple[str, list[dict]]:
    """(XML text, problems a draft may keep) of a file for definition `key`, or DefinitionError."""
    if kind == "dmn":
        _key, text, problems = check_decision_draft(content, expected_key=key)
        return text, [{"element": p.element_id, "message": p.message} for p in problems]
    return check_journey_file(key, content)


def save_draft(actor, key: str, kind: str, file_name: str, content: bytes | str) -> DefinitionDraft:
    """Check the file and make it the definition's draft (replacing the previous one)."""
    current = current_version(key, kind)
    if current is None:
        raise NotFound("Parcours ou table de décision introuvable.")
    text, problems = check_file(key, kind, content)
    draft = draft_of(key, kind) or DefinitionDraft(process_key=key, kind=kind)
    draft.file_name = (file_name or f"{key}.{kind}")[:200]
    draft.xml, draft.problems = text, problems
    draft.based_on_id = current.id
    draft.updated_at, draft.updated_by_id = clock.now(), getattr(actor, "id", None)
    db.session.add(draft)
    db.session.flush()
    return draft


def discard_draft(key: str, kind: str) -> None:
    draft = draft_of(key, kind)
    if draft is None:
        raise NotFound("Aucun brouillon.")
    db.session.delete(draft)
    db.session.flush()


def _checked_note(note: str | None) -> str:
    note = (note or "").strip()
    if not note:
        raise InvalidData("Indiquez la note de version : ce qui change et pourquoi.",
                          fields={"note": "Note de version obligatoire."})
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidData(f"Note de version trop longue ({MAX_NOTE_CHARS} caractères au plus).",
                          fields={"note": "Trop longue."})
    return note


def _publish_xml(actor, key: str, kind: str, file_name: str, xml: str, note: str,
                 forms: dict | None = None) -> DefinitionVersion:
    """Publish the XML as the definition's next version, made current, with its note.

    Journeys go through the same compile path as the shipped folder (forms stored with the version:
    `forms` first, then the current versions' ones, then the forms folder; the journeys that call
    this one follow with a version of their own); tables through publish_decision. Both write the
    audit entry."""
    if kind == "dmn":
        version = publish_decision(file_name, xml, actor, expected_key=key)
        created = [version] if version else []
    else:
        created = publish({**_published_files(key), f"{key}.bpmn": xml}, _forms_dir(), actor,
                          stored_forms=journey_forms(key, forms))
    version = next((v for v in created if v.process_key == key), None)
    if version is None:
        raise Conflict("Identique à la version en cours : rien à publier.")
    version.change_note = note
    for caller in created:
        if caller is not version:
            caller.change_note = f"Suit la version {version.version} de « {version.name} » : {note}"
    db.session.flush()
    return version


def publish_draft(actor, key: str, kind: str, note: str | None) -> DefinitionVersion:
    """Turn the draft into the next immutable version, current from now on; running journeys keep theirs."""
    note = _checked_note(note)
    draft = draft_of(key, kind)
    if draft is None:
        raise NotFound("Aucun brouillon à publier.")
    if draft.problems:
        raise Conflict(f"Le brouillon a encore {len(draft.problems)} problème(s) : corrigez-les avant de publier.")
    try:
        version = _publish_xml(actor, key, kind, draft.file_name, draft.xml, note, draft.forms)
    except DefinitionError:
        db.session.rollback()
        raise
    db.session.delete(draft)
    db.session.flush()
    return version


def republish(actor, key: str, kind: str, number: int) -> DefinitionVersion:
    """Rollback: publish version `number` again as the next version, with the note « Retour à la version n »."""
    old = version_of(key, kind, number)
    return _publish_xml(actor, key, kind, old.name if kind == "dmn" else f"{key}.bpmn", old.bpmn_xml,
                        f"Retour à la version {number}", old.forms if kind == "bpmn" else None)
