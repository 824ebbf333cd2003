"""« Programme de professionnalisation »: the GIP's events, registrations, attendance, participation."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import clock, reference
from ..errors import Conflict, Forbidden, InvalidData
from ..extensions import db
from ..operations import audit
from ..operations.support_programme import (KINDS, REGISTERED, STATUS_LABELS, can_publish, cancel, create_event,
                                            event_for, event_schema, record_attendance, register)
from ..operations.support_programme_changes import cancel_event, form_values, update_event
from ..queries import support_programme as programme
from ..task_forms import coerce, describe

bp = Blueprint("programme", __name__, url_prefix="/programme")
UI = {"ui:order": ["kind", "title", "description", "date", "start_time", "duration_minutes", "place", "online_url",
                   "capacity", "deadline", "networks"],
      "kind": {"ui:widget": "radio"}, "description": {"ui:widget": "textarea"}}


def _common() -> dict:
    return {"kinds": KINDS, "status_labels": STATUS_LABELS, "networks": dict(reference.NETWORKS),
            "can_publish": can_publish(current_user), "can_read_participation": _reads_participation()}


def _reads_participation() -> bool:
    try:
        programme.require_reader(current_user)
    except Forbidden:
        return False
    return True


@bp.get("")
@login_required
def index():
    past = request.args.get("vue") == "passes"
    rows = programme.past_events(current_user) if past else programme.upcoming_events(current_user)
    return render_template("support_programme/index.html", rows=rows, past=past, **_common())


def _render_form(values, errors=None, message=None, status=200, event=None):
    fields = describe(event_schema(), UI, values, errors)
    return render_template("support_programme/form.html", fields=fields, message=message, event=event,
                           form_error=(errors or {}).get("_form"), **_common()), status


@bp.get("/nouveau")
@login_required
def new():
    if not can_publish(current_user):
        raise Forbidden("La publication du programme est réservée à l'administration régionale et aux coordinateur·rices.")
    return _render_form({"kind": "journee_technique", "duration_minutes": 180, "capacity": 30})


@bp.post("/nouveau")
@login_required
def create():
    if not can_publish(current_user):
        raise Forbidden("La publication du programme est réservée à l'administration régionale et aux coordinateur·rices.")
    data = coerce(event_schema(), request.form)
    try:
        event = create_event(current_user, data)
        event_id, title = event.id, event.title
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render_form(data, exc.fields, exc.message, 422)
    flash(f"L'événement « {title} » est publié.", "success")
    return redirect(url_for("programme.show", event_id=event_id)), 303


def _organised(event_id):
    """The event for one of its organisers (404 when not offered to the actor, 403 otherwise)."""
    event = event_for(current_user, event_id)
    if not programme.event_row(current_user, event).manageable:
        raise Forbidden("Seul·es les organisateur·rices de l'événement le modifient ou l'annulent.")
    return event


@bp.get("/<int:event_id>/modifier")
@login_required
def edit(event_id):
    event = _organised(event_id)
    return _render_form(form_values(event), event=event)


@bp.post("/<int:event_id>/modifier")
@login_required
def update(event_id):
    _organised(event_id)
    data = coerce(event_schema(), request.form)
    try:
        title = update_event(current_user, event_id, data).title
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render_form(data, exc.fields, exc.message, 422, event=event_for(current_user, event_id))
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("programme.show", event_id=event_id)), 303
    flash(f"L'événement « {title} » est modifié ; les inscrit·es sont prévenu·es d'un changement de date ou de lieu.",
          "success")
    return redirect(url_for("programme.show", event_id=event_id)), 303


@bp.post("/<int:event_id>/annuler")
@login_required
def cancel_event_view(event_id):
    _organised(event_id)
    if request.form.get("confirmation") != "oui":
        flash("Cochez la case de confirmation pour annuler l'événement.", "error")
        return redirect(url_for("programme.show", event_id=event_id)), 303
    try:
        told = cancel_event(current_user, event_id)
        db.session.commit()
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("programme.show", event_id=event_id)), 303
    flash(f"L'événement est annulé ; {told} personne{'s' if told > 1 else ''} prévenue{'s' if told > 1 else ''}.", "success")
    return redirect(url_for("programme.show", event_id=event_id)), 303


@bp.get("/<int:event_id>")
@login_required
def show(event_id):
    event = event_for(current_user, event_id)
    row = programme.event_row(current_user, event)
    people = programme.registrations(current_user, event) if row.manageable else []
    if people:
        audit.defer(current_user, "support_event.read", f"Inscrit·es consulté·es : « {event.title} »")
    now = clock.now()
    return render_template("support_programme/show.html", row=row, event=event, people=people,
                           position=programme.waiting_position(event, current_user),
                           open_for_registration=now <= event.registration_deadline and now < event.starts_at
                           and event.cancelled_at is None,
                           started=now >= event.starts_at, **_common())


def _answer(event_id, action, success):
    try:
        result = action(current_user, event_id)
        db.session.commit()
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("programme.show", event_id=event_id)), 303
    flash(success(result), "success")
    return redirect(url_for("programme.show", event_id=event_id)), 303


@bp.post("/<int:event_id>/inscription")
@login_required
def register_view(event_id):
    return _answer(event_id, register, lambda status: "Vous êtes inscrit·e." if status == REGISTERED else
                   "L'événement est complet : vous êtes en liste d'attente. Vous serez inscrit·e et prévenu·e "
                   "si une place se libère.")


@bp.post("/<int:event_id>/annulation")
@login_required
def cancel_view(event_id):
    return _answer(event_id, cancel, lambda _r: "Votre inscription est annulée.")


@bp.get("/<int:event_id>/presences")
@login_required
def attendance(event_id):
    event = event_for(current_user, event_id)
    people = [p for p in programme.registrations(current_user, event) if p[0].status == REGISTERED]
    audit.defer(current_user, "support_event.read", f"Feuille de présence consultée : « {event.title} »")
    return render_template("support_programme/attendance.html", event=event, people=people,
                           started=clock.now() >= event.starts_at, **_common())


@bp.post("/<int:event_id>/presences")
@login_required
def attendance_save(event_id):
    present = [int(v) for v in request.form.getlist("present") if v.isascii() and v.isdigit() and len(v) < 10]
    try:
        count = record_attendance(current_user, event_id, present)
        db.session.commit()
    except (Conflict, InvalidData) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("programme.attendance", event_id=event_id)), 303
    flash(f"Présences enregistrées : {count} participant·e{'s' if count > 1 else ''}.", "success")
    return redirect(url_for("programme.show", event_id=event_id)), 303


def _year() -> int:
    choices = programme.year_choices()
    year = request.args.get("annee", type=int)
    return year if year in choices else choices[-1]


@bp.get("/participation")
@login_required
def participation():
    result = programme.participation(current_user, _year())
    return render_template("support_programme/participation.html", result=result,
                           years=programme.year_choices(), **_common())


@bp.get("/participation.csv")
@login_required
def participation_csv():
    result = programme.participation(current_user, _year())
    audit.defer(current_user, "support_event.exported", f"Participation au programme exportée ({result.year})")
    return Response(programme.participation_csv(result), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="participation-programme-{result.year}.csv"'})
