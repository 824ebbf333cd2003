"""Messages page: what the outbox sent (or will send) to the user's structure."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..operations.notifications import KIND_LABELS, STATUS_LABELS, messages_for, structure_names

bp = Blueprint("messages", __name__)
PER_PAGE = 25


@bp.get("/messages")
@login_required
def message_index():
    is_admin = current_user.has_role("admin")
    structure_id = request.args.get("structure", type=int) if is_admin else None
    page = messages_for(current_user, structure_id=structure_id,
                        page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template("messages.html", page=page, is_admin=is_admin, structure_id=structure_id,
                           structures=structure_names() if is_admin else {},
                           kind_labels=KIND_LABELS, status_labels=STATUS_LABELS)
