"""CEP advisers' screens (« Mes parcours CEP », « Demandes de financement ») and the regional
administration's list of funders."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Forbidden, InvalidData
from ..extensions import db
from ..models.funding import FUNDER_KINDS, REQUEST_STATES
from ..money import euros
from ..operations.funders import (create_funder, funder_by_id, funder_schema, require_admin,
                                  set_funder_active, update_funder)
from ..queries.cep import STAGES, all_funders, cep_journeys, funding_requests, stage_counts
from ..task_forms import coerce, describe

bp = Blueprint("cep", __name__, url_prefix="/cep")
FUNDER_UI = {"ui:order": ["label", "kind", "needs_request", "position"]}


def _require_cep_adviser():
    if not current_user.has_role("conseiller_cep"):
        raise Forbidden("Réservé aux conseiller·ères en évolution professionnelle (CEP).")


@bp.get("/")
@login_required
def journeys():
    """« Mes parcours CEP »: the structure's CEP journeys by stage, mine or the whole structure's."""
    _require_cep_adviser()
    mine_only = request.args.get("vue") != "structure"
    counts = stage_counts(current_user, mine_only)
    tab = request.args.get("onglet")
    if tab not in STAGES:
        tab = next((k for k in STAGES if counts[k] and k != "termines"), "niveau1")
    page = cep_journeys(current_user, tab, mine_only=mine_only, page=request.args.get("page", 1, type=int),
                        per_page=current_app.config["TASKS_PER_PAGE"], total=counts[tab])
    return render_template("cep/journeys.html", stages=STAGES, tab=tab, counts=counts, page=page,
                           view="mine" if mine_only else "structure", euros=euros)


@bp.get("/financements")
@login_required
def requests():
    """« Demandes de financement »: late ones first, then by deadline."""
    _require_cep_adviser()
    page = funding_requests(current_user, page=request.args.get("page", 1, type=int),
                            per_page=current_app.config["TASKS_PER_PAGE"])
    return render_template("cep/requests.html", page=page, states=REQUEST_STATES, euros=euros)


# -- funders (regional administration) --------------------------------------------------------
@bp.get("/financeurs")
@login_required
def funders():
    require_admin(current_user)
    return render_template("cep/funders.html", funders=all_funders(), kinds=FUNDER_KINDS)


def _render_form(funder, values, errors=None, message=None, status=200):
    fields = describe(funder_schema(), FUNDER_UI, values, errors)
    return render_template("cep/funder_form.html", funder=funder, fields=fields, message=message), status


@bp.get("/financeurs/nouveau")
@login_required
def new_funder():
    require_admin(current_user)
    return _render_form(None, {"kind": "abondement", "needs_request": True, "position": 100})


@bp.post("/financeurs/nouveau")
@login_required
def create_funder_view():
    require_admin(current_user)
    data = coerce(funder_schema(), request.form)
    try:
        label = create_funder(current_user, data).label
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render_form(None, data, exc.fields, exc.message, 422)
    flash(f"Le financeur « {label} » est ajouté : il est proposé dans les nouveaux plans de financement.", "success")
    return redirect(url_for("cep.funders")), 303


@bp.get("/financeurs/<int:funder_id>/modifier")
@login_required
def edit_funder(funder_id):
    require_admin(current_user)
    funder = funder_by_id(funder_id)
    return _render_form(funder, {k: getattr(funder, k) for k in FUNDER_UI["ui:order"]})


@bp.post("/financeurs/<int:funder_id>/modifier")
@login_required
def update_funder_view(funder_id):
    require_admin(current_user)
    data = coerce(funder_schema(), request.form)
    try:
        label = update_funder(current_user, funder_id, data).label
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render_form(funder_by_id(funder_id), data, exc.fields, exc.message, 422)
    flash(f"Le financeur « {label} » est mis à jour.", "success")
    return redirect(url_for("cep.funders")), 303


@bp.post("/financeurs/<int:funder_id>/desactiver")
@login_required
def deactivate_funder(funder_id):
    label = set_funder_active(current_user, funder_id, False).label
    db.session.commit()
    flash(f"Le financeur « {label} » est désactivé : il n'est plus proposé dans les nouveaux plans, "
          "les plans déjà faits le gardent.", "success")
    return redirect(url_for("cep.funders")), 303


@bp.post("/financeurs/<int:funder_id>/reactiver")
@login_required
def reactivate_funder(funder_id):
    label = set_funder_active(current_user, funder_id, True).label
    db.session.commit()
    flash(f"Le financeur « {label} » est réactivé.", "success")
    return redirect(url_for("cep.funders")), 303
