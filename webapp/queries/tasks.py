"""Task lists and single tasks, read from the human-task index (never from workflow state)."""
import math
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ..errors import NotFound
from ..extensions import db
from ..models import DefinitionVersion, HumanTask, Journey, Person
from ..operations import audit
from ..workflow import EngineError, Instance


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def task_for(actor, task_id: int) -> HumanTask:
    """A task of the actor's structure, or NotFound (also for other structures' tasks)."""
    task = db.session.get(HumanTask, task_id)
    if task is not None and task.structure_id != actor.structure_id:
        audit.denied(actor, "task", task.id, person_id=task.person_id)
    if task is None or task.structure_id != actor.structure_id:
        raise NotFound("Tâche introuvable.")
    return task


def task_data(task: HumanTask) -> dict:
    """The data the engine holds for a waiting task (what earlier steps recorded)."""
    journey = task.journey
    try:
        return Instance.restore(journey.definition.spec_json, journey.state).task_data(task.task_uuid)
    except EngineError:
        return {}


def earlier_answers(task: HumanTask) -> dict:
    """The fields an open task's form names in `x-prefill` (the project in a new session, a revised
    plan), as the journey's earlier steps recorded them under the same names."""
    if task.status != "ouverte":
        return {}
    form = task.journey.definition.forms.get(task.form_key) or {}
    names = (form.get("schema") or {}).get("x-prefill") or []
    data = task_data(task) if names else {}
    return {name: data[name] for name in names if data.get(name) not in (None, "", [], {})}


def open_tasks_of_journey(actor, journey_id: int) -> list[HumanTask]:
    """The journey's open tasks held by the actor's structure, oldest first."""
    return db.session.scalars(select(HumanTask).where(
        HumanTask.journey_id == journey_id, HumanTask.status == "ouverte",
        HumanTask.structure_id == actor.structure_id)
        .order_by(HumanTask.created_at, HumanTask.id)).all()


def _scope(actor, scope: str):
    stmt = select(HumanTask).where(HumanTask.status == "ouverte")
    if scope == "mine":
        return stmt.where(HumanTask.assignee_id == actor.id)
    return stmt.where(HumanTask.structure_id == actor.structure_id,
                      HumanTask.role.in_(actor.roles or []))


def task_list(actor, scope: str = "mine", *, journey: str | None = None, task: str | None = None,
              person: str | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Open tasks, mine or my structure's queue: urgent ones first, then by due date, then age."""
    stmt = _scope(actor, scope)
    if journey:
        stmt = stmt.where(HumanTask.process_key == journey)
    if task:
        stmt = stmt.where(HumanTask.bpmn_id == task)
    if person:
        term = person.strip()
        stmt = stmt.join(Person, Person.id == HumanTask.person_id)
        if term.isdigit():
            stmt = stmt.where(Person.id == int(term))
        else:  # names are searched only in the journeys the actor's structure is in charge of
            like = f"%{term.lower()}%"
            stmt = stmt.join(Journey, Journey.id == HumanTask.journey_id).where(
                Journey.structure_id == actor.structure_id,
                or_(func.lower(Person.nom).like(like), func.lower(Person.prenom).like(like)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    rows = db.session.scalars(
        stmt.order_by(HumanTask.priority.desc(), HumanTask.due_at.is_(None), HumanTask.due_at,
                      HumanTask.created_at, HumanTask.id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=rows, total=total, page=page, per_page=per_page)


def counts(actor) -> dict:
    """How many open tasks are mine and in my structure's queue."""
    return {scope: db.session.scalar(select(func.count()).select_from(_scope(actor, scope).subquery()))
            for scope in ("mine", "queue")}


def filter_choices(actor) -> dict:
    """Distinct journeys and tasks present in the actor's queue, for the filter menus."""
    stmt = _scope(actor, "queue").with_only_columns(HumanTask.process_key, HumanTask.bpmn_id,
                                                    HumanTask.title).distinct()
    rows = db.session.execute(stmt).all()
    keys = {r.process_key for r in rows}
    names = dict(db.session.execute(select(DefinitionVersion.process_key, DefinitionVersion.name).where(
        DefinitionVersion.process_key.in_(keys), DefinitionVersion.is_current.is_(True))).all()) if keys else {}
    return {"journeys": sorted(((key, names.get(key, key)) for key in keys), key=lambda pair: pair[1]),
            "tasks": sorted({(r.bpmn_id, r.title.split(" n°")[0]) for r in rows})}
