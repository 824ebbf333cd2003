"""« Qui a consulté ce dossier ? »: the audit trail for administrators, filtered, paginated and
exported as CSV. This blueprint also writes, after every request of the app, the audit entries
recorded for the end of the request (reads of pages that commit nothing, denied accesses)."""
from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user, login_required

from ..operations import audit
from ..queries.audit import (ACTION_LABELS, KIND_LABELS, TrailFilters, action_label, is_regional_admin,
                             names_for, people_in, trail, trail_csv, trail_for_export, user_choices)

bp = Blueprint("audit", __name__, url_prefix="/administration/journal")


@bp.after_app_request
def _write_deferred_audit(response):
    audit.write_deferred(response.status_code)
    return response


@bp.get("")
@login_required
def index():
    filters = TrailFilters.from_args(request.args)
    page = trail(current_user, filters, page=request.args.get("page", 1, type=int) or 1)
    shown = people_in(page.items)
    html = render_template(
        "audit/index.html", page=page, filters=filters, args=filters.as_args(), names=names_for(current_user, shown),
        kinds=KIND_LABELS, actions=sorted(ACTION_LABELS.items(), key=lambda pair: pair[1]),
        action_label=action_label, users=user_choices(current_user), regional=is_regional_admin(current_user))
    audit.people_shown(current_user, "audit.read", "Journal des accès consulté", shown)
    return html


@bp.get("/export.csv")
@login_required
def export():
    filters = TrailFilters.from_args(request.args)
    events = trail_for_export(current_user, filters)
    content = trail_csv(events, current_app.jinja_env.filters["local"])
    audit.defer(current_user, "audit.exported", f"Journal des accès exporté ({len(events)} entrées)",
                detail={"filters": filters.as_args(), "person_ids": people_in(events)})
    return Response(content, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="journal-des-acces.csv"', "Cache-Control": "no-store"})
