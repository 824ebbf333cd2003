"""Keeping the human-task index and the journey row in step with the workflow state."""
from sqlalchemy import bindparam, select

from .. import clock
from ..extensions import db
from ..models import HumanTask, Journey, User
from ..workdays import add_working_days
from ..workflow import Instance
from .followups import schedule_after_end


def _owning_structure(journey: Journey, info) -> int:
    """The structure whose queue gets the task: named by the task's data, else the one in charge."""
    try:
        return int(info.structure_ref) if info.structure_ref is not None else journey.structure_id
    except (TypeError, ValueError):
        return journey.structure_id


def _urgent(instance: Instance, info) -> bool:
    """The journey's data says the reception judged the request urgent."""
    try:
        return instance.task_data(info.uuid).get("urgence") == "prioritaire"
    except Exception:  # a task the engine cannot read back is simply not urgent
        return False


def _last_worker(journey: Journey, structure_id: int, role: str) -> User | None:
    """The last active user of the structure, holding the role, who completed a step of the journey."""
    users = db.session.scalars(
        select(User).join(HumanTask, HumanTask.completed_by_id == User.id).where(
            HumanTask.journey_id == journey.id, HumanTask.status == "terminee",
            HumanTask.structure_id == structure_id, User.structure_id == structure_id,
            User.active.is_(True))
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()))
    return next((u for u in users if u.has_role(role)), None)


def _hand_back(journey: Journey, rows: list[HumanTask], actor) -> None:
    """A step coming back to a structure from outside (a partner's answer, a timer, the
    coordination) goes to whoever of that structure last worked the journey."""
    for row in rows:
        if actor is None or actor.structure_id != row.structure_id:
            with db.session.no_autoflush:  # the new rows are written once, with their assignee
                user = _last_worker(journey, row.structure_id, row.role)
            row.assignee_id = user.id if user is not None else None


def keep_with(actor, new_tasks) -> None:
    """Who opens or carries a journey on keeps its next steps, when their role allows it."""
    for task in new_tasks:
        if actor is not None and task.role in (actor.roles or []) and task.structure_id == actor.structure_id:
            task.assignee_id = actor.id


# Built once with a parameter: every step runs it.
_OPEN_TASKS = select(HumanTask).where(HumanTask.journey_id == bindparam("journey_id"), HumanTask.status == "ouverte")


def save_state(journey: Journey, instance: Instance, actor=None, keep: bool = False) -> list[HumanTask]:
    """Write the instance into its journey row and sync the index; return the new open tasks.

    `actor` is who moved the journey (None for the timer worker): new tasks of another structure
    go to the last person of that structure who worked the journey; with `keep`, the actor keeps
    the new tasks their structure and role allow (set before the rows are written)."""
    now = clock.now()
    # read before the journey changes, so that its new state is written in the same flush as its new tasks
    open_rows = {t.task_uuid: t for t in db.session.scalars(_OPEN_TASKS, {"journey_id": journey.id})}
    journey.state = instance.dump()
    journey.next_timer_at = instance.next_timer_at()
    ready = instance.ready_user_tasks()
    created = []
    for info in ready:
        if info.uuid in open_rows:
            continue
        structure_id = _owning_structure(journey, info)
        title = info.title if info.iteration is None else f"{info.title} n°{info.iteration + 1}"
        title = f"{title} (dernière possible)" if info.last_pass else title
        title = f"{title} — {info.detail}" if info.detail else title
        row = HumanTask(
            journey_id=journey.id, definition_version_id=journey.definition_version_id,
            person_id=journey.person_id, task_uuid=info.uuid,
            bpmn_id=info.bpmn_id, title=title, process_key=journey.process_key, form_key=info.form,
            role=info.role, structure_id=structure_id, status="ouverte", created_at=now,
            priority=1 if _urgent(instance, info) else 0,
            due_at=add_working_days(now, info.due_in_working_days) if info.due_in_working_days else None,
        )
        db.session.add(row)
        created.append(row)
    _hand_back(journey, created, actor)
    if keep:
        keep_with(actor, created)
    ready_ids = {info.uuid for info in ready}
    for uuid, row in open_rows.items():
        if uuid not in ready_ids:
            row.status, row.completed_at = "annulee", now
        elif row.definition_version_id != journey.definition_version_id:
            # A migrated journey: its open tasks now wait on the new version (and are counted there, entries
            # included); the tasks completed or cancelled before keep the version they were done on.
            row.definition_version_id = journey.definition_version_id
    if instance.completed and not instance.stalled():
        ended_now = journey.status != "terminee"
        journey.status, journey.end_event, journey.ended_at = "terminee", instance.end_event(), now
        journey.end_label = instance.end_event_label()
        if ended_now:
            schedule_after_end(journey)  # the follow-up months later (operations/followups.py)
    elif instance.stalled():
        journey.status = "incident"
        journey.incident = "Le parcours ne peut plus avancer et n'a atteint aucun événement de fin."
    db.session.flush()
    return created
