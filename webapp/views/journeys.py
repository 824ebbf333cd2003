"""Starting a journey (Nouvel accueil)."""
from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..operations.journeys import start_journey
from ..queries.tasks import open_tasks_of_journey

bp = Blueprint("journeys", __name__)


@bp.post("/parcours")
@login_required
def start():
    person_id = request.form.get("person_id", type=int)
    journey = start_journey(current_user, request.form.get("process_key", "accueil"), person_id)
    db.session.commit()
    first = next(iter(open_tasks_of_journey(current_user, journey.id)), None)
    if first is None:
        return redirect(url_for("people.show", person_id=journey.person_id)), 303
    return redirect(url_for("tasks.show", task_id=first.id)), 303
