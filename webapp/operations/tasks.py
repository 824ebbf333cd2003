"""Claiming, releasing and reassigning tasks within a structure."""
from sqlalchemy import select, update

from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..models import HumanTask, User
from ..queries.tasks import task_for
from . import audit


def _can_act(actor, task: HumanTask):
    if task.role not in (actor.roles or []):
        raise Forbidden("Cette tâche relève d'un autre rôle que les vôtres.")


def claim_task(actor, task_id: int) -> HumanTask:
    """Take an open, unassigned task of one's queue (atomic: two claims, one winner)."""
    task = task_for(actor, task_id)
    _can_act(actor, task)
    if task.assignee_id == actor.id and task.status == "ouverte":
        return task
    result = db.session.execute(
        update(HumanTask).where(HumanTask.id == task.id, HumanTask.status == "ouverte",
                                HumanTask.assignee_id.is_(None), HumanTask.structure_id == actor.structure_id)
        .values(assignee_id=actor.id).execution_options(synchronize_session=False))
    db.session.refresh(task)
    if result.rowcount != 1:
        if task.status != "ouverte":
            raise Conflict("Cette tâche a déjà été traitée.")
        if task.structure_id != actor.structure_id:
            raise Conflict("Cette tâche vient d'être confiée à une autre structure.")
        raise Conflict(f"Cette tâche a déjà été prise par {task.assignee.full_name}.")
    audit.record(actor, "task.claimed", f"« {task.title} » prise en charge", person_id=task.person_id,
                 journey_id=task.journey_id, detail={"task_id": task.id})
    return task


def release_task(actor, task_id: int) -> HumanTask:
    """Put one's own task back into the structure's queue."""
    task = task_for(actor, task_id)
    if task.status != "ouverte":
        raise Conflict("Cette tâche a déjà été traitée.")
    if task.assignee_id != actor.id and not actor.has_role("coordinateur"):
        raise Forbidden("Seule la personne qui a pris la tâche peut la libérer.")
    task.assignee_id = None
    db.session.flush()
    audit.record(actor, "task.released", f"« {task.title} » remise dans la file",
                 person_id=task.person_id, journey_id=task.journey_id, detail={"task_id": task.id})
    return task


def reassign_task(actor, task_id: int, user_id: int) -> HumanTask:
    """Give an open task to a colleague of the same structure who holds the task's role."""
    task = task_for(actor, task_id)
    _can_act(actor, task)
    if task.status != "ouverte":
        raise Conflict("Cette tâche a déjà été traitée.")
    if task.assignee_id not in (None, actor.id) and not actor.has_role("coordinateur"):
        raise Forbidden(f"Cette tâche est prise par {task.assignee.full_name} : elle seule peut la confier.")
    colleague = db.session.scalar(select(User).where(User.id == user_id, User.active.is_(True)))
    if colleague is None or colleague.structure_id != actor.structure_id:
        raise NotFound("Collègue introuvable dans votre structure.")
    if task.role not in (colleague.roles or []):
        raise Forbidden(f"{colleague.full_name} n'a pas le rôle requis pour cette tâche.")
    task.assignee_id = colleague.id
    db.session.flush()
    audit.record(actor, "task.reassigned", f"« {task.title} » confiée à {colleague.full_name}",
                 person_id=task.person_id, journey_id=task.journey_id,
                 detail={"task_id": task.id, "to": colleague.id})
    return task
