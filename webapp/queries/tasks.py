"""Task lists and single tasks, read from the human-task index (never from workflow state)."""
from dataclasses import dataclass

from datetime import datetime

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from ..errors import NotFound
from ..extensions import db
from ..models import DefinitionVersion, HumanTask, Journey, Person, Structure, User
from ..operations import audit
from .definition_content import content_of, task_form
from .pages import Page
from .referrals import names_seen_by
from ..workflow import EngineError, Instance


@dataclass
class TaskRow:
    """One line of a task list: what the lists and the API show, read with the page itself."""
    id: int
    title: str
    bpmn_id: str
    process_key: str
    journey_id: int
    person_id: int
    person_name: str  # as the actor's structure may see it
    journey_name: str
    role: str
    structure: Structure
    assignee: User | None
    status: str
    due_at: datetime | None
    created_at: datetime


def _visible(actor, task: HumanTask | None, task_id: int) -> HumanTask:
    if task is not None and task.structure_id != actor.structure_id:
        audit.denied(actor, "task", task_id, person_id=task.person_id)
    if task is None or task.structure_id != actor.structure_id:
        raise NotFound("Tâche introuvable.")
    return task


def task_for(actor, task_id: int) -> HumanTask:
    """A task of the actor's structure, or NotFound (also for other structures' tasks)."""
    return _visible(actor, db.session.get(HumanTask, task_id), task_id)


def task_data(task: HumanTask) -> dict:
    """The data the engine holds for a waiting task (what earlier steps recorded)."""
    journey = task.journey
    try:
        return Instance.restore(content_of(journey.definition_version_id).spec_json,
                                journey.state).task_data(task.task_uuid)
    except EngineError:
        return {}


def earlier_answers(task: HumanTask) -> dict:
    """The fields an open task's form names in `x-prefill` (the project in a new session, a revised
    plan), as the journey's earlier steps recorded them under the same names."""
    if task.status != "ouverte":
        return {}
    form = task_form(task) or {}
    names = (form.get("schema") or {}).get("x-prefill") or []
    data = task_data(task) if names else {}
    return {name: data[name] for name in names if data.get(name) not in (None, "", [], {})}


# Built once with parameters: every step's answer runs it.
_OPEN_TASKS_OF_JOURNEY = (select(HumanTask).where(
    HumanTask.journey_id == bindparam("journey_id"), HumanTask.status == "ouverte",
    HumanTask.structure_id == bindparam("structure_id")).order_by(HumanTask.created_at, HumanTask.id))


def open_tasks_of_journey(actor, journey_id: int) -> list[HumanTask]:
    """The journey's open tasks held by the actor's structure, oldest first."""
    return db.session.scalars(_OPEN_TASKS_OF_JOURNEY,
                              {"journey_id": journey_id, "structure_id": actor.structure_id}).all()


def _scope(actor, scope: str):
    stmt = select(HumanTask).where(HumanTask.status == "ouverte")
    if scope == "mine":
        return stmt.where(HumanTask.assignee_id == actor.id)
    return stmt.where(HumanTask.structure_id == actor.structure_id,
                      HumanTask.role.in_(actor.roles or []))


# Aliases are made once: a new alias sets up its columns again on first use, which costs more than
# the rest of building the statement.
_HELD = aliased(Journey, name="held")  # a journey of the task's person held by the actor's structure
_CURRENT = aliased(DefinitionVersion, name="current_version")


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
    page = max(1, page)
    order = (HumanTask.priority.desc(), HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at,
             HumanTask.id)
    # One statement for the page: the page's ids and the total are taken from the task index alone
    # (however long the queue), then only those rows are joined to their person, structure, assignee
    # and journey's name (never its state), with whether the structure sees the whole person.
    chosen = (stmt.with_only_columns(HumanTask.id).order_by(*order).limit(per_page)
              .offset((page - 1) * per_page).subquery())
    total = select(func.count()).select_from(stmt.with_only_columns(HumanTask.id).subquery()).scalar_subquery()
    holds_person = or_(Person.created_by_structure_id == actor.structure_id, exists().where(
        _HELD.person_id == HumanTask.person_id, _HELD.structure_id == actor.structure_id))
    rows = db.session.execute(
        select(HumanTask).join(chosen, chosen.c.id == HumanTask.id)
        .join(Person, Person.id == HumanTask.person_id)
        .join(Journey, Journey.id == HumanTask.journey_id)
        .join(DefinitionVersion, DefinitionVersion.id == Journey.definition_version_id)
        .add_columns(DefinitionVersion.name, holds_person.label("full"), total.label("total"))
        .options(contains_eager(HumanTask.person), joinedload(HumanTask.structure), joinedload(HumanTask.assignee))
        .order_by(*order)).all()
    if rows:
        total = rows[0].total
    else:  # past the last page, or nothing at all
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) if page > 1 else 0
    names = names_seen_by(actor, [(row[0].person, row.full) for row in rows])
    items = [TaskRow(id=t.id, title=t.title, bpmn_id=t.bpmn_id, process_key=t.process_key, journey_id=t.journey_id,
                     person_id=t.person_id, person_name=names[t.person_id], journey_name=name, role=t.role,
                     structure=t.structure, assignee=t.assignee, status=t.status, due_at=t.due_at,
                     created_at=t.created_at)
             for t, name, _full, _total in rows]
    return Page(items=items, total=total, page=page, per_page=per_page)


def counts(actor) -> dict:
    """How many open tasks are mine and in my structure's queue (one statement, each count read from
    its list's index alone)."""
    def count(scope):
        return _scope(actor, scope).with_only_columns(func.count()).scalar_subquery()
    row = db.session.execute(select(count("mine"), count("queue"))).one()
    return {"mine": row[0], "queue": row[1]}


def filter_choices(actor) -> dict:
    """Distinct journeys and tasks present in the actor's queue, for the filter menus (one statement:
    the steps from the queue's index, then one title per step and the journey's current name)."""
    steps = (_scope(actor, "queue").with_only_columns(HumanTask.process_key, HumanTask.bpmn_id).distinct()
             .subquery())
    title = (_scope(actor, "queue").with_only_columns(HumanTask.title)
             .where(HumanTask.process_key == steps.c.process_key, HumanTask.bpmn_id == steps.c.bpmn_id)
             .limit(1).scalar_subquery())
    rows = db.session.execute(
        select(steps.c.process_key, steps.c.bpmn_id, title.label("title"), _CURRENT.name)
        .outerjoin(_CURRENT, and_(_CURRENT.process_key == steps.c.process_key, _CURRENT.is_current.is_(True)))).all()
    names = {r.process_key: r.name or r.process_key for r in rows}
    return {"journeys": sorted(names.items(), key=lambda pair: pair[1]),
            "tasks": sorted({(r.bpmn_id, _step_label(r.title)) for r in rows})}


def _step_label(title: str) -> str:
    """A step's name without what one task of it adds (« n°3 », « — CPF »)."""
    return title.split(" n°")[0].split(" — ")[0]
