"""« Orientations reçues », « Orientations envoyées » and, for coordinators, « Territoire »."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Forbidden
from ..operations import audit
from ..queries.referrals import (TABS, display_names, involves, open_task_ids, structure_referrals,
                                 tab_counts, territory_referrals)

bp = Blueprint("referrals", __name__)
DIRECTIONS = {"received": "Orientations reçues", "sent": "Orientations envoyées", "territory": "Territoire"}
ENDPOINTS = {"received": "referrals.received", "sent": "referrals.sent", "territory": "referrals.territory"}


@bp.get("/orientations")
@login_required
def index():
    """The list that matters: received ones waiting for an answer, else sent ones, else the territory."""
    received = tab_counts(current_user, "received")
    if received["ouverte"]:
        return redirect(url_for("referrals.received"))
    if current_user.has_role("coordinateur") and not any(tab_counts(current_user, "sent").values()):
        return redirect(url_for("referrals.territory"))
    if any(received.values()):
        return redirect(url_for("referrals.received"))
    return redirect(url_for("referrals.sent"))


@bp.get("/orientations/recues")
@login_required
def received():
    return _board("received")


@bp.get("/orientations/envoyees")
@login_required
def sent():
    return _board("sent")


@bp.get("/orientations/territoire")
@login_required
def territory():
    if not current_user.has_role("coordinateur"):
        raise Forbidden("Réservé aux coordinateur·rices locaux·ales.")
    return _board("territory")


def _board(direction: str):
    tab = request.args.get("onglet") if request.args.get("onglet") in TABS else "ouverte"
    number, per_page = request.args.get("page", 1, type=int), current_app.config["TASKS_PER_PAGE"]
    if direction == "territory":
        page = territory_referrals(current_user, state=tab, page=number, per_page=per_page, urgent_first=True)
    else:
        page = structure_referrals(current_user, direction, status=tab, page=number, per_page=per_page,
                                   urgent_first=True)
    visible = {r.id for r in page.items if involves(current_user, r)}
    names = display_names(current_user, {r.person_id for r in page.items if r.id in visible})
    tasks = open_task_ids(current_user, {r.journey_id for r in page.items})
    audit.people_shown(current_user, "referral.list_read", DIRECTIONS[direction], [r.person_id for r in page.items])
    return render_template("referrals/list.html", direction=direction, title=DIRECTIONS[direction],
                           directions=DIRECTIONS, endpoints=ENDPOINTS, tabs=TABS, tab=tab, page=page,
                           counts=tab_counts(current_user, direction), visible=visible, names=names,
                           tasks=tasks)
