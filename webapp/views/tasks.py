"""Task lists (Mes tâches, File de ma structure) and the task page."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import Conflict, InvalidData
from ..extensions import db
from ..models import User
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from ..operations import audit
from ..operations.journeys import complete_task
from ..operations.tasks import claim_task, reassign_task, release_task
from ..queries.referrals import person_view, referral_for_task
from ..queries.directory import network_labels
from ..queries.suggestions import partner_structures, structure_names
from ..queries.task_choices import partner_options
from ..queries.tasks import earlier_answers, filter_choices, open_tasks_of_journey, task_data, task_for, task_list
from ..task_forms import coerce, describe, expand
from ..queries.definition_content import task_form
from ..queries.documentation import task_context as documentation_context
from ..operations.documentation import record_given, with_given_titles

bp = Blueprint("tasks", __name__)
SCOPE_TITLES = {"mine": "Mes tâches", "queue": "File de ma structure"}
ROLE_LABELS = {"conseiller": "conseiller·ère", "conseiller_cep": "conseiller·ère CEP",
               "coordinateur": "coordinateur·rice local·e", "pilote": "pilote de processus",
               "admin": "administrateur·rice régional·e"}


@bp.get("/taches")
@login_required
def task_index():
    scope = request.args.get("scope", "mine")
    scope = scope if scope in SCOPE_TITLES else "mine"
    filters = {k: request.args.get(k) or None for k in ("journey", "task", "person")}
    page = task_list(current_user, scope, **filters, page=request.args.get("page", 1, type=int),
                     per_page=current_app.config["TASKS_PER_PAGE"])
    audit.people_shown(current_user, "task.list_read", SCOPE_TITLES[scope], [t.person_id for t in page.items])
    return render_template("tasks.html", scope=scope, title=SCOPE_TITLES[scope], page=page,
                           filters=filters, choices=filter_choices(current_user))


def _form_of(task):
    form = task_form(task) or {"schema": {}, "ui": {}}
    return expand(form["schema"]), form.get("ui", {})


def _colleagues(task):
    return db.session.scalars(select(User).where(
        User.structure_id == current_user.structure_id, User.active.is_(True),
        User.id != current_user.id).order_by(User.full_name)).all()


def _uses_partners(schema) -> bool:
    return any(p.get("x-source") == "partenaires" for p in schema.get("properties", {}).values())


def _sources(task, schema):
    """Dynamic choices of the form (partner structures, ranked for this person, with their
    address, hours and contacts); on a finished task, the chosen structure's name."""
    if not _uses_partners(schema):
        return {}
    if task.status != "ouverte":
        return {"partenaires": {"names": structure_names()}}
    options = partner_options(current_user, task)  # the same choices as the API and the operation
    allowed = {choice[0] for choice in options["choices"]}
    return {"partenaires": {**options, "networks": network_labels(),
                            "structures": [s for s in partner_structures(current_user) if s.id in allowed]}}


def _context(task, schema) -> dict:
    """What earlier steps recorded that this form's rules compare with (e.g. the appointment)."""
    if task.status != "ouverte" or not any(p.get("x-not-before") for p in schema.get("properties", {}).values()):
        return {}
    return task_data(task)


def _render_task(task, values=None, errors=None, message=None, status=200):
    schema, ui = _form_of(task)
    can_act = task.role in (current_user.roles or [])
    colleagues = [u for u in _colleagues(task) if task.role in (u.roles or [])]
    return render_template(
        "task.html", task=task, schema=schema,
        fields=describe(schema, ui, values, errors, _sources(task, schema), _context(task, schema)),
        referral=referral_for_task(current_user, task), role_label=ROLE_LABELS.get(task.role, "autre rôle"),
        form_error=(errors or {}).get("_form"), message=message, can_act=can_act,
        colleagues=colleagues, documentation_picked=request.form.getlist("ressources_remises"),
        **documentation_context(current_user, task, schema)), status


@bp.get("/taches/<int:task_id>")
@login_required
def show(task_id):
    task = task_for(current_user, task_id)
    audit.defer(current_user, "task.read", f"Tâche « {task.title} » consultée", person_id=task.person_id,
                journey_id=task.journey_id)
    if task.status == "terminee":
        return _render_task(task, values=task.data)
    return _render_task(task, values={**earlier_answers(task), **(_known_identity(task) or {})})


def _known_identity(task) -> dict | None:
    """An open form asking for the person's identity starts from what the dossier already holds
    (typed at « Nouvel accueil », or from an earlier reception)."""
    schema, _ui = _form_of(task)
    asked = [name for name in IDENTITY_FIELDS + PROFILE_FIELDS if name in schema.get("properties", {})]
    view = person_view(current_user, task.person) if asked else None
    if view is None or not view.full or task.person.is_anonymous_person:
        return None
    values = {name: view.get(name) for name in asked if view.get(name) not in (None, "")}
    if "anonyme" in schema.get("properties", {}):
        values["anonyme"] = False
    return values


@bp.post("/taches/<int:task_id>")
@login_required
def complete(task_id):
    try:
        picked = request.form.getlist("ressources_remises")  # library resources given (documentation)
        task = complete_task(current_user, task_id,
                             lambda schema: with_given_titles(schema, coerce(schema, request.form), picked))
        record_given(current_user, task, picked)
        # Decide where to go and read what the messages need before the commit expires
        # every row: afterwards each of them would be read again in a second transaction.
        following = _next_open_task(task)
        following_id = following.id if following is not None else None
        title, person_id = task.title, task.person_id
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        task = task_for(current_user, task_id)
        values = coerce(_form_of(task)[0], request.form)
        return _render_task(task, values=values, errors=exc.fields or {"_form": exc.message},
                            message=exc.message, status=422)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("tasks.show", task_id=task_id)), 303
    flash(f"« {title} » est enregistrée.", "success")
    if following_id is not None:
        return redirect(url_for("tasks.show", task_id=following_id)), 303
    return redirect(url_for("people.show", person_id=person_id)), 303


def _next_open_task(task):
    """The journey's next open task, when the current user can take it straight away."""
    following = next(iter(open_tasks_of_journey(current_user, task.journey_id)), None)
    if following and following.role in (current_user.roles or []) and following.assignee_id in (None, current_user.id):
        return following
    return None


@bp.post("/taches/<int:task_id>/prendre")
@login_required
def claim(task_id):
    claim_task(current_user, task_id)
    db.session.commit()
    flash("La tâche vous est attribuée.", "success")
    return redirect(url_for("tasks.show", task_id=task_id)), 303


@bp.post("/taches/<int:task_id>/liberer")
@login_required
def release(task_id):
    release_task(current_user, task_id)
    db.session.commit()
    flash("La tâche est remise dans la file de la structure.", "success")
    return redirect(url_for("tasks.task_index", scope="queue")), 303


@bp.post("/taches/<int:task_id>/reaffecter")
@login_required
def reassign(task_id):
    task = reassign_task(current_user, task_id, request.form.get("user_id", type=int) or 0)
    db.session.commit()
    flash(f"La tâche est confiée à {task.assignee.full_name}.", "success")
    return redirect(url_for("tasks.task_index", scope="mine")), 303
