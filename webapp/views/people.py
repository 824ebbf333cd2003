"""The person page (dossier) with journeys, open tasks and timeline."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..operations import audit
from ..queries.people import completed_tasks, journeys_of, open_tasks, person_for, timeline

bp = Blueprint("people", __name__)


@bp.get("/personnes/<int:person_id>")
@login_required
def show(person_id):
    person = person_for(current_user, person_id)
    audit.record(current_user, "person.read", "Dossier consulté", kind="read", person_id=person.id)
    db.session.commit()
    return render_template("person.html", person=person, journeys=journeys_of(current_user, person),
                           open_tasks=open_tasks(current_user, person),
                           done=completed_tasks(current_user, person),
                           timeline=timeline(current_user, person))
