"""The documentation library: add, edit and review resources (coordinators for their territory, the
regional admin for all), record the resources given during a reception, tell owners of overdue ones."""
from datetime import date, timedelta
from pathlib import Path
import secrets
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update

from .. import clock
from ..errors import Forbidden, InvalidData, NotFound
from ..extensions import db
from ..form_checks import parse_date
from ..models import DocumentationResource, HumanTask, ResourceGiven, User
from ..queries.documentation import (can_create, can_manage, resource_schema, today,
                                     visible_resources_by_id)
from ..queries.definition_content import task_form
from ..task_forms import conditions, validate
from . import audit
from .documentation_files import check_upload, safe_name
from .notifications import public_link, queue_message

FORM_INVALID = "Le formulaire contient des erreurs : corrigez les champs signalés."
REVIEW_YEARS = 5
STORED = ("title", "publisher", "summary", "publics", "themes", "format", "level", "url")


def _url_problem(url: str) -> str | None:
    """Why a link cannot be kept (only http:// and https:// addresses with a host), or None."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "Le lien ne doit pas contenir d'espace : copiez l'adresse complète."
    try:
        parts = urlsplit(url)
    except ValueError:
        return "Ce lien n'est pas une adresse web valide."
    if parts.scheme.lower() not in ("http", "https"):
        return "Le lien doit commencer par http:// ou https://."
    if not parts.hostname or "." not in parts.hostname:
        return "Ce lien n'est pas une adresse web valide (il manque le nom du site)."
    return None


def _review_problem(value) -> str | None:
    day = parse_date(value) if isinstance(value, str) else None
    if day is None:
        return None  # the schema's date check already said so
    if day < today():
        return "La date de révision est déjà passée : indiquez aujourd'hui ou une date à venir."
    if day > today() + timedelta(days=366 * REVIEW_YEARS):
        return f"La date de révision est à plus de {REVIEW_YEARS} ans : vérifiez l'année."
    return None


def _checked(data: dict, upload, keeps_file: bool) -> tuple[dict, tuple | None]:
    """Column values and the checked file (bytes, type, name) from the form, or InvalidData with a
    French message per field; nothing is written before everything is checked."""
    errors = validate(resource_schema(), data)
    if data.get("url") and "url" not in errors:
        problem = _url_problem(data["url"])
        if problem:
            errors["url"] = problem
    if "review_on" not in errors and data.get("review_on"):
        problem = _review_problem(data["review_on"])
        if problem:
            errors["review_on"] = problem
    checked_file = None
    if upload is not None and upload.filename:
        checked_file, problem = check_upload(upload, current_app.config["DOCUMENTATION_MAX_BYTES"])
        if problem:
            errors["fichier"] = problem
    if not data.get("url") and checked_file is None and not keeps_file and "url" not in errors \
            and "fichier" not in errors:
        errors["url"] = "Indiquez un lien ou déposez un fichier."
    if errors:
        raise InvalidData(FORM_INVALID, errors)
    values = {name: data.get(name) for name in STORED}
    values["publics"], values["themes"] = list(values["publics"] or []), list(values["themes"] or [])
    values["review_on"] = parse_date(data["review_on"])
    return values, checked_file


def _store(resource: DocumentationResource, checked_file) -> None:
    """Write the checked file under DOCUMENTATION_FOLDER by a random name, and note it on the row."""
    content, content_type, name = checked_file
    folder = Path(current_app.config["DOCUMENTATION_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    (folder / key).write_bytes(content)
    old_key = resource.file_key
    resource.file_key, resource.file_type, resource.file_size = key, content_type, len(content)
    resource.file_name = safe_name(name, content_type)
    if old_key:
        db.session.info.setdefault("documentation_replaced", []).append(old_key)


def file_path(resource: DocumentationResource) -> Path:
    return Path(current_app.config["DOCUMENTATION_FOLDER"]) / resource.file_key


def remove_replaced_files() -> None:
    """After the commit: delete the files that a new upload replaced or an owner removed."""
    folder = Path(current_app.config["DOCUMENTATION_FOLDER"])
    for key in db.session.info.pop("documentation_replaced", []):
        (folder / key).unlink(missing_ok=True)


def create_resource(actor, data: dict, upload=None) -> DocumentationResource:
    """Add a resource owned by the actor and their structure (coordinator or regional admin)."""
    if not can_create(actor):
        raise Forbidden("Seul·es les coordinateur·rices et l'administration régionale ajoutent des ressources.")
    values, checked_file = _checked(data, upload, keeps_file=False)
    now = clock.now()
    resource = DocumentationResource(
        **values, owner_structure_id=actor.structure_id, created_by_id=actor.id,
        departement=None if can_manage_all(actor) else actor.structure.departement,
        created_at=now, updated_at=now)
    if checked_file:
        _store(resource, checked_file)
    db.session.add(resource)
    db.session.flush()
    audit.record(actor, "documentation.created", f"Ressource ajoutée : {resource.title}"[:300],
                 detail={"resource_id": resource.id})
    return resource


def can_manage_all(actor) -> bool:
    from ..queries.audit import is_regional_admin
    return is_regional_admin(actor)


def managed_resource(actor, resource_id: int) -> DocumentationResource:
    """A resource the actor may edit and review; NotFound or Forbidden (French) otherwise."""
    resource = db.session.get(DocumentationResource, resource_id)
    if resource is None:
        raise NotFound("Ressource introuvable.")
    if not can_manage(actor, resource):
        raise Forbidden("Cette ressource relève d'un autre territoire : seul·es ses responsables la modifient.")
    return resource


def update_resource(actor, resource_id: int, data: dict, upload=None, remove_file=False) -> DocumentationResource:
    """Change a resource (its owners); a new file replaces the old one."""
    resource = managed_resource(actor, resource_id)
    keeps_file = bool(resource.file_key) and not remove_file
    values, checked_file = _checked(data, upload, keeps_file=keeps_file)
    changed = [name for name, value in values.items() if getattr(resource, name) != value]
    for name in changed:
        setattr(resource, name, values[name])
    if "review_on" in changed and resource.review_on >= today():
        resource.overdue_notified_at = None  # a later lapse is told again
    if checked_file:
        _store(resource, checked_file)
        changed.append("fichier")
    elif remove_file and resource.file_key:
        db.session.info.setdefault("documentation_replaced", []).append(resource.file_key)
        resource.file_key = resource.file_name = resource.file_type = resource.file_size = None
        changed.append("fichier")
    resource.updated_at = clock.now()
    if changed:
        audit.record(actor, "documentation.updated", f"Ressource modifiée : {resource.title}"[:300],
                     detail={"resource_id": resource.id, "fields": changed})
    return resource


def mark_reviewed(actor, resource_id: int, next_review) -> DocumentationResource:
    """The owner checked the resource: it is visible again until `next_review`."""
    resource = managed_resource(actor, resource_id)
    problem = None if next_review else "Indiquez la prochaine date de révision."
    day = parse_date(next_review) if isinstance(next_review, str) and not problem else None
    if not problem and day is None:
        problem = "Indiquez une date valide, par exemple 31/12/2027."
    problem = problem or _review_problem(next_review)
    if problem:
        raise InvalidData("La révision n'est pas enregistrée.", {"review_on": problem})
    now = clock.now()
    resource.review_on, resource.reviewed_at, resource.reviewed_by_id = day, now, actor.id
    resource.overdue_notified_at, resource.updated_at = None, now
    audit.record(actor, "documentation.reviewed", f"Ressource révisée : {resource.title}"[:300],
                 detail={"resource_id": resource.id, "review_on": day.isoformat()})
    return resource


def _records_documentation(schema: dict) -> bool:
    return "documentation_remise" in schema.get("properties", {})


def with_given_titles(schema: dict, data: dict, resource_ids) -> dict:
    """The step's data, with « Documentation remise » made of the picked resources' titles when the
    counsellor picked some, answered « documentation » and left that text empty."""
    if not resource_ids or not _records_documentation(schema) or data.get("documentation_remise"):
        return data
    rules = conditions(schema).get("documentation_remise", {}).get("show", [])
    if rules and not any(data.get(name) == value for name, value in rules):
        return data
    ids = [int(raw) for raw in resource_ids if str(raw).isdigit() and len(str(raw)) <= 9]
    found = visible_resources_by_id(ids) if ids else {}
    titles = "; ".join(f"{found[i].title} ({found[i].publisher})" for i in dict.fromkeys(ids) if i in found)
    return {**data, "documentation_remise": titles[:2000]} if titles else data


def record_given(actor, task: HumanTask, resource_ids) -> list[DocumentationResource]:
    """Note which library resources were given during `task` (already checked as the actor's, on a
    form recording documentation given); refused when one of them is unknown or overdue. One
    timeline entry for them all."""
    if not resource_ids:
        return []
    form = task_form(task) or {}
    if not _records_documentation(form.get("schema") or {}):
        return []
    wanted = []
    for raw in resource_ids:
        if not str(raw).isdigit() or len(str(raw)) > 9:
            raise InvalidData("Une ressource choisie est introuvable : choisissez-en une dans la liste.")
        if int(raw) not in wanted:
            wanted.append(int(raw))
    if not wanted:
        return []
    found = visible_resources_by_id(wanted)
    if len(found) != len(wanted):
        raise InvalidData("Une ressource choisie n'est plus disponible (à réviser ou retirée) : "
                          "choisissez-en une autre.")
    already = set(db.session.scalars(select(ResourceGiven.resource_id).where(ResourceGiven.task_id == task.id)))
    now = clock.now()
    given = [found[i] for i in wanted if i not in already]
    for resource in given:
        db.session.add(ResourceGiven(resource_id=resource.id, journey_id=task.journey_id, task_id=task.id,
                                     given_at=now, given_by_id=actor.id))
    if given:
        titles = ", ".join(f"« {r.title} »" for r in given)
        audit.record(actor, "documentation.given", f"Documentation remise : {titles}"[:300],
                     person_id=task.person_id, journey_id=task.journey_id,
                     detail={"resource_ids": [r.id for r in given], "task_id": task.id})
    db.session.flush()
    return given


def notify_overdue(limit: int = 200) -> int:
    """Tell each overdue resource's owner once (outbox), in the caller's transaction; how many.
    The conditional UPDATE makes two workers never tell the same lapse twice."""
    now, day = clock.now(), today()
    candidates = db.session.scalars(select(DocumentationResource).where(
        DocumentationResource.review_on < day, DocumentationResource.overdue_notified_at.is_(None))
        .order_by(DocumentationResource.review_on, DocumentationResource.id).limit(limit)).all()
    told = 0
    for resource in candidates:
        won = db.session.execute(update(DocumentationResource).where(
            DocumentationResource.id == resource.id, DocumentationResource.overdue_notified_at.is_(None))
            .values(overdue_notified_at=now).execution_options(synchronize_session=False)).rowcount
        if not won:
            continue
        owner = db.session.get(User, resource.created_by_id)
        address = (owner.email if owner and owner.active else None) or resource.owner_structure.email
        if not address:
            continue
        link = public_link(f"/documentation/{resource.id}")
        queue_message(
            "documentation_revision", address, f"Ressource à réviser : {resource.title}"[:250],
            f"Bonjour,\n\nLa ressource « {resource.title} » ({resource.publisher}) a dépassé sa date de "
            f"révision ({resource.review_on.strftime('%d/%m/%Y')}). Elle n'est plus proposée aux "
            f"conseiller·ères tant qu'elle n'est pas révisée.\n\nVérifiez-la et indiquez sa prochaine date "
            f"de révision : {link}\n", to_structure_id=resource.owner_structure_id)
        told += 1
    return told


def default_review_date() -> date:
    """One year from today, the form's suggestion for a new resource."""
    return today() + timedelta(days=365)
