"""Starting journeys and completing their user tasks."""
from datetime import date

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .. import clock, communes
from ..errors import Conflict, Forbidden, InvalidData, NotFound
from ..extensions import db
from ..models import DefinitionVersion, HumanTask, Journey, Person
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from ..queries.definition_content import version_content
from ..queries.people import person_for
from ..queries.referrals import has_full_access
from ..queries.task_choices import allowed_partner_ids
from ..task_forms import clean, expand, validate
from ..workflow import EngineError, Instance, JourneyBoundExceeded, TaskNotReady
from . import audit, person_index
from .journey_opening import open_journey
from .services import services_for
from .task_index import save_state

PROCESS_STARTABLE = {"accueil", "cep"}
ANONYMOUS_KEPT = ("annee_naissance",)  # identifies nobody, and the age guides the answer


def start_journey(actor, process_key: str, person_id: int | None = None) -> Journey:
    """Start a journey for an existing person of the actor's structure, or a new anonymous one."""
    if process_key not in PROCESS_STARTABLE:
        raise NotFound(f"Parcours inconnu : {process_key}.")
    if not actor.has_role("conseiller") and not actor.has_role("conseiller_cep"):
        raise Forbidden("Seul·e un·e conseiller·ère peut démarrer un parcours.")
    if process_key == "cep" and not (actor.has_role("conseiller_cep") and actor.structure.cep_operator):
        raise Forbidden("Seul·e un·e conseiller·ère CEP d'un opérateur du conseil en évolution "
                        "professionnelle peut ouvrir ce parcours.")
    now = clock.now()
    if person_id is None:
        person = Person(created_at=now, last_contact_at=now, created_by_structure_id=actor.structure_id)
        db.session.add(person)
    else:
        person = person_for(actor, person_id)
        if not has_full_access(actor, person):
            raise Forbidden("Cette personne vous a été orientée : répondez à l'orientation depuis votre file. "
                            "Pour l'accompagner, faites un nouvel accueil à son arrivée.")
        person.last_contact_at = now
    journey, _created = open_journey(actor, process_key, person, actor.structure_id, services_for, keep=True)
    return journey


def _lock_journey(journey_id: int) -> Journey:
    """Take the journey's row lock (SELECT … FOR UPDATE) and read its latest state."""
    return db.session.scalar(select(Journey).where(Journey.id == journey_id)
                             .with_for_update().execution_options(populate_existing=True))


def _apply_person_fields(person: Person, data: dict) -> dict:
    """Move identity fields to the person row; return the data the engine may see."""
    anonymous = data.get("anonyme") is True
    for name in IDENTITY_FIELDS:  # an anonymous person keeps only their year of birth
        if name in data and (not anonymous or name in ANONYMOUS_KEPT):
            setattr(person, name, data[name])
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(person, name, data[name])
    if "commune" in data:
        commune = communes.resolve(data["commune"])
        person.commune_code = commune.code if commune else None
    return {k: v for k, v in data.items() if k not in IDENTITY_FIELDS}


def _completed_summary(title: str, schema: dict, data: dict) -> str:
    """The timeline line of a completed step, with the date it took place when its form has one
    (the form's first date field): the entry itself already says when it was recorded."""
    first = next((name for name, prop in schema.get("properties", {}).items()
                  if prop.get("format") == "date" and prop.get("x-date") != "future"), None)
    try:
        day = date.fromisoformat(data[first]) if first and data.get(first) else None
    except (TypeError, ValueError):
        day = None
    if day is None or day > clock.now().date():  # an appointment to come is not when the step took place
        return f"« {title} » terminée"
    return f"« {title} » du {day:%d/%m/%Y} enregistrée"


def _record_incident(journey_id: int, reason: str) -> None:
    """Nothing of the step is kept; the journey is marked as an incident, in a transaction of its own."""
    db.session.rollback()
    journey = _lock_journey(journey_id)
    journey.status, journey.incident = "incident", reason
    db.session.commit()


def _version_column(column):
    return select(column).where(DefinitionVersion.id == Journey.definition_version_id).scalar_subquery()


# The statements every completion runs are built once, with parameters (building one costs about as
# much as running it). The version's key is read by subqueries, not a join: a journey migrated while
# this waits for its lock is read again with its new version (a join on the old one would drop the row).
_TASK_FOR_COMPLETION = (
    select(HumanTask, Journey, _version_column(DefinitionVersion.checksum).label("checksum"),
           _version_column(DefinitionVersion.published_at).label("published_at"))
    .join(Journey, Journey.id == HumanTask.journey_id)
    .options(joinedload(HumanTask.person)).where(HumanTask.id == bindparam("task_id"))
    .with_for_update(of=Journey).execution_options(populate_existing=True))
