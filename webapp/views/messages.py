"""Messages page: what the outbox sent (or will send) to the user's structure."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..extensions import db
from ..operations import audit
from ..operations.notifications import KIND_LABELS, STALE_CLAIM_ERROR, STATUS_LABELS, mark_messages_seen
from ..queries.messages import is_unread, messages_for, openable_dossiers, structure_names, task_links

bp = Blueprint("messages", __name__)
PER_PAGE = 25


@bp.get("/messages")
@login_required
def message_index():
    is_admin = current_user.has_role("admin")
    structure_id = request.args.get("structure", type=int) if is_admin else None
    page = messages_for(current_user, structure_id=structure_id,
                        page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    seen_before = current_user.messages_seen_at
    unread = {m.id for m in page.items if is_unread(current_user, m, seen_before)}
    tasks = task_links(current_user, page.items)
    dossiers = openable_dossiers(current_user, page.items)
    mark_messages_seen(current_user)
    audit.people_shown(current_user, "message.list_read", "Messages", [m.person_id for m in page.items])
    page_html = render_template("messages.html", page=page, is_admin=is_admin, structure_id=structure_id,
                                structures=structure_names() if is_admin else {}, unread=unread,
                                tasks=tasks, dossiers=dossiers, kind_labels=KIND_LABELS, status_labels=STATUS_LABELS,
                                stale_error=STALE_CLAIM_ERROR)
    db.session.commit()  # after rendering, so that the rows read are not expired and read again
    return page_html
