"""The documentation library as one user sees it: counsellors only resources not past their review
date; owners (coordinators of the territory, the regional admin) also their overdue ones, flagged."""
from sqlalchemy import String, cast, func, or_, select, true

from ..errors import NotFound
from ..extensions import db
from ..form_checks import today
from ..models import DocumentationResource, ResourceGiven
from ..models.documentation import FORMATS, LEVELS
from ..task_forms import expand
from ..vocabularies import PUBLICS_SPRO, thematiques
from .audit import is_regional_admin
from .pages import Page

PICKER_LIMIT = 300


def resource_schema() -> dict:
    """The form's JSON Schema (the file is checked apart: operations/documentation_files.py)."""
    return expand({
        "type": "object", "additionalProperties": False,
        "required": ["title", "publisher", "publics", "themes", "format", "level", "review_on"],
        "properties": {
            "title": {"type": "string", "title": "Titre", "maxLength": 200},
            "publisher": {"type": "string", "title": "Éditeur", "maxLength": 200,
                          "description": "L'organisme qui publie la ressource (ONISEP, France Travail, Région…)."},
            "summary": {"type": "string", "title": "Résumé", "maxLength": 2000},
            "publics": {"type": "array", "title": "Publics", "minItems": 1, "uniqueItems": True,
                        "x-vocabulary": "publics_spro"},
            "themes": {"type": "array", "title": "Thématiques", "minItems": 1, "uniqueItems": True,
                       "x-vocabulary": "thematiques"},
            "format": {"type": "string", "title": "Format", "enum": [c for c, _l in FORMATS],
                       "x-enumNames": [label for _c, label in FORMATS]},
            "level": {"type": "string", "title": "Portée", "enum": [c for c, _l in LEVELS],
                      "x-enumNames": [label for _c, label in LEVELS]},
            "url": {"type": "string", "title": "Lien", "maxLength": 300,
                    "description": "Adresse web commençant par https:// (ou http://). Un lien ou un fichier est obligatoire."},
            "review_on": {"type": "string", "format": "date", "title": "Date de révision",
                          "description": "Après cette date, la ressource est cachée aux conseiller·ères jusqu'à sa révision."},
        },
    })


def can_create(actor) -> bool:
    return actor.has_role("coordinateur") or is_regional_admin(actor)


def can_manage(actor, resource: DocumentationResource) -> bool:
    """The regional admin manages every resource; a coordinator those of their structure's département."""
    if is_regional_admin(actor):
        return True
    return actor.has_role("coordinateur") and resource.departement is not None and \
        resource.departement == actor.structure.departement


def _managed_clause(actor):
    """SQL condition: the actor may manage the resource (see can_manage)."""
    if is_regional_admin(actor):
        return True
    if actor.has_role("coordinateur"):
        return DocumentationResource.departement == actor.structure.departement
    return False


def _visible_clause(actor):
    """Not overdue, or overdue and managed by the actor (shown flagged)."""
    fresh = DocumentationResource.review_on >= today()
    managed = _managed_clause(actor)
    if managed is True:
        return true()
    return fresh if managed is False else or_(fresh, managed)


def _contains(column, value: str, prefix: bool = False):
    """A JSON list column holds the code (or, with prefix, a code of that category)."""
    text = cast(column, String)
    found = text.like(f'%"{value}"%')
    return or_(found, text.like(f'%"{value}--%')) if prefix else found


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_resources(actor, text=None, public=None, theme=None, page=1, per_page=25) -> Page:
    """The resources the actor may see matching every filter, by title."""
    stmt = select(DocumentationResource).where(_visible_clause(actor))
    if public and public.replace("_", "").isalnum():  # codes only: the JSON text match cannot be abused
        stmt = stmt.where(_contains(DocumentationResource.publics, public))
    if theme and theme.replace("-", "").isalnum():
        stmt = stmt.where(_contains(DocumentationResource.themes, theme, prefix=True))
    if text and text.strip():
        for word in text.strip().lower().split()[:8]:
            like = f"%{_escape_like(word)}%"
            stmt = stmt.where(or_(func.lower(DocumentationResource.title).like(like, escape="\\"),
                                  func.lower(DocumentationResource.publisher).like(like, escape="\\"),
                                  func.lower(DocumentationResource.summary).like(like, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    rows = db.session.scalars(stmt.order_by(func.lower(DocumentationResource.title), DocumentationResource.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=rows, total=total, page=page, per_page=per_page)


def to_review(actor) -> list[DocumentationResource]:
    """« À réviser »: the overdue resources the actor manages, oldest review date first."""
    managed = _managed_clause(actor)
    if managed is False:
        return []
    stmt = select(DocumentationResource).where(DocumentationResource.review_on < today())
    if managed is not True:
        stmt = stmt.where(managed)
    return db.session.scalars(stmt.order_by(DocumentationResource.review_on, DocumentationResource.id)).all()


def resource_for(actor, resource_id: int) -> DocumentationResource:
    """One resource the actor may see; an overdue one is NotFound for those who do not manage it."""
    resource = db.session.get(DocumentationResource, resource_id)
    if resource is None or (resource.is_overdue(today()) and not can_manage(actor, resource)):
        raise NotFound("Ressource introuvable ou en cours de révision.")
    return resource


def visible_resources_by_id(ids) -> dict[int, DocumentationResource]:
    """{id: resource} of these ids that anyone may be given (not overdue)."""
    rows = db.session.scalars(select(DocumentationResource).where(
        DocumentationResource.id.in_(list(ids)), DocumentationResource.review_on >= today())).all()
    return {r.id: r for r in rows}


def picker_choices() -> list[DocumentationResource]:
    """The resources a counsellor may give during a reception (not overdue), by title."""
    return db.session.scalars(select(DocumentationResource).where(DocumentationResource.review_on >= today())
                              .order_by(func.lower(DocumentationResource.title), DocumentationResource.id)
                              .limit(PICKER_LIMIT)).all()


def given_during(task_id: int) -> list[ResourceGiven]:
    return db.session.scalars(select(ResourceGiven).where(ResourceGiven.task_id == task_id)
                              .order_by(ResourceGiven.id)).all()


def facets() -> dict:
    """The filter menus: publics, and the thématiques grouped by category."""
    groups: dict[str, list] = {}
    for value, label, group in thematiques():
        groups.setdefault(group, []).append((value, label))
    return {"publics": PUBLICS_SPRO, "themes": groups}


def labels() -> dict:
    return {"formats": dict(FORMATS), "levels": dict(LEVELS), "publics": dict(PUBLICS_SPRO),
            "themes": {value: label for value, label, _g in thematiques()}}


def task_context(actor, task, schema: dict) -> dict:
    """For the task page: the library to pick from on a form that records documentation given
    (`documentation_remise`), and what was given during this task once done."""
    if task.status == "terminee":
        return {"documentation_given": given_during(task.id)}
    if task.status == "ouverte" and "documentation_remise" in schema.get("properties", {}):
        public = task.person.public if task.person is not None else None
        choices = picker_choices()
        fitting = [r for r in choices if public and public in (r.publics or [])]
        return {"documentation_library": choices, "documentation_groups": [
            (f"Pour ce public ({dict(PUBLICS_SPRO).get(public, public)})", fitting),
            ("Autres ressources" if fitting else "", [r for r in choices if r not in fitting])]}
    return {}