_CLOSE_TASK = (
    update(HumanTask).where(HumanTask.id == bindparam("task_id"), HumanTask.status == "ouverte",
                            HumanTask.structure_id == bindparam("actor_structure_id"),
                            or_(HumanTask.assignee_id.is_(None), HumanTask.assignee_id == bindparam("actor_id")))
    .values(status="terminee", completed_at=bindparam("done_at"), completed_by_id=bindparam("actor_id"),
            assignee_id=bindparam("actor_id"), data=bindparam("task_data", type_=HumanTask.data.type))
    .execution_options(synchronize_session=False))


def _lock_for_completion(actor, task_id: int):
    """The task, its person and its journey, the journey's row locked, and the version's content:
    one statement (the content comes from the process's cache of immutable versions)."""
    row = db.session.execute(_TASK_FOR_COMPLETION, {"task_id": task_id}).first()
    if row is not None and row.HumanTask.structure_id != actor.structure_id:
        audit.denied(actor, "task", task_id, person_id=row.HumanTask.person_id)
    if row is None or row.HumanTask.structure_id != actor.structure_id:
        raise NotFound("Tâche introuvable.")
    return row.HumanTask, row.Journey, version_content(row.Journey.definition_version_id, row.checksum,
                                                       row.published_at)


def _check_still_open(actor, task: HumanTask) -> None:
    if task.status != "ouverte":
        raise Conflict("Cette tâche a déjà été traitée ; rechargez la page pour voir la suite du parcours.")
    if task.structure_id != actor.structure_id:
        raise Conflict("Cette tâche vient d'être confiée à une autre structure.")
    if task.assignee_id not in (None, actor.id):
        raise Conflict(f"Cette tâche a été prise par {task.assignee.full_name}.")


def _mark_completed(actor, task: HumanTask, data: dict, now) -> None:
    """Close the task only if it is still open and the actor's to close (one conditional UPDATE):
    the task row is read with the journey's lock, not its own, so a claim or a completion that
    slipped in between is caught here."""
    with db.session.no_autoflush:  # the statement needs none of what is pending: the next flush writes it
        result = db.session.execute(_CLOSE_TASK, {"task_id": task.id, "actor_structure_id": actor.structure_id,
                                                  "actor_id": actor.id, "done_at": now, "task_data": data})
    if result.rowcount != 1:
        db.session.refresh(task)
        _check_still_open(actor, task)
        raise Conflict("Cette tâche vient d'être modifiée par quelqu'un d'autre ; rechargez la page.")
    values = {"status": "terminee", "completed_at": now, "completed_by_id": actor.id, "assignee_id": actor.id,
              "data": data}
    for name, value in values.items():
        set_committed_value(task, name, value)
    person_index.record_contact(db.session, task.person_id, task.structure_id, now)


def complete_task(actor, task_id: int, data) -> HumanTask:
    """Complete an open task with submitted form data (a dict, or a function of the form's schema
    returning it); exactly one completion ever wins."""
    task, journey, version = _lock_for_completion(actor, task_id)
    if task.role not in (actor.roles or []):
        raise Forbidden("Cette tâche relève d'un autre rôle que les vôtres.")
    _check_still_open(actor, task)
    form = version.forms.get(task.form_key) or {"schema": {"type": "object"}}
    schema = expand(form["schema"])
    if callable(data):  # a browser's form: its text values read with the task's form
        data = data(schema)
    data = clean(schema, data)  # jj/mm/aaaa dates, phones and communes in their official spelling
    instance = Instance.restore(version.spec_json, journey.state, services=services_for(journey, actor))
    uses_partners = any(p.get("x-source") == "partenaires" for p in schema.get("properties", {}).values())
    context = instance.task_data(task.task_uuid)
    allowed = None
    if uses_partners:
        allowed = {"partenaires": allowed_partner_ids(actor, task, data=context)}
    errors = validate(schema, data, allowed, context=context)
    if errors:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", errors)
    engine_data = _apply_person_fields(task.person, data)
    for name in schema.get("properties", {}):  # a field left empty clears what an earlier step left
        if name not in IDENTITY_FIELDS:
            engine_data.setdefault(name, None)
    try:
        instance.complete(task.task_uuid, engine_data)
    except TaskNotReady as exc:
        raise Conflict(str(exc)) from exc
    except JourneyBoundExceeded as exc:
        _record_incident(journey.id, str(exc))
        raise InvalidData(f"Le parcours a dépassé ses limites et ne peut plus avancer : {exc} Il est signalé "
                          "en incident à l'équipe qui gère les parcours ; rien de cette étape n'a été enregistré.") from exc
    except EngineError as exc:
        raise InvalidData(f"Le parcours n'a pas pu avancer : {exc}") from exc
    now = clock.now()
    _mark_completed(actor, task, engine_data, now)
    try:
        save_state(journey, instance, actor, keep=True)
    except StaleDataError as exc:
        raise Conflict("Le parcours a été modifié en même temps par quelqu'un d'autre ; réessayez.") from exc
    task.person.last_contact_at = now
    audit.record(actor, "task.completed", _completed_summary(task.title, schema, data),
                 person_id=task.person_id, journey_id=journey.id, detail={"task_id": task.id})
    return task
