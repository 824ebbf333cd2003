"""Starting a journey: « Nouvel accueil », with the dossiers that look like the person first."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Forbidden, InvalidData
from ..extensions import db
from ..operations.journeys import start_journey
from ..operations.people import identity_schema
from ..operations.receptions import NEW_PERSON_FIELDS, open_reception
from ..queries.people_search import likely_duplicates
from ..queries.tasks import open_tasks_of_journey
from ..task_forms import coerce, describe

bp = Blueprint("journeys", __name__)


def _first_step(journey):
    first = next(iter(open_tasks_of_journey(current_user, journey.id)), None)
    if first is None:
        return redirect(url_for("people.show", person_id=journey.person_id)), 303
    return redirect(url_for("tasks.show", task_id=first.id)), 303


def _new_person_schema() -> dict:
    """The identity form's fields that « Nouvel accueil » asks for."""
    schema = identity_schema()
    return {**schema, "properties": {k: schema["properties"][k] for k in NEW_PERSON_FIELDS}}


def _identity_fields(values, errors=None):
    return describe(_new_person_schema(), {"ui:order": list(NEW_PERSON_FIELDS)}, values, errors)


def _can_receive():
    if not (current_user.has_role("conseiller") or current_user.has_role("conseiller_cep")):
        raise Forbidden("Seul·e un·e conseiller·ère peut faire un nouvel accueil.")


@bp.get("/accueil/nouveau")
@login_required
def new():
    """Who is it? Typed identity, then the look-alike dossiers before a new one is created."""
    _can_receive()
    values = coerce(_new_person_schema(), request.args)
    searched = any(values.get(k) for k in NEW_PERSON_FIELDS)
    duplicates = likely_duplicates(current_user, values) if searched else []
    return render_template("journeys/new.html", fields=_identity_fields(values), searched=searched,
                           duplicates=duplicates, values=values)


@bp.post("/accueil/nouveau")
@login_required
def create():
    """A new dossier with the identity typed (none: an anonymous reception)."""
    _can_receive()
    values = coerce(_new_person_schema(), request.form)
    if request.form.get("anonyme") == "oui":
        values = {}
    try:
        journey = open_reception(current_user, values)
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return render_template("journeys/new.html", fields=_identity_fields(values, exc.fields), searched=False,
                               duplicates=[], values=values, message=exc.message), 422
    return _first_step(journey)


@bp.post("/parcours")
@login_required
def start():
    """A journey for an existing dossier (or, without one, an anonymous new person)."""
    person_id = request.form.get("person_id", type=int)
    journey = start_journey(current_user, request.form.get("process_key", "accueil"), person_id)
    db.session.commit()
    return _first_step(journey)
