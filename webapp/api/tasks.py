"""Task lists, one task with its form, and the claim / release / reassign / complete actions."""
from flask import current_app

from ..errors import InvalidData
from ..operations import audit
from ..operations.journeys import complete_task
from ..operations.tasks import claim_task, reassign_task, release_task
from ..queries.tasks import task_for, task_list
from .auth import current_actor
from .blueprint import bp
from .errors import write_transaction
from .forms import on_partner_field
from .journeys import journey_open_tasks
from .openapi import doc
from .schemas import (CompleteRequest, CompletionSchema, ReassignRequest, TaskDetailSchema,
                      TaskListArgs, TaskPageSchema, TaskSchema, load_args, load_body)

TAG = "Tâches"
# Schemas hold no state between dumps: one instance each, not one per request.
_COMPLETION_SCHEMA = CompletionSchema()
_TASK_DETAIL_SCHEMA = TaskDetailSchema()
_TASK_PAGE_SCHEMA = TaskPageSchema()
_TASK_SCHEMA = TaskSchema()


@bp.get("/tasks")
@doc("Lister les tâches ouvertes", tag=TAG, query=TaskListArgs, response=TaskPageSchema)
def list_tasks():
    """Mes tâches ou la file de ma structure (selon mes rôles), filtrées et paginées."""
    args = load_args(TaskListArgs())
    page = task_list(current_actor(), args.pop("scope"), per_page=current_app.config["TASKS_PER_PAGE"],
                     **args)
    audit.people_shown(current_actor(), "task.list_read", "Liste de tâches (API)", [t.person_id for t in page.items])
    return _TASK_PAGE_SCHEMA.dump(page)


@bp.get("/tasks/<int:task_id>")
@doc("Lire une tâche et son formulaire", tag=TAG, response=TaskDetailSchema, errors=(404,))
def show_task(task_id):
    """La tâche, avec le schéma JSON de son formulaire (vocabulaires développés) et son schéma d'UI."""
    task = task_for(current_actor(), task_id)
    audit.defer(current_actor(), "task.read", f"Tâche « {task.title} » consultée (API)", person_id=task.person_id,
                journey_id=task.journey_id)
    return _TASK_DETAIL_SCHEMA.dump(task)


@bp.post("/tasks/<int:task_id>/claim")
@doc("Prendre une tâche", tag=TAG, response=TaskSchema, errors=(403, 404, 409))
def claim(task_id):
    """Prend une tâche libre de la file ; 409 si quelqu'un l'a déjà prise ou traitée."""
    with write_transaction():
        task = claim_task(current_actor(), task_id)
    return _TASK_SCHEMA.dump(task)


@bp.post("/tasks/<int:task_id>/release")
@doc("Remettre une tâche dans la file", tag=TAG, response=TaskSchema, errors=(403, 404, 409))
def release(task_id):
    """Remet dans la file de la structure une tâche que l'on avait prise."""
    with write_transaction():
        task = release_task(current_actor(), task_id)
    return _TASK_SCHEMA.dump(task)


@bp.post("/tasks/<int:task_id>/reassign")
@doc("Confier une tâche à un·e collègue", tag=TAG, body=ReassignRequest, response=TaskSchema,
     errors=(400, 403, 404, 409))
def reassign(task_id):
    """Confie une tâche ouverte à un·e collègue de la même structure ayant le rôle requis."""
    body = load_body(ReassignRequest())
    with write_transaction():
        task = reassign_task(current_actor(), task_id, body["user_id"])
    return _TASK_SCHEMA.dump(task)


@bp.post("/tasks/<int:task_id>/complete")
@doc("Terminer une tâche", tag=TAG, body=CompleteRequest, response=CompletionSchema,
     errors=(400, 403, 404, 409, 422))
def complete(task_id):
    """Termine la tâche avec les données de son formulaire ; renvoie les tâches ouvertes qui suivent."""
    data = load_body(CompleteRequest())["data"]
    actor = current_actor()
    with write_transaction():
        try:
            task = complete_task(actor, task_id, data)
        except InvalidData as refusal:
            raise on_partner_field(actor, task_id, data, refusal) from refusal
        # written before the commit, from the rows in hand: after it, every row would be read again
        answer = _COMPLETION_SCHEMA.dump({"task": task, "next_tasks": journey_open_tasks(actor, task.journey)})
    return answer
