"""The person's rights on the dossier: the access export (JSON and PDF, each audited) and the list
of people the structure will soon see anonymised."""
import json

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user, login_required

from ..documents.person_export import person_export_pdf
from ..extensions import db
from ..operations import audit
from ..queries.person_export import exportable_person, person_export, soon_anonymised

bp = Blueprint("rights", __name__)


def _download(content: bytes, mimetype: str, file_name: str, person_id: int, summary: str) -> Response:
    """The export as an attachment, never cached; the export is recorded and committed first."""
    audit.record(current_user, "person.exported", summary, kind="read", person_id=person_id)
    db.session.commit()
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"})


@bp.get("/personnes/<int:person_id>/donnees")
@login_required
def export_page(person_id):
    """What the export holds and the two downloads."""
    person = exportable_person(current_user, person_id)
    return render_template("rights/export.html", person=person)


@bp.get("/personnes/<int:person_id>/donnees.json")
@login_required
def export_json(person_id):
    data = person_export(current_user, person_id)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return _download(content, "application/json", f"donnees-personne-{person_id}.json", person_id,
                     "Données de la personne exportées (JSON)")


@bp.get("/personnes/<int:person_id>/donnees.pdf")
@login_required
def export_pdf(person_id):
    data = person_export(current_user, person_id)
    return _download(person_export_pdf(data), "application/pdf", f"donnees-personne-{person_id}.pdf", person_id,
                     "Données de la personne exportées (PDF)")


@bp.get("/personnes/a-anonymiser")
@login_required
def soon():
    """People of the structure whose data will be anonymised within 30 days, with the date."""
    days = int(current_app.config.get("ANONYMISE_AFTER_DAYS", 730))
    return render_template("rights/soon.html", rows=soon_anonymised(current_user, after_days=days),
                           after_days=days)
