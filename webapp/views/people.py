"""The person page (dossier) with journeys, open tasks and timeline; identity editing."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Forbidden, InvalidData
from ..extensions import db
from ..operations import audit
from ..operations.people import IDENTITY_SCHEMA, identity_schema, update_identity
from ..models.referrals import DECLINE_REASONS, SHARED_FIELDS
from ..queries.people import completed_tasks, journeys_of, open_tasks, person_for, timeline
from ..queries.referrals import path_of, person_view, structures_involved
from ..queries.suggestions import structure_names
from ..task_forms import coerce, describe, expand, readable

bp = Blueprint("people", __name__)


def _render(person, values=None, errors=None, status=200):
    view = person_view(current_user, person)
    fields = describe(identity_schema(), {}, values if values is not None else
                      {k: getattr(person, k) for k in IDENTITY_SCHEMA["properties"]}, errors) if view.full else []
    journeys = journeys_of(current_user, person)
    done = completed_tasks(current_user, person)
    return render_template("person.html", person=person, view=view, journeys=journeys,
                           involved={j.id: structures_involved(j) for j in journeys},
                           path=path_of(current_user, person), shared_labels=SHARED_FIELDS,
                           decline_reasons=DECLINE_REASONS,
                           open_tasks=open_tasks(current_user, person),
                           done=[(t, _readable(t)) for t in done],
                           timeline=timeline(current_user, person), identity_fields=fields,
                           identity_open=bool(errors)), status


def _readable(task):
    form = task.journey.definition.forms.get(task.form_key) or {"schema": {}, "ui": {}}
    return readable(expand(form["schema"]), form.get("ui", {}), task.data, structure_names())


@bp.get("/personnes/<int:person_id>")
@login_required
def show(person_id):
    person = person_for(current_user, person_id)
    audit.record(current_user, "person.read", "Dossier consulté", kind="read", person_id=person.id)
    db.session.commit()
    return _render(person)


@bp.post("/personnes/<int:person_id>/identite")
@login_required
def edit_identity(person_id):
    data = coerce(identity_schema(), request.form)
    if not person_view(current_user, person_for(current_user, person_id)).full:
        raise Forbidden("Seule la structure qui accompagne la personne peut modifier son identité.")
    try:
        update_identity(current_user, person_id, data)
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render(person_for(current_user, person_id), data, exc.fields, 422)
    flash("Le dossier est mis à jour.", "success")
    return redirect(url_for("people.show", person_id=person_id)), 303


@bp.get("/personnes")
@login_required
def index():
    return render_template("people/index.html")
